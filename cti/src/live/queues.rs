//! The live queues for the wallboard: callers waiting and queue members' states, built
//! from `QueueStatus` at (re)connect and kept current from queue events. Pure, like the
//! tracker: fed AMI messages, no clock of its own.
//!
//! AMI: `QueueStatus` answers with `QueueParams`, `QueueMember` and `QueueEntry` items
//! (each carrying the action's ActionID) and ends with `QueueStatusComplete`. The items of
//! one answer replace the whole board when the `Complete` arrives, so callers and members
//! that vanished while Tamas was away do not linger.
//!
//! A member whose phone is not registered or not reachable shows as unavailable: PJSIP's
//! `ContactStatus` (through [`crate::sip`]) and `DeviceStateChange` say so per endpoint,
//! and a member's endpoint is its extension (`PJSIP/1001`, `Local/1001@queue-agents/n`).

mod events;
mod headers;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ami::Message;
use headers::{endpoint_of, parse_timestamp_ms};

/// The most callers a queue shows waiting: past it, the one waiting longest is forgotten
/// (a PBX that never sends their `QueueCallerLeave` cannot grow the board without end; no
/// trunk carries this many callers into one queue).
pub const MAX_WAITING_PER_QUEUE: usize = 2_000;

/// What a queue member is doing, from its device state and pause flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberState {
    /// Idle and not paused: can take a call.
    Available,
    /// The phone rings.
    Ringing,
    /// On a call (in use, busy or on hold).
    OnCall,
    /// Paused by the agent or a supervisor.
    Paused,
    /// The phone is not registered or unreachable.
    Unavailable,
    /// The PBX does not know.
    Unknown,
}

/// One member of a queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemberView {
    /// The member's interface (`PJSIP/1001`, `Local/1001@queue-agents/n`).
    pub interface: String,
    /// The member's name.
    pub name: String,
    /// What it is doing.
    pub state: MemberState,
    /// The pause reason, when paused.
    pub paused_reason: Option<String>,
    /// Calls taken since the PBX started.
    pub calls_taken: u64,
    /// PBX time of the last change seen, ms since the epoch (`None`: known from a resync).
    pub since_ms: Option<i64>,
    /// Where the phone registered from (`10.0.0.7:5060`), when PJSIP said.
    pub registered_from: Option<String>,
}

/// One caller waiting in a queue (caller ID from the outside world: show it as text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WaitingCaller {
    /// The caller's channel Uniqueid.
    pub uniqueid: String,
    /// Position in the queue (1 = next).
    pub position: u32,
    /// Caller ID number.
    pub number: Option<String>,
    /// Caller ID name.
    pub name: Option<String>,
    /// PBX time the caller joined, ms since the epoch.
    pub joined_at_ms: i64,
}

/// One queue.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QueueView {
    /// The queue's name.
    pub name: String,
    /// Callers waiting, by position.
    pub waiting: Vec<WaitingCaller>,
    /// Members, by interface.
    pub members: Vec<MemberView>,
}

#[derive(Clone, Debug, Default)]
struct Queue {
    callers: BTreeMap<String, WaitingCaller>,
    members: BTreeMap<String, MemberView>,
    /// Members whose phone rings for a caller (interface → caller Uniqueid). PJSIP reports
    /// a ringing phone as busy, so ringing is known from `AgentCalled`, not device state.
    ringing: BTreeMap<String, String>,
}

impl Queue {
    /// A caller joins; past [`MAX_WAITING_PER_QUEUE`] the one waiting longest goes.
    fn join(&mut self, caller: WaitingCaller) {
        self.callers.insert(caller.uniqueid.clone(), caller);
        if self.callers.len() > MAX_WAITING_PER_QUEUE
            && let Some(oldest) = self
                .callers
                .values()
                .min_by_key(|c| c.joined_at_ms)
                .map(|c| c.uniqueid.clone())
        {
            self.callers.remove(&oldest);
            self.ringing.retain(|_, caller| *caller != oldest);
        }
    }
}

/// What PJSIP last said about one phone.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Device {
    reachable: bool,
    since_ms: i64,
    registered_from: Option<String>,
}

/// The live queues.
#[derive(Clone, Debug, Default)]
pub struct QueueBoard {
    queues: BTreeMap<String, Queue>,
    /// The answer to a `QueueStatus` being collected.
    incoming: Option<BTreeMap<String, Queue>>,
    /// Phones' reachability by endpoint (the extension), from PJSIP's events.
    devices: BTreeMap<String, Device>,
    /// Whether the board is current: a `QueueStatus` answer arrived since the last
    /// connection loss.
    synced: bool,
    clock_ms: i64,
}

impl QueueBoard {
    /// An empty board.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one AMI message; returns whether the board changed.
    pub fn handle(&mut self, msg: &Message) -> bool {
        let Some(event) = msg.event() else {
            return false;
        };
        if let Some(ts) = msg.get("Timestamp").and_then(parse_timestamp_ms) {
            self.clock_ms = ts;
        }
        let now = self.clock_ms;
        match event {
            "QueueParams" => self.status_queue(msg),
            "QueueMember" => self.status_member(msg),
            "QueueEntry" => self.status_entry(msg, now),
            "QueueStatusComplete" => self.status_complete(),
            "QueueCallerJoin" => self.caller_joined(msg, now),
            "QueueCallerLeave" | "QueueCallerAbandon" => self.caller_left(msg),
            "QueueMemberStatus" | "QueueMemberAdded" | "QueueMemberPause" => {
                self.member_changed(msg, now)
            }
            "AgentCalled" => self.agent_called(msg),
            "AgentConnect" | "AgentRingNoAnswer" => {
                self.agent_rung(msg, event == "AgentConnect", now)
            }
            "QueueMemberRemoved" => self.member_removed(msg),
            "ContactStatus" => self.contact_status(msg, now),
            "DeviceStateChange" => self.device_state_changed(msg, now),
            _ => false,
        }
    }

    /// The PBX connection was lost: the board is kept but no longer current until the
    /// next `QueueStatus` answer; returns whether that changed.
    pub fn connection_lost(&mut self) -> bool {
        self.incoming = None;
        std::mem::replace(&mut self.synced, false)
    }

    /// Whether the board reflects the PBX now (it answered `QueueStatus` since the last
    /// connection loss).
    pub fn is_synced(&self) -> bool {
        self.synced
    }

    fn queue(&mut self, name: &str) -> &mut Queue {
        self.queues.entry(name.to_owned()).or_default()
    }

    /// Every queue with its waiting callers (by position) and members.
    pub fn snapshot(&self) -> Vec<QueueView> {
        // A phone that rings for one queue rings in all of them: PJSIP reports it busy,
        // which every other queue would show as on a call.
        let ringing: std::collections::BTreeSet<&str> = self
            .queues
            .values()
            .flat_map(|q| q.ringing.keys())
            .filter_map(|interface| endpoint_of(interface))
            .collect();
        self.queues
            .iter()
            .map(|(name, queue)| {
                let mut waiting: Vec<WaitingCaller> = queue.callers.values().cloned().collect();
                waiting.sort_by_key(|c| (c.position, c.joined_at_ms));
                let members = queue
                    .members
                    .values()
                    .map(|member| {
                        let mut member = member.clone();
                        let can_ring =
                            !matches!(member.state, MemberState::Paused | MemberState::Unavailable);
                        let rings = endpoint_of(&member.interface)
                            .is_some_and(|endpoint| ringing.contains(endpoint));
                        if can_ring && rings {
                            member.state = MemberState::Ringing;
                        }
                        let device = endpoint_of(&member.interface)
                            .and_then(|endpoint| self.devices.get(endpoint));
                        if let Some(device) = device {
                            member.registered_from.clone_from(&device.registered_from);
                            if !device.reachable {
                                member.state = MemberState::Unavailable;
                                member.since_ms = Some(device.since_ms);
                            }
                        }
                        member
                    })
                    .collect();
                QueueView {
                    name: name.clone(),
                    waiting,
                    members,
                }
            })
            .collect()
    }
}

/// The extension behind a queue member interface: `PJSIP/1003`, `SIP/1003` or
/// `Local/1003@queue-agents/n` are all extension `1003`.
pub fn member_extension(interface: &str) -> Option<&str> {
    let (tech, rest) = interface.split_once('/')?;
    let resource = if tech.eq_ignore_ascii_case("local") {
        rest.split_once('@').map_or(rest, |(exten, _)| exten)
    } else {
        rest
    };
    (!resource.is_empty() && resource.bytes().all(|b| b.is_ascii_digit())).then_some(resource)
}
