//! The live view of the PBX: the calls in progress right now, kept current from the
//! tracker's [`CallEvent`]s (what `GET /api/calls/active` shows), and the queues with their
//! waiting callers and members ([`queues`], the wallboard's data). It holds no history
//! (finished calls go to the call log) and, like the tracker, does no I/O.

pub mod queues;

use std::collections::HashMap;

use serde::Serialize;

use crate::tracker::{CallEvent, CallEventKind, Direction};

/// Where a call in progress is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveState {
    /// Arrived or dialling; not yet in a queue nor at an agent.
    Started,
    /// Waiting in a queue.
    Queued,
    /// An agent's phone is ringing.
    Ringing,
    /// Connected with an agent (or, outbound, the customer answered).
    Talking,
    /// On hold.
    Held,
}

/// One call in progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LiveCall {
    /// The call's Linkedid.
    pub linkedid: String,
    /// Inbound, outbound or internal, once known.
    pub direction: Option<Direction>,
    /// Where the call is now.
    pub state: LiveState,
    /// The customer's number as the PBX gave it.
    pub customer_number_raw: Option<String>,
    /// The same in E.164.
    pub customer_number_e164: Option<String>,
    /// The caller's name (from the outside world: show it as text).
    pub customer_name: Option<String>,
    /// The queue the call waits or waited in.
    pub queue: Option<String>,
    /// Agents whose phones ring for it now.
    pub ringing: Vec<String>,
    /// The agent on the call.
    pub agent_extension: Option<String>,
    /// Tamas' click-to-call request id.
    pub click_id: Option<String>,
    /// PBX time the call was first seen, ms since the epoch.
    pub started_at_ms: i64,
    /// PBX time it joined the queue.
    pub queued_at_ms: Option<i64>,
    /// PBX time it was answered.
    pub answered_at_ms: Option<i64>,
    /// Uniqueid of the channel MixMonitor records (the spool files' name), once it started.
    #[serde(skip)]
    pub recording_uniqueid: Option<String>,
}

impl LiveCall {
    /// A call first seen at `started_at_ms`, of which nothing else is known yet.
    fn new(linkedid: String, started_at_ms: i64) -> Self {
        LiveCall {
            linkedid,
            direction: None,
            state: LiveState::Started,
            customer_number_raw: None,
            customer_number_e164: None,
            customer_name: None,
            queue: None,
            ringing: Vec::new(),
            agent_extension: None,
            click_id: None,
            started_at_ms,
            queued_at_ms: None,
            answered_at_ms: None,
            recording_uniqueid: None,
        }
    }

    /// Moves the call on by one tracker event (not `Ended`: an ended call is dropped)
    /// that happened at `at_ms`.
    fn follow(&mut self, kind: &CallEventKind, at_ms: i64) {
        match kind {
            CallEventKind::Started {
                direction,
                customer_number_raw,
                customer_number_e164,
                customer_name,
                agent_extension,
                ..
            } => {
                self.direction = Some(*direction);
                self.customer_number_raw.clone_from(customer_number_raw);
                self.customer_number_e164.clone_from(customer_number_e164);
                self.customer_name.clone_from(customer_name);
                if agent_extension.is_some() {
                    self.agent_extension.clone_from(agent_extension);
                }
            }
            CallEventKind::Queued { queue, .. } => {
                self.queue = Some(queue.clone());
                self.queued_at_ms = Some(at_ms);
                self.state = LiveState::Queued;
            }
            CallEventKind::AgentRinging { extension, .. } => self.ring(extension),
            CallEventKind::AgentRingStopped { extension, .. } => {
                self.stop_ringing(extension.as_deref());
            }
            CallEventKind::Answered { extension, .. } => {
                self.ringing.clear();
                self.state = LiveState::Talking;
                self.answered_at_ms.get_or_insert(at_ms);
                if extension.is_some() {
                    self.agent_extension.clone_from(extension);
                }
            }
            CallEventKind::AgentJoined { extension, .. } => {
                self.ringing.retain(|e| e != extension);
                self.agent_extension = Some(extension.clone());
            }
            CallEventKind::AgentLeft { .. } => {}
            CallEventKind::Held => self.state = LiveState::Held,
            CallEventKind::Unheld { .. } => self.state = LiveState::Talking,
            CallEventKind::Transferred(transfer) => {
                if transfer.succeeded && transfer.to_extension.is_some() {
                    self.agent_extension.clone_from(&transfer.to_extension);
                }
            }
            CallEventKind::RecordingStarted(recording) => {
                self.recording_uniqueid = Some(recording.channel_uniqueid.clone());
            }
            CallEventKind::Ended(_) => {}
        }
    }

    /// An agent's phone rings for the call (it stays in conversation if it is in one).
    fn ring(&mut self, extension: &str) {
        if !self.ringing.iter().any(|e| e == extension) {
            self.ringing.push(extension.to_owned());
        }
        if self.state != LiveState::Talking && self.state != LiveState::Held {
            self.state = LiveState::Ringing;
        }
    }

    /// An agent's phone (or, `None`, none in particular) stopped ringing; with no phone
    /// ringing any more the call is back in its queue, or just started.
    fn stop_ringing(&mut self, extension: Option<&str>) {
        if let Some(extension) = extension {
            self.ringing.retain(|e| e != extension);
        }
        if self.ringing.is_empty() && self.state == LiveState::Ringing {
            self.state = if self.queue.is_some() {
                LiveState::Queued
            } else {
                LiveState::Started
            };
        }
    }
}

/// The calls in progress, keyed by Linkedid.
#[derive(Clone, Debug, Default)]
pub struct LiveCalls {
    calls: HashMap<String, LiveCall>,
}

impl LiveCalls {
    /// An empty view.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one tracker event.
    pub fn apply(&mut self, event: &CallEvent) {
        if let CallEventKind::Ended(_) = event.kind {
            self.calls.remove(&event.linkedid);
            return;
        }
        let call = self
            .calls
            .entry(event.linkedid.clone())
            .or_insert_with(|| LiveCall::new(event.linkedid.clone(), event.at_ms));
        if call.click_id.is_none() {
            call.click_id.clone_from(&event.click_id);
        }
        call.follow(&event.kind, event.at_ms);
    }

    /// The calls in progress, oldest first.
    pub fn snapshot(&self) -> Vec<LiveCall> {
        let mut calls: Vec<LiveCall> = self.calls.values().cloned().collect();
        calls.sort_by(|a, b| {
            a.started_at_ms
                .cmp(&b.started_at_ms)
                .then_with(|| a.linkedid.cmp(&b.linkedid))
        });
        calls
    }

    /// Whether a call in progress owns the recording named after the channel `uniqueid`
    /// (MixMonitor's `${UNIQUEID}.wav`): its recording started on that channel, or the call's
    /// Linkedid is that Uniqueid (the recorded channel of an inbound call is the first one).
    pub fn is_recording(&self, uniqueid: &str) -> bool {
        self.calls.contains_key(uniqueid)
            || self
                .calls
                .values()
                .any(|c| c.recording_uniqueid.as_deref() == Some(uniqueid))
    }

    /// How many calls are in progress.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Whether no call is in progress.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::{CallTracker, TrackerSettings};

    #[test]
    fn a_captured_call_appears_then_disappears() {
        let capture = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/asterisk/01-inbound-answered.ami"
        ))
        .expect("capture readable");
        let settings: TrackerSettings = serde_json::from_str(
            r#"{"trunks":["trunk"],"agents":[{"extension":"1001"},{"extension":"1002"},{"extension":"1003"}]}"#,
        )
        .expect("settings");
        let mut tracker = CallTracker::new(settings);
        let mut live = LiveCalls::new();
        let mut seen_talking = false;
        let mut seen_ringing = false;
        crate::replay::replay(&mut tracker, [bytes::Bytes::from(capture)], |event| {
            live.apply(&event);
            for call in live.snapshot() {
                seen_ringing |= call.state == LiveState::Ringing && call.ringing == ["1001"];
                seen_talking |= call.state == LiveState::Talking
                    && call.agent_extension.as_deref() == Some("1001")
                    && call.queue.as_deref() == Some("support");
            }
        })
        .expect("replay");
        assert!(seen_ringing, "the call rang 1001");
        assert!(seen_talking, "the call was answered by 1001");
        assert!(live.is_empty(), "the ended call is gone");
    }
}
