//! Alerts ("management by exception", ARCHITECTURE.md "Alerts") and the callbacks an
//! abandoned call creates.
//!
//! An alert is raised for a condition named by its *dedupe key*: while an alert with that
//! key is open or acknowledged, raising it again returns the same alert. Alerts raised
//! `once` (the lead rules) are never raised again for the same key, even after being
//! resolved.

use serde::{Deserialize, Serialize};

use super::ids::{AlertId, CallId, ContactId, TaskId, UserId};
use crate::StoreError;

/// What an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// An inbound call was abandoned in a queue: a callback task was created.
    AbandonedCallback,
    /// A new lead was not called within the first-contact time.
    LeadNotContacted,
    /// A lead had fewer call attempts than required in its first days.
    LeadFewAttempts,
    /// A queue's service level today is under target.
    ServiceLevel,
}

impl AlertKind {
    /// Every kind.
    pub const ALL: [AlertKind; 4] = [
        AlertKind::AbandonedCallback,
        AlertKind::LeadNotContacted,
        AlertKind::LeadFewAttempts,
        AlertKind::ServiceLevel,
    ];

    /// `abandoned_callback`, `lead_not_contacted`, `lead_few_attempts` or `service_level`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::AbandonedCallback => "abandoned_callback",
            AlertKind::LeadNotContacted => "lead_not_contacted",
            AlertKind::LeadFewAttempts => "lead_few_attempts",
            AlertKind::ServiceLevel => "service_level",
        }
    }

    /// Parses the names of [`as_str`](Self::as_str).
    pub fn parse(s: &str) -> Result<AlertKind, StoreError> {
        AlertKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| StoreError::Invalid(format!("unknown alert kind {s:?}")))
    }
}

/// Where an alert is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Raised, nobody has looked at it.
    Open,
    /// A supervisor has seen it; the condition may still hold.
    Acknowledged,
    /// Over: the condition ended, or a supervisor closed it.
    Resolved,
}

impl AlertState {
    /// `open`, `acknowledged` or `resolved`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Open => "open",
            AlertState::Acknowledged => "acknowledged",
            AlertState::Resolved => "resolved",
        }
    }

    /// Parses the names of [`as_str`](Self::as_str).
    pub fn parse(s: &str) -> Result<AlertState, StoreError> {
        match s.trim() {
            "open" => Ok(AlertState::Open),
            "acknowledged" => Ok(AlertState::Acknowledged),
            "resolved" => Ok(AlertState::Resolved),
            other => Err(StoreError::Invalid(format!(
                "unknown alert state {other:?}"
            ))),
        }
    }

    /// Open or acknowledged: the alert still counts.
    pub fn is_live(self) -> bool {
        self != AlertState::Resolved
    }
}

/// An alert.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    /// Row id.
    pub id: AlertId,
    /// What it is about.
    pub kind: AlertKind,
    /// The condition it stands for (one live alert per key).
    pub dedupe_key: String,
    /// The queue concerned.
    pub queue: Option<String>,
    /// The contact concerned.
    pub contact: Option<ContactId>,
    /// The call that raised it.
    pub call: Option<CallId>,
    /// The task it follows (the callback).
    pub task: Option<TaskId>,
    /// A few facts as JSON (the customer's number, a service level…), never secrets.
    pub detail: serde_json::Value,
    /// Where it is.
    pub state: AlertState,
    /// Who acknowledged it.
    pub acknowledged_by: Option<UserId>,
    /// When it was acknowledged.
    pub acknowledged_at_ms: Option<i64>,
    /// Who resolved it (none: resolved automatically).
    pub resolved_by: Option<UserId>,
    /// Raised at, ms since the epoch.
    pub created_at_ms: i64,
    /// Last change.
    pub updated_at_ms: i64,
    /// When it was resolved.
    pub resolved_at_ms: Option<i64>,
}

/// An alert to raise.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAlert {
    /// What it is about.
    pub kind: AlertKind,
    /// The condition (see the module documentation).
    pub dedupe_key: String,
    /// The queue concerned.
    pub queue: Option<String>,
    /// The contact concerned.
    pub contact: Option<ContactId>,
    /// The call that raised it.
    pub call: Option<CallId>,
    /// The task it follows.
    pub task: Option<TaskId>,
    /// A few facts as JSON.
    pub detail: serde_json::Value,
    /// Raise it at most once for this key, ever (not again after it was resolved).
    pub once: bool,
}

/// Which alerts to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertFilter {
    /// Only open and acknowledged ones.
    pub live_only: bool,
    /// Only this kind.
    pub kind: Option<AlertKind>,
    /// At most this many, newest first.
    pub limit: u32,
}

impl Default for AlertFilter {
    fn default() -> Self {
        AlertFilter {
            live_only: true,
            kind: None,
            limit: 500,
        }
    }
}

/// A callback task to create for an abandoned call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCallback {
    /// What to do (1-500 characters).
    pub title: String,
    /// The contact, when the caller is known.
    pub contact: Option<ContactId>,
    /// The number as the PBX gave it.
    pub customer_number_raw: Option<String>,
    /// The number in E.164, when it parses.
    pub customer_number_e164: Option<String>,
    /// The queue the call was abandoned in.
    pub queue: Option<String>,
    /// The abandoned call.
    pub call: Option<CallId>,
    /// The agent to call back (none: nobody could be chosen yet).
    pub assignee: Option<UserId>,
    /// When it is due.
    pub due_at_ms: Option<i64>,
}

/// A lead and its calls, for the lead rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeadActivity {
    /// The contact (stage `lead`).
    pub contact: ContactId,
    /// Its name.
    pub name: String,
    /// When it was created, ms since the epoch.
    pub created_at_ms: i64,
    /// When each of its calls (any direction, any outcome) started, oldest first.
    pub calls_started_at_ms: Vec<i64>,
}
