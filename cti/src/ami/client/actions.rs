//! Typed actions and answers on top of [`Action`]/[`Message`]: `Originate` (click-to-call)
//! and its outcome, `QueuePause`, and the collected answer of a list action.

use std::time::Duration;

use tokio::sync::oneshot;

use super::error::ClientError;
use crate::ami::{Action, Message};

/// An `Originate`: ring `channel` (an agent's phone) and, once it answers, run the dialplan at
/// `exten@context` (the customer's number), always with `Async: true`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Originate {
    /// The first leg, e.g. `PJSIP/1002`.
    pub channel: String,
    /// Dialplan context of the second leg, e.g. `agents`.
    pub context: String,
    /// Extension (the number to call) in that context.
    pub exten: String,
    /// Dialplan priority, normally 1.
    pub priority: u32,
    /// The caller ID shown on the agent's phone, e.g. `"Click-to-call" <09127654321>`.
    pub caller_id: Option<String>,
    /// How long the agent's phone may ring.
    pub ring_timeout: Duration,
    /// `Variable: NAME=value` lines, e.g. `__TAMAS_CLICK_ID=ctc-7f3a` (`__` makes the variable
    /// inherited by the customer's leg).
    pub variables: Vec<(String, String)>,
}

impl Originate {
    /// An Originate from `channel` to `exten@context`, priority 1, 30 s ring timeout.
    pub fn new(
        channel: impl Into<String>,
        context: impl Into<String>,
        exten: impl Into<String>,
    ) -> Self {
        Originate {
            channel: channel.into(),
            context: context.into(),
            exten: exten.into(),
            priority: 1,
            caller_id: None,
            ring_timeout: Duration::from_secs(30),
            variables: Vec::new(),
        }
    }

    /// The action, headers in the order Asterisk's documentation lists them.
    pub fn to_action(&self) -> Action {
        let mut action = Action::new("Originate")
            .header("Channel", self.channel.as_str())
            .header("Context", self.context.as_str())
            .header("Exten", self.exten.as_str())
            .header("Priority", self.priority.to_string());
        if let Some(caller_id) = &self.caller_id {
            action = action.header("CallerID", caller_id.as_str());
        }
        action = action.header("Timeout", self.ring_timeout.as_millis().to_string());
        for (name, value) in &self.variables {
            action = action.variable(name, value);
        }
        action.header("Async", "true")
    }
}

/// A `QueuePause`: pause or unpause a member (`Interface`) in one queue or in all of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuePause {
    /// The member's interface, e.g. `PJSIP/1003` or `Local/1003@queue-agents/n`.
    pub interface: String,
    /// One queue, or every queue the interface is a member of.
    pub queue: Option<String>,
    /// Pause (`true`) or unpause.
    pub paused: bool,
    /// Why (shown in `QueueMemberPause` as `PausedReason`).
    pub reason: Option<String>,
}

impl QueuePause {
    /// The action, headers in the order of the captures.
    pub fn to_action(&self) -> Action {
        let mut action = Action::new("QueuePause");
        if let Some(queue) = &self.queue {
            action = action.header("Queue", queue.as_str());
        }
        action = action
            .header("Interface", self.interface.as_str())
            .header("Paused", if self.paused { "true" } else { "false" });
        if let Some(reason) = &self.reason {
            action = action.header("Reason", reason.as_str());
        }
        action
    }
}

/// The whole answer to a list action.
///
/// AMI: `Response: Success` with `EventList: start`, the item events carrying the action's
/// ActionID, then the event whose `EventList` is `Complete` (with `ListItems`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListResponse {
    /// The first answer (`Response: Success`, `EventList: start`).
    pub response: Message,
    /// The items, in order.
    pub items: Vec<Message>,
    /// The `…Complete` event; `None` when the PBX answered without a list.
    pub complete: Option<Message>,
}

/// The `OriginateResponse` event that ends an `Async: true` Originate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginateResult {
    message: Message,
}

impl OriginateResult {
    pub(crate) fn new(message: Message) -> Self {
        OriginateResult { message }
    }

    /// Whether the first leg answered (`Response: Success`).
    pub fn answered(&self) -> bool {
        self.message
            .response()
            .is_some_and(|r| r.eq_ignore_ascii_case("Success"))
    }

    /// Asterisk's `Reason` code: 4 answered, 5 busy, 3 no answer (ring timeout), 8
    /// congestion, 0 failed.
    pub fn reason(&self) -> Option<u32> {
        self.message.get("Reason").and_then(|r| r.parse().ok())
    }

    /// The `Uniqueid` of the first leg (the call's Linkedid), when it was created.
    pub fn uniqueid(&self) -> Option<&str> {
        self.message.get("Uniqueid").filter(|u| !u.is_empty())
    }

    /// The event itself.
    pub fn message(&self) -> &Message {
        &self.message
    }
}

/// An Originate the PBX has queued (`Message: Originate successfully queued`), whose
/// outcome comes later.
#[derive(Debug)]
pub struct PendingOriginate {
    /// The immediate response.
    pub queued: Message,
    pub(crate) outcome: oneshot::Receiver<Result<OriginateResult, ClientError>>,
}

impl PendingOriginate {
    /// Waits for the `OriginateResponse` (at most the ring timeout plus the action timeout).
    pub async fn outcome(self) -> Result<OriginateResult, ClientError> {
        self.outcome.await.unwrap_or(Err(ClientError::Closed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn originate_encodes_like_the_capture() {
        let mut originate = Originate::new("PJSIP/1002", "agents", "09127654321");
        originate.caller_id = Some("\"Click-to-call\" <09127654321>".into());
        originate
            .variables
            .push(("__TAMAS_CLICK_ID".into(), "ctc-7f3a".into()));
        let bytes = originate
            .to_action()
            .action_id("tamas-27271-002")
            .to_bytes()
            .unwrap();
        let capture: &[u8] = b"Action: Originate\r\nActionID: tamas-27271-002\r\nChannel: PJSIP/1002\r\nContext: agents\r\nExten: 09127654321\r\nPriority: 1\r\nCallerID: \"Click-to-call\" <09127654321>\r\nTimeout: 30000\r\nVariable: __TAMAS_CLICK_ID=ctc-7f3a\r\nAsync: true\r\n\r\n";
        assert_eq!(&bytes[..], capture);
    }

    #[test]
    fn queue_pause_encodes_like_the_capture() {
        let pause = QueuePause {
            interface: "PJSIP/1003".into(),
            queue: Some("support".into()),
            paused: true,
            reason: Some("lunch".into()),
        };
        let bytes = pause
            .to_action()
            .action_id("tamas-27271-010")
            .to_bytes()
            .unwrap();
        let capture: &[u8] = b"Action: QueuePause\r\nActionID: tamas-27271-010\r\nQueue: support\r\nInterface: PJSIP/1003\r\nPaused: true\r\nReason: lunch\r\n\r\n";
        assert_eq!(&bytes[..], capture);
    }

    #[test]
    fn originate_result_reads_the_event() {
        let msg = Message::parse(
            &b"Event: OriginateResponse\r\nActionID: a\r\nResponse: Failure\r\nReason: 5\r\nUniqueid: <unknown>\r\n\r\n"[..],
        )
        .unwrap();
        let result = OriginateResult::new(msg);
        assert!(!result.answered());
        assert_eq!(result.reason(), Some(5));
    }
}
