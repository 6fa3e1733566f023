//! Rows as the SQL reads them, one `#[derive(sqlx::FromRow)]` struct per column list of
//! [`sql`](super::sql) (decoded by column name, on either backend), and their conversion
//! into domain values: stored words are parsed back, JSON and hex decoded. The call log's
//! rows are in [`call_rows`](super::call_rows).

use crate::domain::alert::{Alert, AlertKind, AlertState};
use crate::domain::auth::{ChangeReason, CredentialChange, TokenInfo, TokenScope};
use crate::domain::contact::{Contact, ContactPhone, Stage};
use crate::domain::ids::{
    AlertId, CallId, ContactId, NoteId, PhoneId, RecordingId, TaskId, TokenId, UserId,
};
use crate::domain::recording::Recording;
use crate::domain::user::{Extension, Locale, Role, User, Username};
use crate::domain::work::{AuditEntry, Note, Task, TaskKind, TaskStatus};
use crate::phone::PhoneE164;
use crate::{StoreError, StoreResult};

/// A stored value that no longer parses: the database was written by something else.
pub(crate) fn corrupt(err: StoreError) -> StoreError {
    match err {
        StoreError::Invalid(msg) => StoreError::Database(sqlx::Error::Decode(msg.into())),
        other => other,
    }
}

/// A JSON column; a broken value reads as JSON `null` rather than failing the row.
pub(crate) fn json_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
}

/// The columns of `sql::users::user_columns!`.
#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    extension: Option<String>,
    locale: String,
    active: bool,
    created_at_ms: i64,
}

impl UserRow {
    /// The user.
    pub(crate) fn into_user(self) -> StoreResult<User> {
        Ok(User {
            id: UserId(self.id),
            username: Username::parse(&self.username).map_err(corrupt)?,
            display_name: self.display_name,
            role: Role::parse(&self.role).map_err(corrupt)?,
            extension: self
                .extension
                .as_deref()
                .map(Extension::parse)
                .transpose()
                .map_err(corrupt)?,
            locale: Locale::parse(&self.locale).map_err(corrupt)?,
            active: self.active,
            created_at_ms: self.created_at_ms,
        })
    }
}

/// A token's listing (`sql::auth::TOKENS_OF_USER`, `sql::credentials::LIST_TOKENS`).
#[derive(sqlx::FromRow)]
pub(crate) struct TokenInfoRow {
    id: i64,
    user_id: i64,
    scope: String,
    created_at_ms: i64,
    last_used_at_ms: Option<i64>,
    revoked_at_ms: Option<i64>,
}

impl TokenInfoRow {
    /// The listing.
    pub(crate) fn into_info(self) -> StoreResult<TokenInfo> {
        Ok(TokenInfo {
            id: TokenId(self.id),
            user: UserId(self.user_id),
            scope: TokenScope::parse(&self.scope).map_err(corrupt)?,
            created_at_ms: self.created_at_ms,
            last_used_at_ms: self.last_used_at_ms,
            revoked_at_ms: self.revoked_at_ms,
        })
    }
}

/// An audit entry (`sql::auth::AUDIT_LOG`).
#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    at_ms: i64,
    actor_user_id: Option<i64>,
    action: String,
    subject: String,
    detail: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> AuditEntry {
        AuditEntry {
            at_ms: row.at_ms,
            actor: row.actor_user_id.map(UserId),
            action: row.action,
            subject: row.subject,
            detail: json_value(&row.detail),
        }
    }
}

/// A change of the credential log (`sql::credentials::CHANGES_AFTER`).
#[derive(sqlx::FromRow)]
pub(crate) struct CredentialChangeRow {
    seq: i64,
    user_id: i64,
    token_id: Option<i64>,
    session_hash: Option<String>,
    reason: String,
}

impl CredentialChangeRow {
    /// The change (an unknown reason is [`StoreError::Invalid`]).
    pub(crate) fn into_change(self) -> StoreResult<CredentialChange> {
        Ok(CredentialChange {
            seq: self.seq,
            user: UserId(self.user_id),
            token: self.token_id.map(TokenId),
            session_hash: self.session_hash,
            reason: ChangeReason::parse(&self.reason)?,
        })
    }
}

/// The columns of `sql::phones::phone_columns!`.
#[derive(sqlx::FromRow)]
pub(crate) struct PhoneRow {
    id: i64,
    contact_id: i64,
    raw: String,
    e164: Option<String>,
    lookup_key: String,
    label: String,
}

impl From<PhoneRow> for ContactPhone {
    fn from(row: PhoneRow) -> ContactPhone {
        ContactPhone {
            id: PhoneId(row.id),
            contact: ContactId(row.contact_id),
            raw: row.raw,
            e164: row.e164.and_then(|e| PhoneE164::parse(&e).ok()),
            lookup_key: row.lookup_key,
            label: row.label,
        }
    }
}

/// The columns of `sql::contacts::contact_columns!`.
#[derive(sqlx::FromRow)]
pub(crate) struct ContactRow {
    pub(crate) id: i64,
    name: String,
    organisation: Option<String>,
    stage: String,
    email: Option<String>,
    tags: String,
    owner_id: Option<i64>,
    created_at_ms: i64,
    updated_at_ms: i64,
    last_interaction_at_ms: Option<i64>,
}

impl ContactRow {
    /// The contact, with its numbers.
    pub(crate) fn into_contact(self, phones: Vec<ContactPhone>) -> StoreResult<Contact> {
        Ok(Contact {
            id: ContactId(self.id),
            name: self.name,
            organisation: self.organisation,
            stage: Stage::parse(&self.stage).map_err(corrupt)?,
            email: self.email,
            tags: serde_json::from_str(&self.tags).unwrap_or_default(),
            owner: self.owner_id.map(UserId),
            phones,
            created_at_ms: self.created_at_ms,
            updated_at_ms: self.updated_at_ms,
            last_interaction_at_ms: self.last_interaction_at_ms,
        })
    }
}

/// The columns of `sql::recordings::recording_columns!`.
#[derive(sqlx::FromRow)]
pub(crate) struct RecordingRow {
    id: i64,
    call_id: Option<i64>,
    pbx: String,
    linkedid: Option<String>,
    uniqueid: Option<String>,
    sha256: String,
    path: String,
    bytes: i64,
    duration_ms: Option<i64>,
    sample_rate: Option<i64>,
    channels: Option<i64>,
    status: String,
    peaks: String,
    created_at_ms: i64,
}

impl From<RecordingRow> for Recording {
    fn from(row: RecordingRow) -> Recording {
        Recording {
            id: RecordingId(row.id),
            call: row.call_id.map(CallId),
            pbx: row.pbx,
            linkedid: row.linkedid,
            uniqueid: row.uniqueid,
            sha256: row.sha256,
            path: row.path,
            bytes: row.bytes,
            duration_ms: row.duration_ms,
            sample_rate: row.sample_rate,
            channels: row.channels,
            status: row.status,
            peaks: hex::decode(row.peaks).unwrap_or_default(),
            created_at_ms: row.created_at_ms,
        }
    }
}

/// A note (`sql::work::NOTES_OF_CONTACT`).
#[derive(sqlx::FromRow)]
pub(crate) struct NoteRow {
    id: i64,
    contact_id: i64,
    call_id: Option<i64>,
    author_id: Option<i64>,
    body: String,
    created_at_ms: i64,
}

impl From<NoteRow> for Note {
    fn from(row: NoteRow) -> Note {
        Note {
            id: NoteId(row.id),
            contact: ContactId(row.contact_id),
            call: row.call_id.map(CallId),
            author: row.author_id.map(UserId),
            body: row.body,
            created_at_ms: row.created_at_ms,
        }
    }
}

/// The columns of `sql::work::task_columns!`.
#[derive(sqlx::FromRow)]
pub(crate) struct TaskRow {
    id: i64,
    kind: String,
    title: String,
    contact_id: Option<i64>,
    call_id: Option<i64>,
    assignee_id: Option<i64>,
    due_at_ms: Option<i64>,
    status: String,
    created_at_ms: i64,
    closed_at_ms: Option<i64>,
    customer_number_raw: Option<String>,
    customer_number_e164: Option<String>,
    queue: Option<String>,
    assigned_at_ms: Option<i64>,
}

impl TaskRow {
    /// The task.
    pub(crate) fn into_task(self) -> StoreResult<Task> {
        Ok(Task {
            id: TaskId(self.id),
            kind: TaskKind::parse(&self.kind).map_err(corrupt)?,
            title: self.title,
            contact: self.contact_id.map(ContactId),
            call: self.call_id.map(CallId),
            assignee: self.assignee_id.map(UserId),
            due_at_ms: self.due_at_ms,
            status: TaskStatus::parse(&self.status).map_err(corrupt)?,
            created_at_ms: self.created_at_ms,
            closed_at_ms: self.closed_at_ms,
            customer_number_raw: self.customer_number_raw,
            customer_number_e164: self.customer_number_e164,
            queue: self.queue,
            assigned_at_ms: self.assigned_at_ms,
        })
    }
}

/// The columns of `sql::alerts::alert_columns!`.
#[derive(sqlx::FromRow)]
pub(crate) struct AlertRow {
    id: i64,
    kind: String,
    dedupe_key: String,
    queue: Option<String>,
    contact_id: Option<i64>,
    call_id: Option<i64>,
    task_id: Option<i64>,
    detail: String,
    state: String,
    acknowledged_by: Option<i64>,
    acknowledged_at_ms: Option<i64>,
    resolved_by: Option<i64>,
    created_at_ms: i64,
    updated_at_ms: i64,
    resolved_at_ms: Option<i64>,
}

impl AlertRow {
    /// The alert.
    pub(crate) fn into_alert(self) -> StoreResult<Alert> {
        Ok(Alert {
            id: AlertId(self.id),
            kind: AlertKind::parse(&self.kind).map_err(corrupt)?,
            dedupe_key: self.dedupe_key,
            queue: self.queue,
            contact: self.contact_id.map(ContactId),
            call: self.call_id.map(CallId),
            task: self.task_id.map(TaskId),
            detail: json_value(&self.detail),
            state: AlertState::parse(&self.state).map_err(corrupt)?,
            acknowledged_by: self.acknowledged_by.map(UserId),
            acknowledged_at_ms: self.acknowledged_at_ms,
            resolved_by: self.resolved_by.map(UserId),
            created_at_ms: self.created_at_ms,
            updated_at_ms: self.updated_at_ms,
            resolved_at_ms: self.resolved_at_ms,
        })
    }
}

/// Tags as stored: a JSON array.
pub(crate) fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".to_owned())
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub(crate) fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
