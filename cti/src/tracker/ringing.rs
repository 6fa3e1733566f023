//! Agents being rung: announcing an attempt (`AgentRinging`, the screen-pop) once its agent
//! is known, and settling it (`AgentRingStopped`) when it ends without an answer.

use super::record::AttemptResult;
use super::time::ms_between;
use super::{CallEvent, CallEventKind, CallTracker, Direction};

/// The attempt result for a `DialEnd` status other than `ANSWER` (empty: the leg just went
/// away, e.g. hung up because another member answered).
pub(crate) fn result_of_dial_status(status: &str) -> AttemptResult {
    match status {
        "NOANSWER" => AttemptResult::RingNoAnswer,
        "BUSY" => AttemptResult::Busy,
        "CHANUNAVAIL" | "CONGESTION" | "INVALIDARGS" => AttemptResult::Failed,
        _ => AttemptResult::Cancelled,
    }
}

impl CallTracker {
    /// Emits `AgentRinging` for attempt `idx` of the call if its agent is known and it was
    /// not announced yet.
    pub(super) fn announce(
        &mut self,
        linkedid: &str,
        idx: usize,
        now: i64,
        out: &mut Vec<CallEvent>,
    ) {
        let Some(call) = self.calls.get_mut(linkedid) else {
            return;
        };
        let Some(attempt) = call.attempts.get_mut(idx) else {
            return;
        };
        let (Some(agent), false) = (attempt.agent, attempt.announced) else {
            return;
        };
        attempt.announced = true;
        let queue = attempt.queue.clone();
        let (caller_number, caller_number_e164, caller_name) = match call.direction {
            Some(Direction::Internal) | None => match call.caller_agent {
                Some(i) => {
                    let a = self.dir.agent(i);
                    (Some(a.extension.clone()), None, a.name.clone())
                }
                None => (None, None, None),
            },
            Some(_) => (
                call.customer_number_raw.clone(),
                call.customer_number_e164.clone(),
                call.customer_name.clone(),
            ),
        };
        let since = match call.answered_us {
            // A ring after the answer is a transfer's target: the wait is for them.
            Some(_) => call
                .transfers
                .last()
                .map(|t| t.at_ms.saturating_mul(1000))
                .filter(|at| *at <= now)
                .unwrap_or(now),
            None => call.queue_joined_us.unwrap_or(call.started_us),
        };
        let waited_ms = ms_between(since, now);
        let a = self.dir.agent(agent);
        let kind = CallEventKind::AgentRinging {
            extension: a.extension.clone(),
            agent_name: a.name.clone(),
            queue,
            caller_number,
            caller_number_e164,
            caller_name,
            did: call.did.clone(),
            waited_ms,
        };
        self.emit(out, linkedid, now, kind);
    }

    /// Ends the unanswered attempt ringing `channel` (member or device) with the result of
    /// `status`, and tells if it had been announced.
    pub(super) fn settle_attempt(
        &mut self,
        linkedid: &str,
        channel: &str,
        status: &str,
        now: i64,
        out: &mut Vec<CallEvent>,
    ) {
        let Some(call) = self.calls.get_mut(linkedid) else {
            return;
        };
        let Some(attempt) = call.attempt_for(channel).filter(|a| a.result.is_none()) else {
            return;
        };
        let result = result_of_dial_status(status);
        attempt.result = Some(result);
        attempt.ring_ms = Some(ms_between(attempt.rang_us, now));
        if !attempt.announced {
            return;
        }
        let kind = CallEventKind::AgentRingStopped {
            extension: attempt.agent.map(|i| self.dir.agent(i).extension.clone()),
            queue: attempt.queue.clone(),
            result,
            ring_ms: attempt.ring_ms,
        };
        self.emit(out, linkedid, now, kind);
    }
}
