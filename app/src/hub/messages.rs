//! The messages the hub fans out (docs/websocket.md): [`Event`]s, numbered per user. The
//! replies a socket gets to its own requests, and what a client may send, are the web
//! side's (`web::ws::protocol`).

use crm_core::UserId;
use cti::tracker::{Direction, Disposition};
use serde::Serialize;

use super::popup::Popup;

/// A message for a user. The hub gives it the user's next `seq`, keeps it in the user's
/// backlog and writes it to every socket of the user.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum Event {
    /// The agent's phone rings (or the agent's outbound call starts): the popup.
    #[serde(rename = "call.ringing")]
    CallRinging(Box<Popup>),
    /// The call was answered.
    #[serde(rename = "call.answered")]
    CallAnswered(CallAnswered),
    /// The call is over.
    #[serde(rename = "call.ended")]
    CallEnded(CallEnded),
    /// A click-to-call could not be placed.
    #[serde(rename = "call.failed")]
    CallFailed(CallFailed),
    /// An agent's state changed.
    #[serde(rename = "agent.state")]
    AgentState(AgentStateChange),
    /// An alert was raised or changed (supervisors and admins; a callback's assignee).
    #[serde(rename = "alert")]
    Alert(Box<AlertMessage>),
}

/// `alert`: an alert as the alerts page lists it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertMessage {
    /// The alert.
    pub id: crm_core::AlertId,
    /// What it is about.
    pub kind: crm_core::AlertKind,
    /// Open, acknowledged or resolved.
    pub state: crm_core::AlertState,
    /// Who or what it is about, as people read it: the contact's name, the caller's
    /// number, or the queue (untrusted text: show it as text).
    pub subject: String,
    /// The queue concerned.
    pub queue: Option<String>,
    /// The contact concerned.
    pub contact_id: Option<crm_core::ContactId>,
    /// The callback task.
    pub task_id: Option<crm_core::TaskId>,
    /// The callback's assignee.
    pub assignee_id: Option<UserId>,
    /// Their name.
    pub assignee: Option<String>,
    /// The rule's facts (numbers, service level, attempts).
    pub detail: serde_json::Value,
    /// Raised at, ms since the epoch.
    pub created_at_ms: i64,
    /// Last change.
    pub updated_at_ms: i64,
}

/// `call.answered`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallAnswered {
    /// The call.
    pub call_id: String,
    /// Who answered (outbound: the calling agent).
    pub extension: Option<String>,
    /// Queue wait until the answer.
    pub wait_ms: Option<u64>,
    /// PBX time, ms since the epoch.
    pub at_ms: i64,
}

/// `call.ended`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallEnded {
    /// The call.
    pub call_id: String,
    /// Inbound, outbound or internal.
    pub direction: Direction,
    /// How it ended for the customer.
    pub disposition: Disposition,
    /// Talk time.
    pub talk_ms: Option<u64>,
    /// The agent handling it.
    pub extension: Option<String>,
    /// The click-to-call request behind it, if any.
    pub click_id: Option<String>,
    /// True for the agents who took part: they should fill in the wrap-up form.
    pub wrapup: bool,
    /// PBX time, ms since the epoch.
    pub at_ms: i64,
}

/// Why a click-to-call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailReason {
    /// The agent's own phone did not answer (or rejected the call).
    AgentNoAnswer,
    /// The agent's phone was busy.
    Busy,
    /// The PBX could not be reached or did not answer.
    PbxUnreachable,
    /// Anything else (congestion, an unknown channel).
    Failed,
}

/// `call.failed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallFailed {
    /// The click-to-call request.
    pub click_id: String,
    /// Why.
    pub reason: FailReason,
    /// The number that was to be called, E.164 when valid.
    pub number: String,
}

/// What an agent is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Free for calls.
    Available,
    /// Paused in the queues.
    Paused,
    /// The phone rings.
    Ringing,
    /// In a call.
    OnCall,
}

/// `agent.state`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AgentStateChange {
    /// The agent.
    pub extension: String,
    /// The new state.
    pub state: AgentState,
    /// Since when, ms since the epoch.
    pub since_ms: i64,
    /// The pause reason, when paused.
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_have_their_wire_names() {
        let event = Event::CallFailed(CallFailed {
            click_id: "ctc-1".into(),
            reason: FailReason::AgentNoAnswer,
            number: "+989121234567".into(),
        });
        let json = serde_json::to_string(&event).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"type":"call.failed","click_id":"ctc-1","reason":"agent_no_answer","number":"+989121234567"}"#
        );
    }
}
