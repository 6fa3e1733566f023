//! Calls in progress made durable, so that a restarted Tamas carries on each call where it
//! left off.
//!
//! With [`CallTracker::track_changes`] on, every message that changes an open call marks it;
//! [`CallTracker::take_changes`] then hands out a snapshot of each changed call
//! ([`OpenCall`], serialisable, opaque to the rest of Tamas) or says that it closed (it
//! ended, or merged into another call). The binary stores the snapshots; after a restart
//! [`CallTracker::restore`] takes them back as calls of a lost connection: the next channel
//! listing (`CoreShowChannels`) reconciles them with what the PBX still carries, and until
//! then they are in progress as they were, with the events that tell the rest of Tamas so.
//!
//! Agents are kept by extension in a snapshot (the tracker's own indices depend on the order
//! of the configured agents and users, which can change between two runs).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::call::{Call, Channel};
use super::settings::Party;
use super::time::{ms_between, to_ms};
use super::{CallEvent, CallEventKind, CallTracker, Direction};

/// What the tracker knows of one open call: the call and its live channels.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OpenCall {
    /// The call's Linkedid.
    pub linkedid: String,
    /// The latest PBX time the tracker had seen when the snapshot was taken (ms).
    pub seen_at_ms: i64,
    call: Call,
    channels: Vec<(String, Channel)>,
    /// The extension of every agent the snapshot names, by the index it uses.
    agents: BTreeMap<usize, String>,
}

/// A change to the calls in progress, to be persisted in order.
#[derive(Clone, Debug)]
pub enum OpenCallChange {
    /// The call is open with this state.
    Saved(Box<OpenCall>),
    /// The call with this Linkedid is no longer open: it ended (its `Ended` event carries
    /// the record) or merged into another call.
    Closed(String),
}

/// Maps every agent index a call and its channels hold through `map`; an agent `map` does
/// not know is dropped (its segments go, its channels become [`Party::Other`]).
fn remap_agents(
    call: &mut Call,
    channels: &mut [(String, Channel)],
    map: &mut dyn FnMut(usize) -> Option<usize>,
) {
    let party = |p: Party, map: &mut dyn FnMut(usize) -> Option<usize>| match p {
        Party::Agent(i) => map(i).map_or(Party::Other, Party::Agent),
        other => other,
    };
    for attempt in &mut call.attempts {
        attempt.agent = attempt.agent.and_then(&mut *map);
    }
    call.segments.retain_mut(|s| match map(s.agent) {
        Some(i) => {
            s.agent = i;
            true
        }
        None => false,
    });
    call.caller_agent = call.caller_agent.and_then(&mut *map);
    call.to_agent = call.to_agent.and_then(&mut *map);
    call.answered_by = call.answered_by.and_then(&mut *map);
    if let Some((_, agent)) = &mut call.hangup_by {
        *agent = agent.and_then(&mut *map);
    }
    call.origin_party = call.origin_party.map(|p| party(p, map));
    for (_, channel) in channels {
        channel.party = party(channel.party, map);
    }
}

impl CallTracker {
    /// Turns on change tracking for [`take_changes`](Self::take_changes) (off by default:
    /// replaying a capture needs none of it).
    pub fn track_changes(mut self) -> Self {
        self.durable = true;
        self
    }

    /// Marks the call `linkedid` changed.
    pub(super) fn touch(&mut self, linkedid: &str) {
        if self.durable && !self.touched.contains(linkedid) {
            self.touched.insert(linkedid.to_owned());
        }
    }

    /// The calls changed since the last call, as snapshots of the open ones and closings of
    /// the others.
    pub fn take_changes(&mut self) -> Vec<OpenCallChange> {
        let touched = std::mem::take(&mut self.touched);
        let mut changes = Vec::with_capacity(touched.len());
        for linkedid in touched {
            match self.snapshot(&linkedid) {
                Some(open) => changes.push(OpenCallChange::Saved(Box::new(open))),
                None => changes.push(OpenCallChange::Closed(linkedid)),
            }
        }
        changes
    }

    /// The snapshot of the open call `linkedid`.
    fn snapshot(&self, linkedid: &str) -> Option<OpenCall> {
        let mut call = self.calls.get(linkedid)?.clone();
        // A call waiting for a resync was last known open when the connection broke.
        if call.epoch < self.epoch {
            call.lost_us.get_or_insert(self.lost_at_us);
        }
        let mut channels: Vec<(String, Channel)> = call
            .live
            .iter()
            .filter_map(|uid| Some((uid.clone(), self.channels.get(uid)?.clone())))
            .collect();
        let mut agents = BTreeMap::new();
        remap_agents(&mut call, &mut channels, &mut |i| {
            agents.insert(i, self.dir.agent(i).extension.clone());
            Some(i)
        });
        Some(OpenCall {
            linkedid: linkedid.to_owned(),
            seen_at_ms: to_ms(self.clock_us),
            call,
            channels,
            agents,
        })
    }

    /// Takes back the calls that were open when Tamas stopped, PBX time `stopped_at_ms`
    /// being the last moment they were known to be open. They wait, like the calls of a lost
    /// connection, for the next channel listing: a call with none of its channels listed
    /// ended during the stop (`end_known: false`, at `stopped_at_ms`). Pushes to `out` the
    /// events that bring the rest of Tamas to where each call is (started, queued, ringing,
    /// answered, on hold, recording), with their original times.
    pub fn restore(&mut self, calls: Vec<OpenCall>, stopped_at_ms: i64, out: &mut Vec<CallEvent>) {
        let stopped_us = stopped_at_ms.saturating_mul(1000);
        self.clock_us = self.clock_us.max(stopped_us);
        self.lost_at_us = self.lost_at_us.max(stopped_us);
        self.epoch = self.epoch.max(1);
        self.resync_pending = true;
        self.listed.clear();
        let mut restored: Vec<(i64, String)> = Vec::new();
        for OpenCall {
            linkedid,
            mut call,
            mut channels,
            agents,
            ..
        } in calls
        {
            if self.calls.contains_key(&linkedid) {
                continue;
            }
            let dir = &self.dir;
            remap_agents(&mut call, &mut channels, &mut |i| {
                dir.agent_by_extension(agents.get(&i)?)
            });
            call.epoch = 0;
            call.live
                .retain(|uid| channels.iter().any(|(u, _)| u == uid));
            for (uid, channel) in channels {
                self.channels.insert(uid, channel);
            }
            restored.push((call.started_us, linkedid.clone()));
            self.calls.insert(linkedid, call);
        }
        restored.sort();
        for (_, linkedid) in restored {
            self.replay_state(&linkedid, out);
        }
    }

    /// The events that bring a listener from nothing to where the open call `linkedid` is.
    fn replay_state(&self, linkedid: &str, out: &mut Vec<CallEvent>) {
        let Some(call) = self.calls.get(linkedid) else {
            return;
        };
        let mut push = |at_us: i64, kind: CallEventKind| {
            out.push(CallEvent {
                linkedid: linkedid.to_owned(),
                at_ms: to_ms(at_us),
                click_id: call.click_id.clone(),
                kind,
            });
        };
        self.replay_start(call, &mut push);
        self.replay_ringing(call, &mut push);
        self.replay_conversation(call, &mut push);
    }

    /// Replays how the call began: `Started`, `Queued` and `RecordingStarted`, as far as
    /// they were announced.
    fn replay_start(&self, call: &Call, push: &mut impl FnMut(i64, CallEventKind)) {
        if let (true, Some(direction)) = (call.started_emitted, call.direction) {
            let inbound = direction == Direction::Inbound;
            push(
                call.dial_start_us.unwrap_or(call.started_us),
                CallEventKind::Started {
                    direction,
                    customer_number_raw: call.customer_number_raw.clone(),
                    customer_number_e164: call.customer_number_e164.clone(),
                    customer_name: call.customer_name.clone().filter(|_| inbound),
                    did: call.did.clone().filter(|_| inbound),
                    agent_extension: call
                        .caller_agent
                        .filter(|_| !inbound)
                        .map(|i| self.dir.agent(i).extension.clone()),
                },
            );
        }
        if let (Some(queue), Some(joined)) = (&call.queue, call.queue_joined_us) {
            push(
                joined,
                CallEventKind::Queued {
                    queue: queue.clone(),
                    position: None,
                },
            );
        }
        if call.recording_announced
            && let Some(recording) = &call.recording
        {
            push(
                call.started_us,
                CallEventKind::RecordingStarted(recording.clone()),
            );
        }
    }

    /// Replays the agents' phones that ring for the call now.
    fn replay_ringing(&self, call: &Call, push: &mut impl FnMut(i64, CallEventKind)) {
        let agent_ext = |i: usize| self.dir.agent(i).extension.clone();
        let agent_name = |i: usize| self.dir.agent(i).name.clone();
        for attempt in call
            .attempts
            .iter()
            .filter(|a| a.announced && a.result.is_none())
        {
            let Some(agent) = attempt.agent else { continue };
            let internal = call.direction == Some(Direction::Internal);
            let caller = call.caller_agent.filter(|_| internal);
            push(
                attempt.rang_us,
                CallEventKind::AgentRinging {
                    extension: agent_ext(agent),
                    agent_name: agent_name(agent),
                    queue: attempt.queue.clone(),
                    caller_number: caller
                        .map(agent_ext)
                        .or_else(|| call.customer_number_raw.clone()),
                    caller_number_e164: call.customer_number_e164.clone().filter(|_| !internal),
                    caller_name: caller
                        .and_then(agent_name)
                        .or_else(|| call.customer_name.clone().filter(|_| !internal)),
                    did: call.did.clone(),
                    waited_ms: ms_between(
                        call.queue_joined_us.unwrap_or(call.started_us),
                        attempt.rang_us,
                    ),
                },
            );
        }
    }

    /// Replays the conversation: its answer, the transfers' targets in it now and a hold.
    fn replay_conversation(&self, call: &Call, push: &mut impl FnMut(i64, CallEventKind)) {
        let agent_ext = |i: usize| self.dir.agent(i).extension.clone();
        let agent_name = |i: usize| self.dir.agent(i).name.clone();
        if let Some(answered) = call.answered_us {
            let agent = match call.direction {
                Some(Direction::Outbound) => call.caller_agent,
                _ => call.answered_by,
            };
            push(
                answered,
                CallEventKind::Answered {
                    extension: agent.map(agent_ext),
                    agent_name: agent.and_then(agent_name),
                    wait_ms: call
                        .queue_joined_us
                        .zip(call.agent_connected_us)
                        .map(|(j, c)| ms_between(j, c)),
                },
            );
        }
        if call.answered_us.is_some() {
            // Transfers' targets in the conversation now.
            let answering = [call.answered_by, call.caller_agent];
            for segment in call
                .segments
                .iter()
                .filter(|s| s.end_us.is_none() && !answering.contains(&Some(s.agent)))
            {
                push(
                    segment.start_us,
                    CallEventKind::AgentJoined {
                        extension: agent_ext(segment.agent),
                        agent_name: agent_name(segment.agent),
                    },
                );
            }
        }
        if !call.hold.active.is_empty() {
            push(call.hold.since_us, CallEventKind::Held);
        }
    }
}
