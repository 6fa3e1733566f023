//! `DialBegin` / `DialEnd`: who rings whom outside queues (an agent dialling out or dialling
//! a colleague, a direct inbound dial to an agent, a Local half reaching a queue member's
//! phone) and when such a call is answered.

use super::call::Attempt;
use super::channels::known;
use super::settings::{Directory, Party};
use super::time::ms_between;
use super::{CallEvent, CallEventKind, CallTracker, Direction};
use crate::ami::Message;

/// The number an agent dialled out, from the dial string: `09127654321@trunk`,
/// `PJSIP/09127654321@trunk`, `trunk/sip:09127654321@carrier` → `09127654321`.
pub(crate) fn number_from_dial_string(dial: &str) -> Option<&str> {
    let last = dial.rsplit('/').next().unwrap_or(dial);
    let last = last.strip_prefix("sip:").unwrap_or(last);
    let number = last.split('@').next().unwrap_or(last);
    (!number.is_empty()).then_some(number)
}

impl CallTracker {
    /// The dialled channel's party and call, and the dialling channel if there is one (an
    /// Originate's first leg has none). Runs the channel prelude on the dialling side.
    fn dial_parties<'m>(
        &mut self,
        msg: &'m Message,
        now: i64,
        out: &mut Vec<CallEvent>,
    ) -> Option<(&'m str, Party, String, Option<&'m str>)> {
        let source = msg
            .get("Uniqueid")
            .filter(|u| self.channels.contains_key(*u));
        if source.is_some() {
            self.prelude(msg, now, out);
        }
        let dest_uid = msg.get("DestUniqueid")?;
        let dest = self.channels.get(dest_uid)?;
        Some((dest_uid, dest.party, dest.linkedid.clone(), source))
    }

    pub(super) fn on_dial_begin(&mut self, msg: &Message, now: i64, out: &mut Vec<CallEvent>) {
        let Some((dest_uid, party, linkedid, source)) = self.dial_parties(msg, now, out) else {
            return;
        };
        match party {
            Party::Trunk if source.is_some() => self.dial_customer(msg, &linkedid, now, out),
            Party::Agent(agent) => {
                let source_peer = source
                    .and_then(|s| self.channels.get(s))
                    .and_then(|c| c.local_peer.clone());
                self.dial_agent(&linkedid, dest_uid, agent, source_peer, now, out);
            }
            Party::Other if source.is_some() => self.dial_other_party(&linkedid, now, out),
            Party::Trunk | Party::Other | Party::Local(_) => {}
        }
    }

    /// An agent's call dials the trunk: an outbound call starts, to the number dialled.
    fn dial_customer(&mut self, msg: &Message, linkedid: &str, now: i64, out: &mut Vec<CallEvent>) {
        let Some(call) = self.calls.get_mut(linkedid) else {
            return;
        };
        if call.direction != Some(Direction::Outbound) || call.started_emitted {
            return;
        }
        let number = msg
            .get("DialString")
            .and_then(number_from_dial_string)
            .or_else(|| known(msg.get("DestExten")));
        call.customer_number_raw = number.map(str::to_owned);
        call.customer_number_e164 =
            number.and_then(|n| self.normalizer.as_ref().and_then(|f| f(n)));
        call.dial_start_us = Some(now);
        call.started_emitted = true;
        let kind = CallEventKind::Started {
            direction: Direction::Outbound,
            customer_number_raw: call.customer_number_raw.clone(),
            customer_number_e164: call.customer_number_e164.clone(),
            customer_name: None,
            did: None,
            agent_extension: call
                .caller_agent
                .map(|i| self.dir.agent(i).extension.clone()),
        };
        self.emit(out, linkedid, now, kind);
    }

    /// An agent's phone `dest_uid` is dialled: a queue member's phone reached through a
    /// Local channel (`source_peer` being the Local pair's other half), or a direct ring
    /// (a call with no direction yet is an internal one).
    fn dial_agent(
        &mut self,
        linkedid: &str,
        dest_uid: &str,
        agent: usize,
        source_peer: Option<String>,
        now: i64,
        out: &mut Vec<CallEvent>,
    ) {
        let Some(call) = self.calls.get_mut(linkedid) else {
            return;
        };
        // The Originate leg ringing the agent's own phone is not a ring for the call.
        if call.origin.as_deref() == Some(dest_uid) || call.attempt_for(dest_uid).is_some() {
            return;
        }
        // A Local `;2` half reaching the phone of a queue member rung through `;1`.
        let member =
            source_peer.and_then(|peer| call.attempts.iter().position(|a| a.member == peer));
        if let Some(idx) = member {
            let attempt = &mut call.attempts[idx];
            attempt.device = Some(dest_uid.to_owned());
            attempt.agent.get_or_insert(agent);
            self.announce(linkedid, idx, now, out);
            return;
        }
        let mut started = None;
        if call.direction.is_none() {
            call.direction = Some(Direction::Internal);
            call.started_emitted = true;
            started = Some(internal_started(&self.dir, call.caller_agent));
        }
        if call.direction == Some(Direction::Internal) {
            call.to_agent.get_or_insert(agent);
        }
        call.attempts.push(Attempt {
            agent: Some(agent),
            member_name: None,
            queue: None,
            member: dest_uid.to_owned(),
            device: Some(dest_uid.to_owned()),
            rang_us: now,
            result: None,
            ring_ms: None,
            announced: false,
        });
        let idx = call.attempts.len() - 1;
        if let Some(kind) = started {
            self.emit(out, linkedid, now, kind);
        }
        self.announce(linkedid, idx, now, out);
    }

    /// A call dials something that is neither a trunk nor an agent's phone: a call with no
    /// direction yet is an internal one.
    fn dial_other_party(&mut self, linkedid: &str, now: i64, out: &mut Vec<CallEvent>) {
        let Some(call) = self.calls.get_mut(linkedid) else {
            return;
        };
        if call.direction.is_none() {
            call.direction = Some(Direction::Internal);
            call.started_emitted = true;
            let kind = internal_started(&self.dir, call.caller_agent);
            self.emit(out, linkedid, now, kind);
        }
    }

    pub(super) fn on_dial_end(&mut self, msg: &Message, now: i64, out: &mut Vec<CallEvent>) {
        let Some((dest_uid, party, linkedid, source)) = self.dial_parties(msg, now, out) else {
            return;
        };
        let status = msg.get("DialStatus").unwrap_or("");
        let Some(call) = self.calls.get_mut(&linkedid) else {
            return;
        };
        if status == "ANSWER" {
            // Queue attempts are answered by AgentConnect; direct dials here.
            if let Some(a) = call
                .attempt_for(dest_uid)
                .filter(|a| a.queue.is_none() && a.result.is_none())
            {
                a.result = Some(super::AttemptResult::Answered);
                a.ring_ms = Some(ms_between(a.rang_us, now));
            }
        } else {
            self.settle_attempt(&linkedid, dest_uid, status, now, out);
        }
        let Some(call) = self.calls.get_mut(&linkedid) else {
            return;
        };
        if source.is_none() {
            return;
        }
        if status != "ANSWER" {
            if call.answered_us.is_none() {
                call.last_dial_status = Some(status.to_owned());
            }
            return;
        }
        if call.answered_us.is_some() || call.in_queue {
            return;
        }
        call.answered_us = Some(now);
        let dest_agent = match party {
            Party::Agent(agent) => Some(agent),
            Party::Trunk | Party::Local(_) | Party::Other => None,
        };
        let extension = match call.direction {
            Some(Direction::Outbound) => {
                call.ring_ms = call.dial_start_us.map(|d| ms_between(d, now));
                if let (Some(agent), Some(origin)) = (call.caller_agent, call.origin.clone()) {
                    call.open_segment(agent, &origin, now);
                }
                call.caller_agent
            }
            Some(Direction::Inbound) => {
                call.answered_by = dest_agent;
                call.ring_ms = call.attempt_for(dest_uid).and_then(|a| a.ring_ms);
                dest_agent
            }
            Some(Direction::Internal) | None => {
                call.ring_ms = Some(ms_between(call.started_us, now));
                call.answered_by = dest_agent;
                dest_agent
            }
        };
        let kind = CallEventKind::Answered {
            extension: extension.map(|i| self.dir.agent(i).extension.clone()),
            agent_name: extension.and_then(|i| self.dir.agent(i).name.clone()),
            wait_ms: None,
        };
        self.emit(out, &linkedid, now, kind);
    }
}

/// The `Started` of an internal call placed by `caller_agent`.
fn internal_started(dir: &Directory, caller_agent: Option<usize>) -> CallEventKind {
    CallEventKind::Started {
        direction: Direction::Internal,
        customer_number_raw: None,
        customer_number_e164: None,
        customer_name: None,
        did: None,
        agent_extension: caller_agent.map(|i| dir.agent(i).extension.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::number_from_dial_string as n;

    #[test]
    fn numbers_from_dial_strings() {
        assert_eq!(n("09127654321@trunk"), Some("09127654321"));
        assert_eq!(n("PJSIP/09127654321@trunk"), Some("09127654321"));
        assert_eq!(
            n("trunk/sip:+989127654321@carrier.example"),
            Some("+989127654321")
        );
        assert_eq!(n("SIP/trunk/09127654321"), Some("09127654321"));
        assert_eq!(n("@trunk"), None);
    }
}
