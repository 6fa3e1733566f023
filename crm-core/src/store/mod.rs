//! Storage: the [`Store`] trait and its two implementations, SQLite ([`SqliteStore`], the
//! embedded default) and PostgreSQL ([`PgStore`]), chosen by [`connect`] from the URL.
//!
//! Both run the same SQL ([`queries`]); the method bodies are written once
//! ([`impl_store!`](impl_store)) and compiled for each backend, so they cannot drift apart.
//! Each backend has its own migrations (`migrations/sqlite`, `migrations/postgres`), with
//! the same versions and names.

mod body;
mod postgres;
mod queries;
mod rows;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use crate::directory::ContactCard;
use crate::domain::call::{CallFilter, CallRecordInput, CallRow};
use crate::domain::contact::{Contact, ContactPhone, ContactUpdate, NewContact, NewPhone};
use crate::domain::ids::{CallId, ContactId, PhoneId, TaskId, TokenId, UserId};
use crate::domain::user::{NewUser, TokenScope, TokenUser, User};
use crate::domain::work::{AuditEntry, NewTask, Note, Task, TaskStatus};
use crate::phone::PhoneNormalizer;
use crate::{StoreError, StoreResult};

/// Everything the CRM core stores. Implemented for SQLite and PostgreSQL; used as
/// `Arc<dyn Store>`.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// The number normaliser the store matches numbers with.
    fn normalizer(&self) -> &PhoneNormalizer;
    /// Applies the pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Answers when the database does (for `/readyz`).
    async fn ping(&self) -> StoreResult<()>;

    /// Creates a user; a taken username or extension is [`StoreError::Conflict`].
    async fn create_user(&self, user: &NewUser) -> StoreResult<User>;
    /// A user by id.
    async fn user(&self, id: UserId) -> StoreResult<User>;
    /// A user by sign-in name.
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    /// The user with this extension.
    async fn user_by_extension(&self, extension: &str) -> StoreResult<Option<User>>;
    /// Every user, by username.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// The user's argon2id password hash (to verify a sign-in).
    async fn user_password_hash(&self, id: UserId) -> StoreResult<String>;
    /// Replaces the user's password hash.
    async fn set_password_hash(&self, id: UserId, hash: &str) -> StoreResult<()>;
    /// Changes the user's UI language.
    async fn set_user_locale(&self, id: UserId, locale: crate::Locale) -> StoreResult<()>;

    /// Creates an API token; returns its id and the plaintext, shown once.
    async fn create_token(&self, user: UserId, scope: TokenScope)
    -> StoreResult<(TokenId, String)>;
    /// The active user behind a token, if the token is valid and not revoked.
    async fn verify_token(&self, token: &str) -> StoreResult<Option<TokenUser>>;
    /// Revokes a token.
    async fn revoke_token(&self, id: TokenId) -> StoreResult<()>;

    /// Creates a contact with its numbers.
    async fn create_contact(&self, contact: &NewContact) -> StoreResult<Contact>;
    /// A contact with its numbers.
    async fn contact(&self, id: ContactId) -> StoreResult<Contact>;
    /// Changes a contact's fields.
    async fn update_contact(&self, id: ContactId, update: &ContactUpdate) -> StoreResult<Contact>;
    /// Deletes a contact (its numbers, notes and tasks go with it; its calls stay).
    async fn delete_contact(&self, id: ContactId) -> StoreResult<()>;
    /// Adds a number to a contact.
    async fn add_phone(&self, contact: ContactId, phone: &NewPhone) -> StoreResult<ContactPhone>;
    /// Removes a number.
    async fn remove_phone(&self, phone: PhoneId) -> StoreResult<()>;
    /// Contacts whose name or organisation contains `query`, or with a number matching it
    /// in any format; at most `limit`.
    async fn search_contacts(&self, query: &str, limit: u32) -> StoreResult<Vec<Contact>>;
    /// Every contact with this number (any format): ranked owner (`for_user`) first, then
    /// most recent interaction; each with its last 5 calls and open tasks. Served from the
    /// directory cache, which every write keeps correct.
    async fn lookup_number(
        &self,
        number: &str,
        for_user: Option<UserId>,
    ) -> StoreResult<Vec<ContactCard>>;

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

    /// Creates a task.
    async fn create_task(&self, task: &NewTask) -> StoreResult<Task>;
    /// Closes or reopens a task.
    async fn set_task_status(&self, id: TaskId, status: TaskStatus) -> StoreResult<Task>;
    /// A contact's tasks (only open ones when `open_only`), by due time.
    async fn tasks_of_contact(&self, contact: ContactId, open_only: bool)
    -> StoreResult<Vec<Task>>;

    /// Writes a call: an idempotent upsert on (pbx, linkedid). The contact is matched by
    /// the customer's number and the answering agent's user by extension, at write time.
    async fn record_call(&self, call: &CallRecordInput) -> StoreResult<CallId>;
    /// A call by id.
    async fn call(&self, id: CallId) -> StoreResult<CallRow>;
    /// A call by its PBX and Linkedid.
    async fn call_by_linkedid(&self, pbx: &str, linkedid: &str) -> StoreResult<Option<CallRow>>;
    /// Calls, newest first.
    async fn list_calls(&self, filter: &CallFilter) -> StoreResult<Vec<CallRow>>;

    /// Appends to the audit log.
    async fn record_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// The latest audit entries, newest first.
    async fn audit_log(&self, limit: u32) -> StoreResult<Vec<AuditEntry>>;
}

/// Opens the database named by `url` (`sqlite:PATH`, created when missing, or
/// `postgres://…`) without migrating it; numbers are read with `normalizer`.
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
