//! Storage: the [`Store`] trait, its one implementation [`SqlStore<DB>`](SqlStore) — on
//! SQLite ([`SqliteStore`], the embedded default) and on PostgreSQL ([`PgStore`]) — and
//! [`connect`], which picks one from the URL. Each store answers number lookups from its
//! own [`Directory`](crate::Directory) cache of contact cards, which its writes keep
//! correct.
//!
//! `Store` is the sum of eleven traits, one per area: [`UserStore`], [`AuthStore`],
//! [`CredentialStore`], [`ContactStore`], [`CallStore`], [`CallPartStore`],
//! [`RecordingStore`], [`WorkStore`], [`CallbackStore`], [`AlertStore`] and
//! [`OpenCallStore`]. Their methods can be called on an `Arc<dyn Store>` without importing
//! them.
//!
//! Both backends run the same SQL, kept in `const`s beside the code that runs it (`sql`,
//! one module per area), written once as a generic `impl<DB: Backend> … for SqlStore<DB>`
//! and compiled for each backend. Rows are read into `#[derive(sqlx::FromRow)]` structs
//! (`rows`, `call_rows`), filters are built with [`sqlx::QueryBuilder`], and the call
//! upsert binds each value beside its column's name. Each backend has its own migrations
//! (`migrations/sqlite`, `migrations/postgres`) with the same versions and names; only
//! connecting differs (`sqlite`, `postgres`). Timestamps are Unix milliseconds (`i64`);
//! JSON is stored as text.
//!
//! Why generic rather than `sqlx::Any`: `Any` cannot read SQLite's `BOOLEAN` columns (its
//! SQLite mapping knows no `Bool` type and fails the row: "Any driver does not support the
//! SQLite type Bool", launchbadge/sqlx#2778, still so in 0.9), and its `bool` decodes only
//! from a `Bool` value, never from SQLite's integers, so every read of a flag would need a
//! `CAST` in the SQL. Its connect options are a URL only, so WAL, `synchronous`,
//! `cache_size` would become `PRAGMA` strings run after connecting; and it copies every
//! value of every row into its own form, which made bulk reads of a wide table about twice
//! as slow on SQLite. The generic store keeps the SQL, the typed options and the speed; its
//! price is the `where` clause each `impl` repeats (see [`Backend`]).

mod backend;
mod call_rows;
mod postgres;
mod rows;
mod sql;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;

pub use backend::{Backend, RowsAffected, SqlStore};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use crate::directory::ContactCard;
use crate::domain::alert::{Alert, AlertFilter, LeadActivity, NewAlert, NewCallback};
use crate::domain::auth::{
    CredentialChange, NewSession, Session, TokenInfo, TokenScope, TokenUser,
};
use crate::domain::call::{
    AgentWrapUp, CallFilter, CallMetrics, CallRecordInput, CallRow, UndecidedCall, WrapUp,
};
use crate::domain::call_facts::CallFacts;
use crate::domain::contact::{Contact, ContactPhone, ContactUpdate, NewContact, NewPhone};
use crate::domain::customer::Customer;
use crate::domain::ids::{
    AlertId, CallId, ContactId, NoteId, PhoneId, RecordingId, TaskId, TokenId, UserId,
};
use crate::domain::open_call::{OpenCallRow, OpenCallWrite};
use crate::domain::recording::{NewRecording, Recording};
use crate::domain::user::{Locale, NewUser, Role, User};
use crate::domain::work::{AuditEntry, NewTask, Note, Task, TaskStatus};
use crate::phone::PhoneNormalizer;
use crate::token::ApiToken;
use crate::{StoreError, StoreResult};

/// Everything the CRM core stores; used as `Arc<dyn Store>`.
#[async_trait]
pub trait Store:
    UserStore
    + AuthStore
    + CredentialStore
    + ContactStore
    + CallStore
    + CallPartStore
    + RecordingStore
    + WorkStore
    + CallbackStore
    + AlertStore
    + OpenCallStore
    + 'static
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// The number normaliser the store matches numbers with.
    fn normalizer(&self) -> &PhoneNormalizer;
    /// Applies the pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Answers when the database does (for `/readyz`).
    async fn ping(&self) -> StoreResult<()>;
}

/// Users: agents, supervisors and admins.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user; a taken username or extension is [`StoreError::Conflict`].
    async fn create_user(&self, user: &NewUser) -> StoreResult<User>;
    /// A user by id.
    async fn get_user(&self, id: UserId) -> StoreResult<User>;
    /// A user by sign-in name (any case).
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    /// The user with this extension.
    async fn user_by_extension(&self, extension: &str) -> StoreResult<Option<User>>;
    /// Every user, by username.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// The user's argon2id password hash, to verify a sign-in with
    /// [`verify_password`](crate::password::verify_password).
    async fn user_password_hash(&self, id: UserId) -> StoreResult<String>;
    /// Replaces the user's password hash, ending every session of the user (recorded as a
    /// [`CredentialChange`]).
    async fn set_password_hash(&self, id: UserId, hash: &str) -> StoreResult<()>;
    /// Changes the user's UI language.
    async fn set_user_locale(&self, id: UserId, locale: Locale) -> StoreResult<()>;
    /// Lets the user sign in, or not; an inactive user's tokens and sessions stop working
    /// (disabling is recorded as a [`CredentialChange`]).
    async fn set_user_active(&self, id: UserId, active: bool) -> StoreResult<()>;
}

/// API tokens, sign-in sessions and the audit log.
#[async_trait]
pub trait AuthStore: Send + Sync {
    /// Creates an API token; returns its id and the plaintext, shown once.
    async fn create_token(
        &self,
        user: UserId,
        scope: TokenScope,
    ) -> StoreResult<(TokenId, ApiToken)>;
    /// The active user behind a token, if the token is valid and not revoked. A read
    /// only: recording the use is [`record_token_use`](Self::record_token_use)'s job.
    async fn verify_token(&self, token: &str) -> StoreResult<Option<TokenUser>>;
    /// Records that the token was used at `at_ms` (never moving "last used" back).
    async fn record_token_use(&self, id: TokenId, at_ms: i64) -> StoreResult<()>;
    /// Revokes a token (again is fine; an unknown id is [`StoreError::NotFound`]); recorded
    /// as a [`CredentialChange`].
    async fn revoke_token(&self, id: TokenId) -> StoreResult<()>;
    /// A user's tokens, newest first, without their secrets.
    async fn tokens_of_user(&self, user: UserId) -> StoreResult<Vec<TokenInfo>>;
    /// Opens a session for `user` until `expires_at_ms`.
    async fn create_session(&self, user: UserId, expires_at_ms: i64) -> StoreResult<NewSession>;
    /// The session with this cookie value, if it is valid at `now_ms` and its user active.
    async fn get_session(&self, token: &str, now_ms: i64) -> StoreResult<Option<Session>>;
    /// Ends a session (signing out; recorded as a [`CredentialChange`]); an unknown one is
    /// fine.
    async fn delete_session(&self, token: &str) -> StoreResult<()>;
    /// Removes the sessions expired at `now_ms`; returns how many.
    async fn delete_expired_sessions(&self, now_ms: i64) -> StoreResult<u64>;
    /// Appends to the audit log.
    async fn record_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// The latest audit entries, newest first.
    async fn audit_log(&self, limit: u32) -> StoreResult<Vec<AuditEntry>>;
}

/// Changes that end access, and the operations that make them besides those of
/// [`UserStore`] and [`AuthStore`]. Every such change is appended to a log (in the same
/// transaction) that serving processes read to close the WebSockets it names.
#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// Changes a user's role (recorded as a [`CredentialChange`]).
    async fn set_user_role(&self, id: UserId, role: Role) -> StoreResult<()>;
    /// Revokes every live token of `user`; returns how many.
    async fn revoke_tokens_of_user(&self, user: UserId) -> StoreResult<u64>;
    /// Every token, newest first, without their secrets.
    async fn list_tokens(&self) -> StoreResult<Vec<TokenInfo>>;
    /// The changes after `after` (a [`CredentialChange::seq`]), oldest first, at most
    /// `limit`.
    async fn credential_changes_after(
        &self,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<CredentialChange>>;
    /// The `seq` of the latest change (0 without any): where a new reader starts.
    async fn last_credential_change(&self) -> StoreResult<i64>;
    /// Forgets the changes recorded before `before_ms`; returns how many.
    async fn prune_credential_changes(&self, before_ms: i64) -> StoreResult<u64>;
}

/// Contacts, their numbers, and finding them.
#[async_trait]
pub trait ContactStore: Send + Sync {
    /// Creates a contact with its numbers. Earlier calls from those numbers that matched no
    /// contact are linked to it.
    async fn create_contact(&self, contact: &NewContact) -> StoreResult<Contact>;
    /// A contact with its numbers.
    async fn get_contact(&self, id: ContactId) -> StoreResult<Contact>;
    /// Changes a contact's fields.
    async fn update_contact(&self, id: ContactId, update: &ContactUpdate) -> StoreResult<Contact>;
    /// Deletes a contact (its numbers, notes and tasks go with it; its calls stay, unlinked).
    async fn delete_contact(&self, id: ContactId) -> StoreResult<()>;
    /// Adds a number to a contact (and links earlier unmatched calls from it).
    async fn add_phone(&self, contact: ContactId, phone: &NewPhone) -> StoreResult<ContactPhone>;
    /// Replaces a number and its label.
    async fn update_phone(&self, phone: PhoneId, new: &NewPhone) -> StoreResult<ContactPhone>;
    /// Removes a number; returns what was removed.
    async fn remove_phone(&self, phone: PhoneId) -> StoreResult<ContactPhone>;
    /// Contacts, most recently changed first, `limit` of them after skipping `offset`.
    async fn list_contacts(&self, offset: u32, limit: u32) -> StoreResult<Vec<Contact>>;
    /// Contacts whose name, organisation or e-mail contains `query` (case-insensitive,
    /// Persian and Arabic letter forms alike), or with a number matching it in any format
    /// (whole, or at least 4 consecutive digits of it); by name, at most `limit`.
    async fn search_contacts(&self, query: &str, limit: u32) -> StoreResult<Vec<Contact>>;
    /// Every contact with this number (any format): ranked owner (`for_user`) first, then
    /// most recent interaction; each with its last 5 calls and open tasks. Answered from the
    /// store's [`Directory`](crate::Directory) cache when it can; a lookup after a write
    /// through the same store always sees the write.
    async fn lookup_number(
        &self,
        number: &str,
        for_user: Option<UserId>,
    ) -> StoreResult<Vec<ContactCard>>;
}

/// The call log.
#[async_trait]
pub trait CallStore: Send + Sync {
    /// Writes a call: an idempotent upsert on (pbx, linkedid). The same version twice
    /// changes nothing; a more complete version replaces a less complete one, never the
    /// reverse; wrap-up fields are never touched. The contact is matched by the customer's
    /// number when exactly one contact has it (a shared number waits for
    /// [`CallStore::link_call_contact`]; a withheld one matches nobody), and the answering
    /// agent's user by extension, at write time.
    async fn record_call(&self, call: &CallRecordInput) -> StoreResult<CallId>;
    /// A call by id.
    async fn get_call(&self, id: CallId) -> StoreResult<CallRow>;
    /// A call by its PBX and Linkedid.
    async fn call_by_linkedid(&self, pbx: &str, linkedid: &str) -> StoreResult<Option<CallRow>>;
    /// Calls matching `filter`, newest first.
    async fn list_calls(&self, filter: &CallFilter) -> StoreResult<Vec<CallRow>>;
    /// Gives `each` the [`CallFacts`] of every call started in `[from_ms, to_ms)`, oldest
    /// first, a row at a time: a period's figures are folded over its calls as they are
    /// read, without holding them.
    async fn fold_call_facts(
        &self,
        from_ms: i64,
        to_ms: i64,
        each: &mut (dyn FnMut(CallFacts) + Send),
    ) -> StoreResult<()>;
    /// The [`CallFacts`] of every call started in `[from_ms, to_ms)`, oldest first.
    async fn call_facts(&self, from_ms: i64, to_ms: i64) -> StoreResult<Vec<CallFacts>> {
        let mut facts = Vec::new();
        self.fold_call_facts(from_ms, to_ms, &mut |call| facts.push(call))
            .await?;
        Ok(facts)
    }
    /// Saves the agent's wrap-up of a call (again: replaces it); returns the call.
    async fn save_wrapup(&self, call: CallId, wrapup: &WrapUp) -> StoreResult<CallRow>;
    /// Stores the per-call figures the metrics job computed.
    async fn set_call_metrics(&self, call: CallId, metrics: &CallMetrics) -> StoreResult<()>;
    /// Links a call to the contact somebody picked (again: to another one); the contact
    /// must have the call's number, else [`StoreError::Invalid`]. Returns the call.
    async fn link_call_contact(&self, call: CallId, contact: ContactId) -> StoreResult<CallRow>;
    /// The calls of no contact from a number `contact` shares with other contacts (none
    /// picked yet), newest first, filtered by `filter` (its `contact` ignored), each with
    /// every contact that has its number.
    async fn undecided_calls(
        &self,
        contact: ContactId,
        filter: &CallFilter,
    ) -> StoreResult<Vec<UndecidedCall>>;
    /// The contacts that have a call's number (ascending ids): the ones it may be linked to.
    async fn call_candidates(&self, call: CallId) -> StoreResult<Vec<ContactId>>;
}

/// What agents add to a call besides the PBX's record: the contact picked for a shared
/// number's call (also while it is in progress) and each agent's own wrap-up.
#[async_trait]
pub trait CallPartStore: Send + Sync {
    /// Remembers the contact somebody picked for the call (`pbx`, `linkedid`) while it is
    /// in progress, durably: when the call log writes the call, it is linked to that
    /// contact (if the contact has its number). If the log has the call already, it is
    /// linked at once (as [`CallStore::link_call_contact`]) and returned.
    async fn remember_contact_pick(
        &self,
        pbx: &str,
        linkedid: &str,
        contact: ContactId,
    ) -> StoreResult<Option<CallRow>>;
    /// Saves the wrap-up of agent `extension` for their part of a call (again: replaces
    /// theirs). The call's own wrap-up (what FCR and service requests read) is its last
    /// talker's: it is replaced only when `extension` talked last, or nobody talked.
    /// Returns the call.
    async fn save_agent_wrapup(
        &self,
        call: CallId,
        extension: &str,
        wrapup: &WrapUp,
    ) -> StoreResult<CallRow>;
    /// Each agent's own wrap-up of a call, in the order they were saved.
    async fn agent_wrapups(&self, call: CallId) -> StoreResult<Vec<AgentWrapUp>>;
}

/// Recordings' metadata.
#[async_trait]
pub trait RecordingStore: Send + Sync {
    /// Registers a recording, linked to its call (given, or found by PBX and Linkedid; a
    /// call written later adopts it). The same file for the same call again returns the
    /// first row.
    async fn add_recording(&self, recording: &NewRecording) -> StoreResult<Recording>;
    /// A recording by id.
    async fn get_recording(&self, id: RecordingId) -> StoreResult<Recording>;
    /// A call's recordings, oldest first.
    async fn recordings_of_call(&self, call: CallId) -> StoreResult<Vec<Recording>>;
    /// The call a recording of the channel `uniqueid` belongs to: the call whose Linkedid
    /// it is, or whose MixMonitor file (as the tracker saw it) is named after it.
    async fn call_of_recording(&self, pbx: &str, uniqueid: &str) -> StoreResult<Option<CallId>>;
    /// Recordings registered before `before_ms`, oldest first, at most `limit`, leaving
    /// out those of calls marked "keep" (what retention deletes).
    async fn recordings_older_than(
        &self,
        before_ms: i64,
        limit: u32,
    ) -> StoreResult<Vec<Recording>>;
    /// Deletes a recording's metadata; returns whether another recording still refers to
    /// the same content (then the file must stay in the store).
    async fn delete_recording(&self, id: RecordingId) -> StoreResult<bool>;
    /// Marks a call "keep" (exempt from retention) or clears the mark.
    async fn set_call_keep(&self, call: CallId, keep: bool) -> StoreResult<()>;
    /// Whether a call is marked "keep".
    async fn call_kept(&self, call: CallId) -> StoreResult<bool>;
    /// Records that the spool recording (or file) known by `file_key` was taken; `false`
    /// if it already was. The key is the watcher's: the store only compares it.
    async fn take_spool_file(&self, file_key: &str) -> StoreResult<bool>;
    /// Whether the spool recording (or file) known by `file_key` was taken before.
    async fn spool_file_taken(&self, file_key: &str) -> StoreResult<bool>;
}

/// Notes and tasks.
#[async_trait]
pub trait WorkStore: Send + Sync {
    /// Adds a note to a contact.
    async fn add_note(
        &self,
        contact: ContactId,
        call: Option<CallId>,
        author: Option<UserId>,
        body: &str,
    ) -> StoreResult<Note>;
    /// A contact's notes, newest first.
    async fn notes(&self, contact: ContactId) -> StoreResult<Vec<Note>>;
    /// Deletes a note.
    async fn delete_note(&self, id: NoteId) -> StoreResult<()>;
    /// Creates a task (open).
    async fn create_task(&self, task: &NewTask) -> StoreResult<Task>;
    /// A task by id.
    async fn get_task(&self, id: TaskId) -> StoreResult<Task>;
    /// Closes or reopens a task.
    async fn set_task_status(&self, id: TaskId, status: TaskStatus) -> StoreResult<Task>;
    /// A contact's tasks (only open ones when `open_only`), by due time.
    async fn tasks_of_contact(&self, contact: ContactId, open_only: bool)
    -> StoreResult<Vec<Task>>;
    /// A user's tasks (only open ones when `open_only`), by due time.
    async fn tasks_of_assignee(&self, user: UserId, open_only: bool) -> StoreResult<Vec<Task>>;
}

/// Callback tasks: what an abandoned call leaves to do.
#[async_trait]
pub trait CallbackStore: Send + Sync {
    /// Creates an open callback task (assigned now when it has an assignee).
    async fn create_callback(&self, callback: &NewCallback) -> StoreResult<Task>;
    /// The customer's open callback, if any (the oldest): by contact, or for an unknown
    /// caller by number (E.164, else raw) among callbacks without a contact.
    async fn open_callback(&self, customer: &Customer) -> StoreResult<Option<Task>>;
    /// Every open callback, oldest first.
    async fn open_callbacks(&self) -> StoreResult<Vec<Task>>;
    /// Gives a task to `assignee` (or nobody), now.
    async fn assign_task(&self, id: TaskId, assignee: Option<UserId>) -> StoreResult<Task>;
}

/// Calls in progress, saved by the PBX link as they change so that a restart loses none.
#[async_trait]
pub trait OpenCallStore: Send + Sync {
    /// Applies `changes` to the open calls of `pbx`, in order, in one transaction.
    async fn write_open_calls(&self, pbx: &str, changes: &[OpenCallWrite]) -> StoreResult<()>;
    /// Records that every open call of `pbx` was still open at PBX time `seen_at_ms`.
    async fn touch_open_calls(&self, pbx: &str, seen_at_ms: i64) -> StoreResult<()>;
    /// The open calls of `pbx`.
    async fn open_calls(&self, pbx: &str) -> StoreResult<Vec<OpenCallRow>>;
}

/// Alerts, and the leads the lead rules look at.
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Raises an alert, unless one with the same dedupe key is live (open or
    /// acknowledged) — or, for `once` alerts, exists at all. Returns the alert and
    /// whether it is new.
    async fn raise_alert(&self, alert: &NewAlert) -> StoreResult<(Alert, bool)>;
    /// An alert by id.
    async fn get_alert(&self, id: AlertId) -> StoreResult<Alert>;
    /// Alerts matching `filter`, newest first.
    async fn list_alerts(&self, filter: &AlertFilter) -> StoreResult<Vec<Alert>>;
    /// Marks an open alert acknowledged by `by` (an acknowledged or resolved one is left
    /// as it is); returns it.
    async fn acknowledge_alert(&self, id: AlertId, by: UserId) -> StoreResult<Alert>;
    /// Resolves a live alert, by a user or (`None`) automatically; a resolved one is left
    /// as it is. Returns it.
    async fn resolve_alert(&self, id: AlertId, by: Option<UserId>) -> StoreResult<Alert>;
    /// Replaces an alert's detail (e.g. a new service level, a new assignee).
    async fn update_alert_detail(
        &self,
        id: AlertId,
        detail: &serde_json::Value,
    ) -> StoreResult<Alert>;
    /// Leads (contacts at stage `lead`) created at or after `created_since_ms`, oldest
    /// first, at most `limit`, each with the start times of its calls.
    async fn leads_since(
        &self,
        created_since_ms: i64,
        limit: u32,
    ) -> StoreResult<Vec<LeadActivity>>;
}

/// Opens the database named by `url` — `sqlite:PATH` (the file is created when missing;
/// `sqlite::memory:` for a throw-away one) or `postgres://…` — without migrating it, with
/// an empty [`Directory`](crate::Directory) cache. Numbers are read with `normalizer`.
pub async fn connect(url: &str, normalizer: PhoneNormalizer) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url, normalizer).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url, normalizer).await?))
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}

/// Milliseconds since the epoch, now.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
