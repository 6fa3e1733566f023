//! `crm-core`: the CRM core of Tamas.
//!
//! - [`domain`]: users, contacts and their numbers, calls, notes, tasks, audit entries.
//! - [`phone`]: numbers in any format → E.164 and lookup keys.
//! - [`password`] and [`token`]: argon2id password hashes, API tokens stored hashed.
//! - [`store`]: the [`Store`] trait with its SQLite and PostgreSQL implementations, chosen
//!   by [`connect`] from the URL; SQL lives only there.
//! - [`directory`]: number → contact cards, the hot path of every ringing call, cached.
//! - [`import`]: contacts from CSV.
//! - [`metrics`]: waiting time, service level, AHT and first-call resolution from the call
//!   log.

pub mod directory;
pub mod domain;
mod error;
pub mod import;
pub mod metrics;
pub mod password;
pub mod phone;
pub mod store;
pub mod token;

pub use directory::{ContactCard, DirectoryCache};
pub use domain::call::{AgentAttemptInput, CallFilter, CallRecordInput, CallRow};
pub use domain::contact::{Contact, ContactPhone, ContactUpdate, NewContact, NewPhone, Stage};
pub use domain::ids::{CallId, ContactId, NoteId, PhoneId, RecordingId, TaskId, TokenId, UserId};
pub use domain::user::{Extension, Locale, NewUser, Role, TokenScope, TokenUser, User, Username};
pub use domain::work::{AuditEntry, NewTask, Note, Task, TaskKind, TaskStatus};
pub use error::{StoreError, StoreResult};
pub use phone::{NormalizedNumber, PhoneE164, PhoneNormalizer};
pub use store::{Store, connect};
