//! Turning rows back into domain values, once for both backends: [`Columns`] reads typed
//! columns from a SQLite or a PostgreSQL row, and the functions here build the domain types
//! from the column lists in [`sql`](super::sql).

use std::str::FromStr;

use crate::domain::alert::{Alert, AlertKind, AlertState};
use crate::domain::auth::{TokenInfo, TokenScope};
use crate::domain::call::{AgentWrapUp, CallLeg, CallMetrics, CallRow, CallSegment, WrapUp};
use crate::domain::call_facts::CallFacts;
use crate::domain::contact::{Contact, ContactPhone, Stage};
use crate::domain::ids::{
    AlertId, CallId, ContactId, NoteId, PhoneId, RecordingId, TaskId, TokenId, UserId,
};
use crate::domain::recording::Recording;
use crate::domain::user::{Extension, Locale, Role, User, Username};
use crate::domain::vocabulary::UnknownWord;
use crate::domain::work::{AuditEntry, Note, Task, TaskKind, TaskStatus};
use crate::phone::PhoneE164;
use crate::{StoreError, StoreResult};

/// Typed access to a row's columns by name.
pub(crate) trait Columns {
    /// An integer column.
    fn int(&self, column: &str) -> StoreResult<i64>;
    /// A nullable integer column.
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>>;
    /// A text column.
    fn text(&self, column: &str) -> StoreResult<String>;
    /// A nullable text column.
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>>;
    /// A boolean column.
    fn flag(&self, column: &str) -> StoreResult<bool>;
    /// A nullable boolean column.
    fn opt_flag(&self, column: &str) -> StoreResult<Option<bool>>;
}

impl<R: sqlx::Row> Columns for R
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    fn int(&self, column: &str) -> StoreResult<i64> {
        Ok(self.try_get(column)?)
    }
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>> {
        Ok(self.try_get(column)?)
    }
    fn text(&self, column: &str) -> StoreResult<String> {
        Ok(self.try_get(column)?)
    }
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        Ok(self.try_get(column)?)
    }
    fn flag(&self, column: &str) -> StoreResult<bool> {
        Ok(self.try_get(column)?)
    }
    fn opt_flag(&self, column: &str) -> StoreResult<Option<bool>> {
        Ok(self.try_get(column)?)
    }
}

/// A stored value that no longer parses: the database was written by something else.
fn corrupt(err: StoreError) -> StoreError {
    match err {
        StoreError::Invalid(msg) => StoreError::Database(sqlx::Error::Decode(msg.into())),
        other => other,
    }
}

/// A stored word of a call's vocabulary ([`Direction`](crate::Direction), …).
fn word<T: FromStr<Err = UnknownWord>>(row: &impl Columns, column: &str) -> StoreResult<T> {
    row.text(column)?.parse().map_err(decode)
}

/// A nullable stored word.
fn opt_word<T: FromStr<Err = UnknownWord>>(
    row: &impl Columns,
    column: &str,
) -> StoreResult<Option<T>> {
    row.opt_text(column)?
        .map(|text| text.parse().map_err(decode))
        .transpose()
}

fn decode(err: UnknownWord) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(err.into()))
}

/// A user from the columns of `sql::users::user_columns!`.
pub(crate) fn user(row: &impl Columns) -> StoreResult<User> {
    Ok(User {
        id: UserId(row.int("id")?),
        username: Username::parse(&row.text("username")?).map_err(corrupt)?,
        display_name: row.text("display_name")?,
        role: Role::parse(&row.text("role")?).map_err(corrupt)?,
        extension: row
            .opt_text("extension")?
            .as_deref()
            .map(Extension::parse)
            .transpose()
            .map_err(corrupt)?,
        locale: Locale::parse(&row.text("locale")?).map_err(corrupt)?,
        active: row.flag("active")?,
        created_at_ms: row.int("created_at_ms")?,
    })
}

/// A token's listing from `sql::auth::TOKEN_COLUMNS`.
pub(crate) fn token_info(row: &impl Columns) -> StoreResult<TokenInfo> {
    Ok(TokenInfo {
        id: TokenId(row.int("id")?),
        user: UserId(row.int("user_id")?),
        scope: TokenScope::parse(&row.text("scope")?).map_err(corrupt)?,
        created_at_ms: row.int("created_at_ms")?,
        last_used_at_ms: row.opt_int("last_used_at_ms")?,
        revoked_at_ms: row.opt_int("revoked_at_ms")?,
    })
}

/// An audit entry.
pub(crate) fn audit_entry(row: &impl Columns) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        at_ms: row.int("at_ms")?,
        actor: row.opt_int("actor_user_id")?.map(UserId),
        action: row.text("action")?,
        subject: row.text("subject")?,
        detail: json_value(&row.text("detail")?),
    })
}

/// A phone from the columns of `sql::contacts::phone_columns!`.
pub(crate) fn phone(row: &impl Columns) -> StoreResult<ContactPhone> {
    Ok(ContactPhone {
        id: PhoneId(row.int("id")?),
        contact: ContactId(row.int("contact_id")?),
        raw: row.text("raw")?,
        e164: row
            .opt_text("e164")?
            .and_then(|e| PhoneE164::parse(&e).ok()),
        lookup_key: row.text("lookup_key")?,
        label: row.text("label")?,
    })
}

/// A contact from the columns of `sql::contacts::contact_columns!`, with its
/// numbers.
pub(crate) fn contact(row: &impl Columns, phones: Vec<ContactPhone>) -> StoreResult<Contact> {
    Ok(Contact {
        id: ContactId(row.int("id")?),
        name: row.text("name")?,
        organisation: row.opt_text("organisation")?,
        stage: Stage::parse(&row.text("stage")?).map_err(corrupt)?,
        email: row.opt_text("email")?,
        tags: serde_json::from_str(&row.text("tags")?).unwrap_or_default(),
        owner: row.opt_int("owner_id")?.map(UserId),
        phones,
        created_at_ms: row.int("created_at_ms")?,
        updated_at_ms: row.int("updated_at_ms")?,
        last_interaction_at_ms: row.opt_int("last_interaction_at_ms")?,
    })
}

/// A leg from the columns of `sql::calls::LEGS_OF_CALLS`.
pub(crate) fn leg(row: &impl Columns) -> StoreResult<CallLeg> {
    Ok(CallLeg {
        extension: row.opt_text("extension")?,
        result: word(row, "result")?,
        ring_ms: row.opt_int("ring_ms")?,
        talk_ms: row.opt_int("talk_ms")?,
        rang_at_ms: row.int("rang_at_ms")?,
    })
}

/// One agent's part in a call, from a `call_segments` row.
pub(crate) fn segment(row: &impl Columns) -> StoreResult<CallSegment> {
    Ok(CallSegment {
        extension: row.text("extension")?,
        connected_at_ms: row.int("connected_at_ms")?,
        talk_ms: row.opt_int("talk_ms")?,
    })
}

/// One agent's wrap-up of a call, from a `call_wrapups` row.
pub(crate) fn agent_wrapup(row: &impl Columns) -> StoreResult<AgentWrapUp> {
    Ok(AgentWrapUp {
        extension: row.text("extension")?,
        wrapup: WrapUp {
            outcome: row.text("outcome")?,
            resolved: row.opt_flag("resolved")?,
            note: row.opt_text("note")?,
            wrapup_ms: row.opt_int("wrapup_ms")?,
        },
        saved_at_ms: row.int("saved_at_ms")?,
    })
}

/// A call from the columns of `sql::calls::call_columns!`, with its legs and segments.
pub(crate) fn call(
    row: &impl Columns,
    legs: Vec<CallLeg>,
    segments: Vec<CallSegment>,
) -> StoreResult<CallRow> {
    Ok(CallRow {
        id: CallId(row.int("id")?),
        pbx: row.text("pbx")?,
        linkedid: row.text("linkedid")?,
        direction: word(row, "direction")?,
        customer_number_raw: row.opt_text("customer_number_raw")?,
        customer_number_e164: row.opt_text("customer_number_e164")?,
        customer_name: row.opt_text("customer_name")?,
        contact: row.opt_int("contact_id")?.map(ContactId),
        did: row.opt_text("did")?,
        queue: row.opt_text("queue")?,
        agents_rung: legs,
        answered_by_extension: row.opt_text("answered_by_extension")?,
        answered_by_user: row.opt_int("answered_by_user_id")?.map(UserId),
        agent_extension: row.opt_text("agent_extension")?,
        started_at_ms: row.int("started_at_ms")?,
        queued_at_ms: row.opt_int("queued_at_ms")?,
        answered_at_ms: row.opt_int("answered_at_ms")?,
        ended_at_ms: row.opt_int("ended_at_ms")?,
        wait_ms: row.opt_int("wait_ms")?,
        ring_ms: row.opt_int("ring_ms")?,
        talk_ms: row.opt_int("talk_ms")?,
        hold_ms: row.opt_int("hold_ms")?,
        disposition: word(row, "disposition")?,
        hangup_by: opt_word(row, "hangup_by")?,
        hangup_by_extension: row.opt_text("hangup_by_extension")?,
        hangup_cause: row.opt_int("hangup_cause")?,
        transfers: json_value(&row.text("transfers")?),
        agent_segments: segments,
        recording_file: row.opt_text("recording_file")?,
        click_id: row.opt_text("click_id")?,
        end_known: row.flag("end_known")?,
        failure_reason: row.opt_text("failure_reason")?,
        wrapup_outcome: row.opt_text("wrapup_outcome")?,
        wrapup_resolved: row.opt_flag("wrapup_resolved")?,
        wrapup_note: row.opt_text("wrapup_note")?,
        wrapup_ms: row.opt_int("wrapup_ms")?,
        wrapup_at_ms: row.opt_int("wrapup_at_ms")?,
        metrics: call_metrics(row)?,
    })
}

/// The per-call figures stored on a call, from the columns both call reads select.
fn call_metrics(row: &impl Columns) -> StoreResult<CallMetrics> {
    Ok(CallMetrics {
        service_level_met: row.opt_flag("service_level_met")?,
        first_contact: row.opt_flag("first_contact")?,
        fcr_status: opt_word(row, "fcr_status")?,
        computed_at_ms: row.opt_int("metrics_at_ms")?,
    })
}

/// A call's facts from the columns of `sql::calls::CALL_FACTS`.
pub(crate) fn call_facts(row: &impl Columns) -> StoreResult<CallFacts> {
    Ok(CallFacts {
        id: CallId(row.int("id")?),
        direction: word(row, "direction")?,
        disposition: word(row, "disposition")?,
        queue: row.opt_text("queue")?,
        contact: row.opt_int("contact_id")?.map(ContactId),
        customer_number_raw: row.opt_text("customer_number_raw")?,
        customer_number_e164: row.opt_text("customer_number_e164")?,
        started_at_ms: row.int("started_at_ms")?,
        queued_at_ms: row.opt_int("queued_at_ms")?,
        answered_at_ms: row.opt_int("answered_at_ms")?,
        wait_ms: row.opt_int("wait_ms")?,
        talk_ms: row.opt_int("talk_ms")?,
        hold_ms: row.opt_int("hold_ms")?,
        wrapup_ms: row.opt_int("wrapup_ms")?,
        wrapup_resolved: row.opt_flag("wrapup_resolved")?,
        metrics: call_metrics(row)?,
    })
}

/// A recording from the columns of `sql::recordings::recording_columns!`.
pub(crate) fn recording(row: &impl Columns) -> StoreResult<Recording> {
    Ok(Recording {
        id: RecordingId(row.int("id")?),
        call: row.opt_int("call_id")?.map(CallId),
        pbx: row.text("pbx")?,
        linkedid: row.opt_text("linkedid")?,
        uniqueid: row.opt_text("uniqueid")?,
        sha256: row.text("sha256")?,
        path: row.text("path")?,
        bytes: row.int("bytes")?,
        duration_ms: row.opt_int("duration_ms")?,
        sample_rate: row.opt_int("sample_rate")?,
        channels: row.opt_int("channels")?,
        status: row.text("status")?,
        peaks: hex::decode(row.text("peaks")?).unwrap_or_default(),
        created_at_ms: row.int("created_at_ms")?,
    })
}

/// A note.
pub(crate) fn note(row: &impl Columns) -> StoreResult<Note> {
    Ok(Note {
        id: NoteId(row.int("id")?),
        contact: ContactId(row.int("contact_id")?),
        call: row.opt_int("call_id")?.map(CallId),
        author: row.opt_int("author_id")?.map(UserId),
        body: row.text("body")?,
        created_at_ms: row.int("created_at_ms")?,
    })
}

/// A task from the columns of `sql::work::task_columns!`.
pub(crate) fn task(row: &impl Columns) -> StoreResult<Task> {
    Ok(Task {
        id: TaskId(row.int("id")?),
        kind: TaskKind::parse(&row.text("kind")?).map_err(corrupt)?,
        title: row.text("title")?,
        contact: row.opt_int("contact_id")?.map(ContactId),
        call: row.opt_int("call_id")?.map(CallId),
        assignee: row.opt_int("assignee_id")?.map(UserId),
        due_at_ms: row.opt_int("due_at_ms")?,
        status: TaskStatus::parse(&row.text("status")?).map_err(corrupt)?,
        created_at_ms: row.int("created_at_ms")?,
        closed_at_ms: row.opt_int("closed_at_ms")?,
        customer_number_raw: row.opt_text("customer_number_raw")?,
        customer_number_e164: row.opt_text("customer_number_e164")?,
        queue: row.opt_text("queue")?,
        assigned_at_ms: row.opt_int("assigned_at_ms")?,
    })
}

/// An alert from the columns of `sql::alerts::alert_columns!`.
pub(crate) fn alert(row: &impl Columns) -> StoreResult<Alert> {
    Ok(Alert {
        id: AlertId(row.int("id")?),
        kind: AlertKind::parse(&row.text("kind")?).map_err(corrupt)?,
        dedupe_key: row.text("dedupe_key")?,
        queue: row.opt_text("queue")?,
        contact: row.opt_int("contact_id")?.map(ContactId),
        call: row.opt_int("call_id")?.map(CallId),
        task: row.opt_int("task_id")?.map(TaskId),
        detail: json_value(&row.text("detail")?),
        state: AlertState::parse(&row.text("state")?).map_err(corrupt)?,
        acknowledged_by: row.opt_int("acknowledged_by")?.map(UserId),
        acknowledged_at_ms: row.opt_int("acknowledged_at_ms")?,
        resolved_by: row.opt_int("resolved_by")?.map(UserId),
        created_at_ms: row.int("created_at_ms")?,
        updated_at_ms: row.int("updated_at_ms")?,
        resolved_at_ms: row.opt_int("resolved_at_ms")?,
    })
}

/// A JSON column; a broken value reads as JSON `null` rather than failing the row.
fn json_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
}

/// Tags as stored: a JSON array.
pub(crate) fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".to_owned())
}

/// `$first, $first+1, …` for `count` values of an `IN (…)` list.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
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
