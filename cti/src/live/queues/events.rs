//! How each queue event changes the [`QueueBoard`]: the items of a `QueueStatus` answer,
//! callers joining and leaving, members' states and rings, and phones' reachability. Each
//! method returns whether the board changed.

use std::collections::BTreeMap;

use super::headers::{endpoint_of, member_from, number, text};
use super::{Device, MemberState, QueueBoard, WaitingCaller};
use crate::ami::Message;
use crate::sip::{self, Reachability};

impl QueueBoard {
    /// `QueueParams` of a `QueueStatus` answer: a queue, maybe without members or callers.
    pub(super) fn status_queue(&mut self, msg: &Message) -> bool {
        let queues = self.incoming.get_or_insert_with(BTreeMap::new);
        if let Some(name) = msg.get("Queue") {
            queues.entry(name.to_owned()).or_default();
        }
        false
    }

    /// `QueueMember` of a `QueueStatus` answer.
    pub(super) fn status_member(&mut self, msg: &Message) -> bool {
        let queues = self.incoming.get_or_insert_with(BTreeMap::new);
        if let (Some(queue), Some(member)) = (msg.get("Queue"), member_from(msg, None)) {
            queues
                .entry(queue.to_owned())
                .or_default()
                .members
                .insert(member.interface.clone(), member);
        }
        false
    }

    /// `QueueEntry` of a `QueueStatus` answer: a caller waiting for `Wait` seconds.
    pub(super) fn status_entry(&mut self, msg: &Message, now: i64) -> bool {
        let queues = self.incoming.get_or_insert_with(BTreeMap::new);
        if let (Some(queue), Some(uniqueid)) = (msg.get("Queue"), msg.get("Uniqueid")) {
            let waited_ms = number(msg, "Wait").map_or(0, |s| s as i64 * 1000);
            let caller = WaitingCaller {
                uniqueid: uniqueid.to_owned(),
                position: number(msg, "Position").map_or(0, |p| p as u32),
                number: text(msg, "CallerIDNum"),
                name: text(msg, "CallerIDName"),
                joined_at_ms: now - waited_ms,
            };
            queues
                .entry(queue.to_owned())
                .or_default()
                .callers
                .insert(caller.uniqueid.clone(), caller);
        }
        false
    }

    /// `QueueStatusComplete`: the answer collected replaces the board.
    pub(super) fn status_complete(&mut self) -> bool {
        match self.incoming.take() {
            Some(queues) => {
                self.queues = queues;
                self.synced = true;
                // The members' fresh statuses say who is unavailable now.
                self.devices.clear();
                true
            }
            None => {
                // An empty answer: no queue at all.
                let changed = !self.queues.is_empty() || !self.synced;
                self.queues.clear();
                self.synced = true;
                changed
            }
        }
    }

    /// `QueueCallerJoin`.
    pub(super) fn caller_joined(&mut self, msg: &Message, now: i64) -> bool {
        let (Some(queue), Some(uniqueid)) = (msg.get("Queue"), msg.get("Uniqueid")) else {
            return false;
        };
        let caller = WaitingCaller {
            uniqueid: uniqueid.to_owned(),
            position: number(msg, "Position").map_or(0, |p| p as u32),
            number: text(msg, "CallerIDNum"),
            // Escaped here (a channel snapshot), unlike in `QueueEntry`.
            name: text(msg, "CallerIDName").map(|name| crate::ami::unescape_c(&name).into_owned()),
            joined_at_ms: now,
        };
        self.queue(queue).join(caller);
        true
    }

    /// `QueueCallerLeave` / `QueueCallerAbandon`: the callers behind move up.
    pub(super) fn caller_left(&mut self, msg: &Message) -> bool {
        let (Some(queue), Some(uniqueid)) = (msg.get("Queue"), msg.get("Uniqueid")) else {
            return false;
        };
        let queue = self.queue(queue);
        queue.ringing.retain(|_, caller| caller != uniqueid);
        let removed = queue.callers.remove(uniqueid);
        if let Some(removed) = &removed {
            for caller in queue.callers.values_mut() {
                if caller.position > removed.position {
                    caller.position -= 1;
                }
            }
        }
        removed.is_some()
    }

    /// `QueueMemberStatus` / `QueueMemberAdded` / `QueueMemberPause`.
    pub(super) fn member_changed(&mut self, msg: &Message, now: i64) -> bool {
        let (Some(queue), Some(member)) = (msg.get("Queue"), member_from(msg, Some(now))) else {
            return false;
        };
        let members = &mut self.queue(queue).members;
        let changed = members.get(&member.interface).is_none_or(|old| {
            old.state != member.state || old.paused_reason != member.paused_reason
        });
        members.insert(member.interface.clone(), member);
        changed
    }

    /// `AgentCalled`: a member's phone rings for a caller.
    pub(super) fn agent_called(&mut self, msg: &Message) -> bool {
        let (Some(queue), Some(interface), Some(caller)) =
            (msg.get("Queue"), msg.get("Interface"), msg.get("Uniqueid"))
        else {
            return false;
        };
        self.queue(queue)
            .ringing
            .insert(interface.to_owned(), caller.to_owned());
        true
    }

    /// `AgentConnect` (`connected`) / `AgentRingNoAnswer`: a member's phone stops ringing.
    pub(super) fn agent_rung(&mut self, msg: &Message, connected: bool, now: i64) -> bool {
        let (Some(queue), Some(interface)) = (msg.get("Queue"), msg.get("Interface")) else {
            return false;
        };
        let queue = self.queue(queue);
        queue.ringing.remove(interface);
        if connected && let Some(member) = queue.members.get_mut(interface) {
            member.state = MemberState::OnCall;
            member.since_ms = Some(now);
        }
        true
    }

    /// `QueueMemberRemoved`.
    pub(super) fn member_removed(&mut self, msg: &Message) -> bool {
        let (Some(queue), Some(interface)) = (msg.get("Queue"), msg.get("Interface")) else {
            return false;
        };
        self.queue(queue).members.remove(interface).is_some()
    }

    /// PJSIP's `ContactStatus`: a phone reachable or not, and where it registered from.
    pub(super) fn contact_status(&mut self, msg: &Message, now: i64) -> bool {
        let Some(status) = sip::contact_status(msg) else {
            return false;
        };
        let reachable = status.reachability == Reachability::Reachable;
        let registered_from = status.contact.map(|c| c.to_string());
        self.set_device(&status.endpoint, reachable, registered_from, now)
    }

    /// `DeviceStateChange`: an unavailable or invalid device is unreachable.
    pub(super) fn device_state_changed(&mut self, msg: &Message, now: i64) -> bool {
        let (Some(device), Some(state)) = (msg.get("Device"), msg.get("State")) else {
            return false;
        };
        let Some(endpoint) = endpoint_of(device) else {
            return false;
        };
        let reachable = !matches!(state.trim(), "UNAVAILABLE" | "INVALID");
        let registered_from = self
            .devices
            .get(endpoint)
            .and_then(|d| d.registered_from.clone());
        let endpoint = endpoint.to_owned();
        self.set_device(&endpoint, reachable, registered_from, now)
    }

    /// Records a phone's reachability; returns whether a member's view changed.
    fn set_device(
        &mut self,
        endpoint: &str,
        reachable: bool,
        registered_from: Option<String>,
        now: i64,
    ) -> bool {
        let old = self.devices.get(endpoint);
        if old.is_some_and(|d| d.reachable == reachable && d.registered_from == registered_from)
            || (old.is_none() && reachable && registered_from.is_none())
        {
            return false;
        }
        let since_ms = match old {
            Some(d) if d.reachable == reachable => d.since_ms,
            _ => now,
        };
        self.devices.insert(
            endpoint.to_owned(),
            Device {
                reachable,
                since_ms,
                registered_from,
            },
        );
        self.queues.values().any(|q| {
            q.members
                .keys()
                .any(|interface| endpoint_of(interface) == Some(endpoint))
        })
    }
}
