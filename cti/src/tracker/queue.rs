//! Queue events: the caller joining and leaving (or abandoning) a queue, members being rung
//! (`AgentCalled`), not answering (`AgentRingNoAnswer`, `RingTime` in milliseconds) and
//! answering (`AgentConnect`). Members may be Local channels: the agent is found from the
//! member's interface, state interface or name, or later from the phone the Local pair
//! dials.

use super::call::Attempt;
use super::record::AttemptResult;
use super::settings::Party;
use super::time::ms_between;
use super::{CallEvent, CallEventKind, CallTracker};
use crate::ami::Message;

impl CallTracker {
    /// The call of the queue caller's channel this event is about.
    fn queue_call(&mut self, msg: &Message, now: i64, out: &mut Vec<CallEvent>) -> Option<String> {
        self.prelude(msg, now, out)
            .map(|(_, linkedid)| linkedid.into_owned())
    }

    pub(super) fn on_queue_caller_join(
        &mut self,
        msg: &Message,
        now: i64,
        out: &mut Vec<CallEvent>,
    ) {
        let Some(linkedid) = self.queue_call(msg, now, out) else {
            return;
        };
        let Some(queue) = msg.get("Queue") else {
            return;
        };
        let Some(call) = self.calls.get_mut(&linkedid) else {
            return;
        };
        call.in_queue = true;
        if call.queue.is_none() {
            call.queue = Some(queue.to_owned());
            call.queue_joined_us = Some(now);
        }
        let kind = CallEventKind::Queued {
            queue: queue.to_owned(),
            position: msg.get("Position").and_then(|p| p.parse().ok()),
        };
        self.emit(out, &linkedid, now, kind);
    }

    pub(super) fn on_queue_caller_leave(
        &mut self,
        msg: &Message,
        now: i64,
        out: &mut Vec<CallEvent>,
        abandoned: bool,
    ) {
        let Some(linkedid) = self.queue_call(msg, now, out) else {
            return;
        };
        if let Some(call) = self.calls.get_mut(&linkedid) {
            call.in_queue = false;
            call.queue_left_us.get_or_insert(now);
            if abandoned && call.answered_us.is_none() {
                call.abandoned_us.get_or_insert(now);
            }
        }
    }

    /// The agent behind a queue member as an event names it.
    fn member_agent(&self, msg: &Message) -> Option<usize> {
        let interface = msg.get("Interface");
        let state = interface
            .and_then(|i| self.member_states.get(i))
            .map(String::as_str);
        self.dir
            .agent_for_member(interface, state, msg.get("MemberName"))
    }

    pub(super) fn on_agent_called(&mut self, msg: &Message, now: i64, out: &mut Vec<CallEvent>) {
        let Some(linkedid) = self.queue_call(msg, now, out) else {
            return;
        };
        let Some(member) = msg.get("DestUniqueid") else {
            return;
        };
        let device_agent = match self.channels.get(member).map(|c| c.party) {
            Some(Party::Agent(agent)) => Some(agent),
            _ => None,
        };
        let agent = self.member_agent(msg).or(device_agent);
        let Some(call) = self.calls.get_mut(&linkedid) else {
            return;
        };
        if call.attempt_for(member).is_some() {
            return;
        }
        call.attempts.push(Attempt {
            agent,
            member_name: msg.get("MemberName").map(str::to_owned),
            queue: msg.get("Queue").map(str::to_owned),
            member: member.to_owned(),
            device: device_agent.map(|_| member.to_owned()),
            rang_us: now,
            result: None,
            ring_ms: None,
            announced: false,
        });
        let idx = call.attempts.len() - 1;
        self.announce(&linkedid, idx, now, out);
    }

    pub(super) fn on_agent_ring_no_answer(
        &mut self,
        msg: &Message,
        now: i64,
        out: &mut Vec<CallEvent>,
    ) {
        let Some(linkedid) = self.queue_call(msg, now, out) else {
            return;
        };
        let Some(member) = msg.get("DestUniqueid") else {
            return;
        };
        let Some(call) = self.calls.get_mut(&linkedid) else {
            return;
        };
        let Some(attempt) = call.attempt_for(member).filter(|a| a.result.is_none()) else {
            return;
        };
        attempt.result = Some(AttemptResult::RingNoAnswer);
        // RingTime is in milliseconds here (unlike AgentConnect's seconds).
        attempt.ring_ms = msg
            .get("RingTime")
            .and_then(|r| r.parse().ok())
            .or(Some(ms_between(attempt.rang_us, now)));
        if attempt.announced {
            let kind = CallEventKind::AgentRingStopped {
                extension: attempt.agent.map(|i| self.dir.agent(i).extension.clone()),
                queue: attempt.queue.clone(),
                result: AttemptResult::RingNoAnswer,
                ring_ms: attempt.ring_ms,
            };
            self.emit(out, &linkedid, now, kind);
        }
    }

    /// The agent reached through a Local `;1` member: the phone its `;2` half dialled.
    fn agent_behind_local(&self, linkedid: &str, member: &str) -> Option<usize> {
        let call = self.calls.get(linkedid)?;
        let attempt = call.attempts.iter().find(|a| a.member == member)?;
        match self.channels.get(attempt.device.as_deref()?)?.party {
            Party::Agent(agent) => Some(agent),
            _ => None,
        }
    }

    pub(super) fn on_agent_connect(&mut self, msg: &Message, now: i64, out: &mut Vec<CallEvent>) {
        let Some(linkedid) = self.queue_call(msg, now, out) else {
            return;
        };
        let Some(member) = msg.get("DestUniqueid") else {
            return;
        };
        let resolved = self
            .member_agent(msg)
            .or_else(|| self.agent_behind_local(&linkedid, member));
        let Some(call) = self.calls.get_mut(&linkedid) else {
            return;
        };
        let mut agent = resolved;
        if let Some(attempt) = call.attempt_for(member) {
            attempt.agent = attempt.agent.or(resolved);
            agent = attempt.agent;
            attempt.result = Some(AttemptResult::Answered);
            attempt.ring_ms = Some(ms_between(attempt.rang_us, now));
        }
        call.in_queue = false;
        call.agent_connected_us.get_or_insert(now);
        if call.answered_us.is_some() {
            return;
        }
        call.answered_us = Some(now);
        call.answered_by = agent;
        call.ring_ms = call.attempt_for(member).and_then(|a| a.ring_ms);
        let wait_ms = call.queue_joined_us.map(|j| ms_between(j, now));
        let kind = CallEventKind::Answered {
            extension: agent.map(|i| self.dir.agent(i).extension.clone()),
            agent_name: agent.and_then(|i| self.dir.agent(i).name.clone()),
            wait_ms,
        };
        self.emit(out, &linkedid, now, kind);
    }

    /// `QueueMemberStatus` / `QueueMember` (`Location`) / `QueueMemberAdded`: remembers the
    /// state interface of members reached through Local channels.
    pub(super) fn on_queue_member(&mut self, msg: &Message) {
        let interface = msg.get("Interface").or_else(|| msg.get("Location"));
        let (Some(interface), Some(state)) = (interface, msg.get("StateInterface")) else {
            return;
        };
        if interface == state
            || self
                .member_states
                .get(interface)
                .is_some_and(|s| s == state)
        {
            return;
        }
        self.member_states
            .insert(interface.to_owned(), state.to_owned());
    }
}
