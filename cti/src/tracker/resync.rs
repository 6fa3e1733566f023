//! Losing and regaining the AMI stream.
//!
//! After [`CallTracker::connection_lost`] (EOF, a broken socket) open calls are kept: the
//! PBX may still carry them. The same holds for the calls a restarted Tamas took back
//! ([`CallTracker::restore`]). The client resyncs on every connect with `CoreShowChannels`;
//! when its `CoreShowChannelsComplete` arrives, each call from before the break is
//! reconciled with the listing:
//!
//! - none of its channels listed, and not heard of since: it ended while nobody watched.
//!   It is closed at the last PBX time known before the break (`end_known: false`): for a
//!   PBX that crashed, that is when it died, not when it came back.
//! - some of its channels gone: they hung up during the break (their talk and ringing end
//!   at the break).
//! - a channel now up and bridged where the call had not been answered: it was answered
//!   during the break, at the earliest when that channel appeared (the listing's
//!   `Duration`) and not before the break.
//!
//! Listed channels the tracker did not know are adopted (calls that began during the
//! outage start at `now - Duration`, `start_known: false`). `Shutdown` closes what is still
//! open.

use super::call::{Attempt, Call};
use super::record::AttemptResult;
use super::settings::Party;
use super::time::{ms_between, parse_timestamp};
use super::{CallEvent, CallEventKind, CallTracker, Direction};
use crate::ami::Message;

/// `HH:MM:SS` (CoreShowChannel `Duration`) in microseconds.
fn duration_us(v: &str) -> Option<i64> {
    let mut total: i64 = 0;
    for part in v.split(':') {
        total = total * 60 + part.parse::<i64>().ok()?;
    }
    Some(total * 1_000_000)
}

/// What a `CoreShowChannel` said of a channel.
#[derive(Clone, Copy, Debug)]
pub(super) struct Listed {
    /// `ChannelState: 6` (Up).
    up: bool,
    /// A non-empty `BridgeId`: talking to someone.
    bridged: bool,
    /// When the channel appeared: the listing's time less its `Duration`.
    created_us: i64,
}

impl CallTracker {
    /// The AMI stream ended (EOF or error) without an `Event: Shutdown` having closed the
    /// calls. Open calls wait for the resync of the next connection; any that turns out to
    /// be gone ended at the latest PBX time seen so far (see
    /// [`observe_pbx_time`](Self::observe_pbx_time)).
    pub fn connection_lost(&mut self) {
        self.epoch += 1;
        self.resync_pending = true;
        self.lost_at_us = self.clock_us;
        self.listed.clear();
        // Their snapshots now say when they were last known open.
        let open: Vec<String> = self.calls.keys().cloned().collect();
        for linkedid in open {
            self.touch(&linkedid);
        }
    }

    /// Tells the tracker that the PBX clock has reached at least `pbx_time_ms` though no
    /// event said so (the binary extrapolates the last `Timestamp` with its own clock while
    /// the stream is quiet, and calls this before [`connection_lost`](Self::connection_lost)).
    pub fn observe_pbx_time(&mut self, pbx_time_ms: i64) {
        self.clock_us = self.clock_us.max(pbx_time_ms.saturating_mul(1000));
    }

    /// One channel of a `CoreShowChannels` listing.
    pub(super) fn on_core_show_channel(&mut self, msg: &Message, now: i64) {
        let Some(uid) = msg.get("Uniqueid") else {
            return;
        };
        let age = msg.get("Duration").and_then(duration_us).unwrap_or(0);
        // Listing items carry no Timestamp; `now` is the latest PBX time seen.
        let created_us = msg
            .get_bytes("Timestamp")
            .and_then(parse_timestamp)
            .unwrap_or(now)
            - age;
        self.listed.insert(
            uid.to_owned(),
            Listed {
                up: msg.get("ChannelState") == Some("6"),
                bridged: msg.get("BridgeId").is_some_and(|b| !b.is_empty()),
                created_us,
            },
        );
        let new_call = msg
            .get("Linkedid")
            .is_some_and(|l| !self.calls.contains_key(l));
        if self.channels.contains_key(uid) {
            // Known from before the break: if its caller joined a queue while nobody
            // watched, it did so after the break at the earliest.
            let since = self
                .channels
                .get(uid)
                .and_then(|c| self.calls.get(&c.linkedid))
                .map_or(self.lost_at_us, |call| {
                    call.lost_us.unwrap_or(self.lost_at_us)
                });
            self.queue_from_listing(msg, uid, created_us.max(since));
        } else if self.add_channel(msg, created_us, false) {
            self.adopt(msg, uid, new_call, created_us);
            // A channel adopted into a call known before the break went up during it.
            if let Some(channel) = self.channels.get_mut(uid)
                && channel.up_us.is_some()
            {
                channel.up_us = Some(created_us.max(self.lost_at_us));
            }
            if let Some(linkedid) = self.channels.get(uid).map(|c| c.linkedid.clone()) {
                self.touch(&linkedid);
            }
        }
    }

    /// A channel of a call that began while nobody watched.
    fn adopt(&mut self, msg: &Message, uid: &str, new_call: bool, created_us: i64) {
        if new_call && let Some(channel) = self.channels.get(uid) {
            self.adopted.insert(channel.linkedid.clone());
        }
        self.queue_from_listing(msg, uid, created_us);
    }

    /// A listed caller in `Queue()` gives its call the queue when the call has none yet: it
    /// joined while nobody watched, at the earliest at `joined_us` (when the channel
    /// appeared, or when the stream broke for a call known from before). A call restored
    /// from a snapshot taken between its first channel and its `QueueCallerJoin` learns its
    /// queue here too.
    fn queue_from_listing(&mut self, msg: &Message, uid: &str, joined_us: i64) {
        if msg.get("Application") != Some("Queue") {
            return;
        }
        let Some(linkedid) = self.channels.get(uid).map(|c| c.linkedid.clone()) else {
            return;
        };
        let queue = msg
            .get("ApplicationData")
            .and_then(|d| d.split(',').next())
            .filter(|q| !q.is_empty());
        if let (Some(call), Some(queue)) = (self.calls.get_mut(&linkedid), queue)
            && call.queue.is_none()
        {
            call.queue = Some(queue.to_owned());
            call.queue_joined_us = Some(joined_us);
            call.in_queue = call.answered_us.is_none();
            self.touch(&linkedid);
        }
    }

    /// The end of a `CoreShowChannels` listing: after a reconnect (or a restart), reconciles
    /// the calls from before with what the PBX still carries; calls that began while nobody
    /// watched and are answered already get their answer.
    pub(super) fn on_core_show_channels_complete(&mut self, now: i64, out: &mut Vec<CallEvent>) {
        for linkedid in std::mem::take(&mut self.adopted) {
            let Some(call) = self.calls.get(&linkedid) else {
                continue;
            };
            let (present, started) = (call.live.clone(), call.started_us);
            self.answered_during_break(&linkedid, &present, started, now, out);
        }
        if self.resync_pending {
            self.resync_pending = false;
            let stale: Vec<String> = self
                .calls
                .iter()
                .filter(|(_, call)| call.epoch < self.epoch)
                .map(|(linkedid, _)| linkedid.clone())
                .collect();
            let lost = self.lost_at_us;
            for linkedid in stale {
                self.reconcile(&linkedid, lost, now, out);
            }
        }
        self.listed.clear();
    }

    /// Brings the call `linkedid`, last seen before the break at `lost`, in line with the
    /// listing.
    fn reconcile(&mut self, linkedid: &str, lost: i64, now: i64, out: &mut Vec<CallEvent>) {
        let Some(call) = self.calls.get(linkedid) else {
            return;
        };
        let lost = call.lost_us.map_or(lost, |l| l.min(lost));
        let (present, vanished): (Vec<String>, Vec<String>) = call
            .live
            .iter()
            .cloned()
            .partition(|uid| self.listed.contains_key(uid));
        if present.is_empty() {
            self.finish(linkedid, lost, false, out);
            return;
        }
        self.touch(linkedid);
        for uid in vanished {
            self.drop_vanished(linkedid, &uid, lost, out);
        }
        self.answered_during_break(linkedid, &present, lost, now, out);
    }

    /// A channel of a call that still goes on hung up during the break.
    fn drop_vanished(&mut self, linkedid: &str, uid: &str, lost: i64, out: &mut Vec<CallEvent>) {
        self.channels.remove(uid);
        let Some(call) = self.calls.get_mut(linkedid) else {
            return;
        };
        call.live.retain(|u| u != uid);
        call.close_segment(uid, lost);
        call.hold_stop(uid, None, lost);
        if call.talk_channel() == Some(uid) {
            call.customer_hangup_us.get_or_insert(lost);
        }
        let status = if call.in_queue { "NOANSWER" } else { "" };
        self.settle_attempt(linkedid, uid, status, lost, out);
    }

    /// A call not answered before the break whose listing shows a party up and bridged
    /// was answered during it.
    fn answered_during_break(
        &mut self,
        linkedid: &str,
        present: &[String],
        lost: i64,
        now: i64,
        out: &mut Vec<CallEvent>,
    ) {
        let Some(call) = self.calls.get(linkedid) else {
            return;
        };
        if call.answered_us.is_some() {
            return;
        }
        let Some((uid, party, created)) = self.break_answerer(call, present) else {
            return;
        };
        let at = created.max(lost).min(now.max(lost));
        let agent = match party {
            Party::Agent(agent) => Some(agent),
            _ => None,
        };
        if let Some(channel) = self.channels.get_mut(&uid) {
            channel.up_us.get_or_insert(at);
        }
        let Some(call) = self.calls.get_mut(linkedid) else {
            return;
        };
        answer_after_break(call, &uid, agent, created, at);
        let extension = match call.direction {
            Some(Direction::Outbound) => call.caller_agent,
            _ => agent,
        };
        let wait_ms = call
            .queue_joined_us
            .zip(call.agent_connected_us)
            .map(|(j, c)| ms_between(j, c));
        let kind = CallEventKind::Answered {
            extension: extension.map(|i| self.dir.agent(i).extension.clone()),
            agent_name: extension.and_then(|i| self.dir.agent(i).name.clone()),
            wait_ms,
        };
        self.emit(out, linkedid, at, kind);
        // The other members stopped ringing when this one answered.
        let pending: Vec<String> = self
            .calls
            .get(linkedid)
            .map(|c| {
                c.attempts
                    .iter()
                    .filter(|a| a.result.is_none())
                    .map(|a| a.member.clone())
                    .collect()
            })
            .unwrap_or_default();
        for member in pending {
            self.settle_attempt(linkedid, &member, "", at, out);
        }
    }

    /// The listed channel of `call` that answered it during the break, with its party and
    /// when it appeared: up and bridged, not the call's origin, and the customer's trunk
    /// leg for an outbound call, else an agent's phone.
    fn break_answerer(&self, call: &Call, present: &[String]) -> Option<(String, Party, i64)> {
        let direction = call.direction;
        let origin = call.origin.as_deref();
        present.iter().find_map(|uid| {
            let listed = self.listed.get(uid)?;
            let party = self.channels.get(uid)?.party;
            let wanted = match (direction, party) {
                (_, Party::Local(_)) => false,
                (Some(Direction::Outbound), Party::Trunk) => true,
                (Some(Direction::Inbound) | Some(Direction::Internal) | None, Party::Agent(_)) => {
                    true
                }
                _ => false,
            };
            (wanted && listed.up && listed.bridged && origin != Some(uid.as_str()))
                .then(|| (uid.clone(), party, listed.created_us))
        })
    }

    /// `Event: Shutdown`: Asterisk is going away; whatever is still open is closed.
    pub(super) fn on_shutdown(&mut self, now: i64, out: &mut Vec<CallEvent>) {
        let open: Vec<String> = self.calls.keys().cloned().collect();
        for linkedid in open {
            self.finish(&linkedid, now, false, out);
        }
        self.channels.clear();
    }
}

/// Marks `call` answered at `at` by the listed channel `uid` (created at `created`): the
/// caller's talk starts for an outbound call; otherwise the call leaves its queue and the
/// answering phone's attempt (made up when it was not seen ringing) is answered.
fn answer_after_break(call: &mut Call, uid: &str, agent: Option<usize>, created: i64, at: i64) {
    call.answered_us = Some(at);
    match call.direction {
        Some(Direction::Outbound) => {
            call.ring_ms = call.dial_start_us.map(|d| ms_between(d, at));
            if let (Some(caller), Some(origin)) = (call.caller_agent, call.origin.clone()) {
                call.open_segment(caller, &origin, at);
            }
        }
        _ => {
            if call.in_queue || call.queue_joined_us.is_some() {
                call.agent_connected_us = Some(at);
                call.in_queue = false;
            }
            call.answered_by = agent;
            if call.attempt_for(uid).is_none() {
                call.attempts.push(Attempt {
                    agent,
                    member_name: None,
                    queue: call.queue.clone(),
                    member: uid.to_owned(),
                    device: Some(uid.to_owned()),
                    rang_us: created,
                    result: None,
                    ring_ms: None,
                    announced: false,
                });
            }
            if let Some(attempt) = call.attempt_for(uid) {
                attempt.result = Some(AttemptResult::Answered);
                attempt.ring_ms = Some(ms_between(attempt.rang_us, at));
                call.ring_ms = attempt.ring_ms;
            }
            if let Some(agent) = agent {
                call.open_segment(agent, uid, at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::duration_us;

    #[test]
    fn parses_durations() {
        assert_eq!(duration_us("00:00:05"), Some(5_000_000));
        assert_eq!(duration_us("01:02:03"), Some(3_723_000_000));
        assert_eq!(duration_us("x"), None);
    }
}
