//! Notes, tasks and the audit log.

use serde::{Deserialize, Serialize};

use super::ids::{CallId, ContactId, NoteId, TaskId, UserId};
use crate::StoreError;

/// A note on a contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    /// Row id.
    pub id: NoteId,
    /// The contact.
    pub contact: ContactId,
    /// The call it is about, if any.
    pub call: Option<CallId>,
    /// Who wrote it.
    pub author: Option<UserId>,
    /// The text.
    pub body: String,
    /// When, ms since the epoch.
    pub created_at_ms: i64,
}

/// What a task is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Follow up on something.
    FollowUp,
    /// Call the customer back.
    Callback,
}

impl TaskKind {
    /// `follow_up` or `callback`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::FollowUp => "follow_up",
            TaskKind::Callback => "callback",
        }
    }

    /// Parses `follow_up` / `callback`.
    pub fn parse(s: &str) -> Result<TaskKind, StoreError> {
        match s.trim() {
            "follow_up" => Ok(TaskKind::FollowUp),
            "callback" => Ok(TaskKind::Callback),
            other => Err(StoreError::Invalid(format!("unknown task kind {other:?}"))),
        }
    }
}

/// Where a task is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// To do.
    Open,
    /// Done.
    Done,
    /// No longer needed.
    Cancelled,
}

impl TaskStatus {
    /// `open`, `done` or `cancelled`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    /// Parses `open` / `done` / `cancelled`.
    pub fn parse(s: &str) -> Result<TaskStatus, StoreError> {
        match s.trim() {
            "open" => Ok(TaskStatus::Open),
            "done" => Ok(TaskStatus::Done),
            "cancelled" => Ok(TaskStatus::Cancelled),
            other => Err(StoreError::Invalid(format!(
                "unknown task status {other:?}"
            ))),
        }
    }
}

/// A task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Task {
    /// Row id.
    pub id: TaskId,
    /// Follow-up or callback.
    pub kind: TaskKind,
    /// What to do.
    pub title: String,
    /// The contact it is about.
    pub contact: Option<ContactId>,
    /// The call it came from.
    pub call: Option<CallId>,
    /// Who should do it.
    pub assignee: Option<UserId>,
    /// When it is due, ms since the epoch.
    pub due_at_ms: Option<i64>,
    /// Where it is.
    pub status: TaskStatus,
    /// Creation time.
    pub created_at_ms: i64,
    /// When it was done or cancelled.
    pub closed_at_ms: Option<i64>,
    /// Callbacks: the customer's number as the PBX gave it (an unknown caller has no
    /// contact).
    pub customer_number_raw: Option<String>,
    /// Callbacks: that number in E.164, when it parses.
    pub customer_number_e164: Option<String>,
    /// Callbacks: the queue the call was abandoned in.
    pub queue: Option<String>,
    /// When it was last given to its assignee (callbacks are reassigned when not done in
    /// time).
    pub assigned_at_ms: Option<i64>,
}

/// A task to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTask {
    /// Follow-up or callback.
    pub kind: TaskKind,
    /// What to do (required).
    pub title: String,
    /// The contact it is about.
    pub contact: Option<ContactId>,
    /// The call it came from.
    pub call: Option<CallId>,
    /// Who should do it.
    pub assignee: Option<UserId>,
    /// When it is due.
    pub due_at_ms: Option<i64>,
}

impl NewTask {
    /// Checks the title (1-500 characters after trimming) and returns it trimmed.
    pub(crate) fn validated_title(&self) -> Result<String, StoreError> {
        validate_task_title(&self.title)
    }
}

/// Checks a task's title (1-500 characters after trimming) and returns it trimmed.
pub(crate) fn validate_task_title(title: &str) -> Result<String, StoreError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 500 {
        return Err(StoreError::Invalid(
            "a task title has 1-500 characters".into(),
        ));
    }
    Ok(title.to_owned())
}

/// Checks a note's text (1-10 000 characters after trimming) and returns it trimmed.
pub(crate) fn validate_note_body(body: &str) -> Result<String, StoreError> {
    let body = body.trim();
    if body.is_empty() || body.chars().count() > 10_000 {
        return Err(StoreError::Invalid("a note has 1-10000 characters".into()));
    }
    Ok(body.to_owned())
}

/// One line of the audit log: who did what to what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// Who (none for the system).
    pub actor: Option<UserId>,
    /// What, e.g. `user.create`, `token.create`, `recording.play`.
    pub action: String,
    /// On what, e.g. `user:3`.
    pub subject: String,
    /// Details as JSON (never secrets).
    pub detail: serde_json::Value,
}
