//! `crm-core`: the CRM core of Tamas — contacts, users, the call log and the directory
//! that finds callers — on SQLite or PostgreSQL. It knows nothing of HTTP or of the PBX.
//!
//! - [`domain`]: users, tokens and sessions, contacts and their numbers, calls, recordings,
//!   notes, tasks, audit entries; validated newtypes with `parse`.
//! - [`phone`]: numbers in any format (Persian digits, `00`, trunk zero or none) → E.164
//!   and lookup keys; formatting for people.
//! - [`text`]: folding names for search (case, Persian and Arabic letter forms).
//! - [`password`] and [`token`]: argon2id password hashes; API tokens and session ids,
//!   stored as SHA-256.
//! - [`store`]: the [`Store`] trait (the sum of [`UserStore`], [`AuthStore`],
//!   [`ContactStore`], [`CallStore`], [`CallPartStore`], [`RecordingStore`], [`WorkStore`],
//!   [`CallbackStore`], [`AlertStore`], [`CredentialStore`], [`OpenCallStore`]), its one
//!   implementation [`SqlStore`] on SQLite ([`SqliteStore`]) and PostgreSQL ([`PgStore`]),
//!   and [`connect`]. SQL lives only there.
//! - [`directory`]: number → contact cards, the hot path of every ringing call, cached in
//!   memory by each store, whose writes forget the cards they change.
//! - [`import`]: contacts from CSV.
//! - [`metrics`]: waiting time, service level, AHT and first-call resolution from the call
//!   log.
//!
//! ```no_run
//! # async fn demo() -> Result<(), crm_core::StoreError> {
//! let store = crm_core::connect("sqlite:tamas.db", crm_core::PhoneNormalizer::new("IR")).await?;
//! store.migrate().await?;
//! for card in store.lookup_number("0912 123 4567", None).await? {
//!     println!("{} ({} recent calls)", card.contact.name, card.last_calls.len());
//! }
//! # Ok(())
//! # }
//! ```

pub mod directory;
pub mod domain;
mod error;
pub mod import;
pub mod metrics;
pub mod password;
pub mod phone;
pub mod store;
pub mod text;
pub mod token;

pub use directory::{ContactCard, Directory};
pub use domain::alert::{
    Alert, AlertFilter, AlertKind, AlertState, LeadActivity, NewAlert, NewCallback,
};
pub use domain::auth::{
    ChangeReason, Credential, CredentialChange, NewSession, Session, TokenInfo, TokenScope,
    TokenUser,
};
pub use domain::call::{
    AgentAttemptInput, AgentWrapUp, CallFilter, CallLeg, CallMetrics, CallRecordInput, CallRow,
    CallSegment, UndecidedCall, WrapUp,
};
pub use domain::call_facts::CallFacts;
pub use domain::contact::{Contact, ContactPhone, ContactUpdate, NewContact, NewPhone, Stage};
pub use domain::customer::Customer;
pub use domain::ids::{
    AlertId, CallId, ContactId, NoteId, PhoneId, RecordingId, TaskId, TokenId, UserId,
};
pub use domain::open_call::{OpenCallRow, OpenCallWrite};
pub use domain::recording::{EMPTY_STATUS, NewRecording, Recording};
pub use domain::user::{Extension, Locale, NewUser, Role, User, Username};
pub use domain::vocabulary::{Direction, Disposition, FcrStatus, HangupBy, LegResult, UnknownWord};
pub use domain::work::{AuditEntry, NewTask, Note, Task, TaskKind, TaskStatus};
pub use error::{StoreError, StoreResult};
pub use phone::{NormalizedNumber, PhoneE164, PhoneNormalizer, is_withheld};
pub use store::{
    AlertStore, AuthStore, CallPartStore, CallStore, CallbackStore, ContactStore, CredentialStore,
    OpenCallStore, PgStore, RecordingStore, SqlStore, SqliteStore, Store, UserStore, WorkStore,
    connect,
};
pub use token::{ApiToken, SessionToken};
