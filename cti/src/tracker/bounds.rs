//! Open calls are bounded: a PBX that opens calls and never ends them (a flood, a bug, a
//! `Hangup` lost on the way) cannot grow the tracker — nor the live view, the popups' and
//! the durable open-calls table, which follow its events — without end.
//!
//! Two limits, both from [`TrackerSettings`](super::TrackerSettings):
//! - an idle limit: a call with no event for `max_call_idle_s` of PBX time is closed out
//!   (looked at once per PBX minute);
//! - a cap: past `max_open_calls`, the calls that have gone longest without an event are
//!   closed out, down to [`CAP_HEADROOM_PERCENT`] of the cap, so that a flood costs one
//!   sort per few hundred calls rather than one per call.
//!
//! A call closed out is not dropped: it ends like a call found gone at a resync, with its
//! [`CallEventKind::Ended`](super::CallEventKind::Ended) record (so it reaches the call log,
//! the agents and the open-calls table's clean-up) marked `end_known: false` and ended at
//! its last event — the last moment it was known to be open. The count is kept for
//! [`CallTracker::take_closed_out`], so the binary can log a warning.

use super::{CallEvent, CallTracker};
use crate::ami::Message;

/// The default of `max_open_calls`: far more than any contact center has calls at once.
pub const DEFAULT_MAX_OPEN_CALLS: usize = 20_000;
/// The default of `max_call_idle_s`: a day without a single event.
pub const DEFAULT_MAX_CALL_IDLE_S: u64 = 24 * 3600;
/// Past the cap, calls are closed out down to this share of it.
pub const CAP_HEADROOM_PERCENT: usize = 95;
/// How often (PBX time) calls are checked for the idle limit.
const IDLE_CHECK_EVERY_US: i64 = 60_000_000;

/// Calls closed out by the limits, since the last [`CallTracker::take_closed_out`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClosedOut {
    /// Closed out because `max_open_calls` was reached.
    pub over_cap: u64,
    /// Closed out after `max_call_idle_s` without an event.
    pub idle: u64,
}

impl ClosedOut {
    /// Whether none were.
    pub fn is_empty(&self) -> bool {
        self.over_cap == 0 && self.idle == 0
    }
}

impl CallTracker {
    /// How many calls the limits closed out since the last time this was asked.
    pub fn take_closed_out(&mut self) -> ClosedOut {
        std::mem::take(&mut self.closed_out)
    }

    /// Notes that `msg` (and the events it caused, `events`) was news of its calls at `now`.
    pub(super) fn heard_of_calls(&mut self, msg: &Message, events: &[CallEvent], now: i64) {
        for key in ["Linkedid", "DestLinkedid"] {
            if let Some(call) = msg.get(key).and_then(|l| self.calls.get_mut(l)) {
                call.last_event_us = call.last_event_us.max(now);
            }
        }
        for event in events {
            if let Some(call) = self.calls.get_mut(&event.linkedid) {
                call.last_event_us = call.last_event_us.max(now);
            }
        }
    }

    /// Closes out the calls past the limits (see the module's documentation).
    pub(super) fn enforce_bounds(&mut self, now: i64, out: &mut Vec<CallEvent>) {
        if now >= self.next_idle_check_us {
            self.next_idle_check_us = now.saturating_add(IDLE_CHECK_EVERY_US);
            let limit_us = i64::try_from(self.settings.max_call_idle_s)
                .unwrap_or(i64::MAX / 1_000_000)
                .saturating_mul(1_000_000);
            let idle: Vec<(i64, String)> = self
                .calls
                .iter()
                .map(|(linkedid, call)| (call.last_activity_us(), linkedid))
                .filter(|(last, _)| now.saturating_sub(*last) > limit_us)
                .map(|(last, linkedid)| (last, linkedid.clone()))
                .collect();
            self.closed_out.idle += self.close_out(idle, out);
        }
        let cap = self.settings.max_open_calls.max(1);
        if self.calls.len() > cap {
            let keep = (cap * CAP_HEADROOM_PERCENT / 100).max(1);
            let excess = self.calls.len() - keep;
            let mut by_age: Vec<(i64, String)> = self
                .calls
                .iter()
                .map(|(linkedid, call)| (call.last_activity_us(), linkedid.clone()))
                .collect();
            by_age.select_nth_unstable(excess - 1);
            by_age.truncate(excess);
            self.closed_out.over_cap += self.close_out(by_age, out);
        }
    }

    /// Ends each call at its last activity, `end_known: false`; how many were open.
    fn close_out(&mut self, mut calls: Vec<(i64, String)>, out: &mut Vec<CallEvent>) -> u64 {
        // Oldest first: the records reach the call log in the order the calls went quiet.
        calls.sort_unstable();
        let mut closed = 0;
        for (last_us, linkedid) in calls {
            if self.calls.contains_key(&linkedid) {
                self.finish(&linkedid, last_us, false, out);
                closed += 1;
            }
        }
        closed
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::super::{CallEventKind, CallRecord, OpenCallChange, TrackerSettings};
    use super::*;

    const T0: i64 = 1_795_343_000;

    fn tracker(max_open_calls: usize, max_call_idle_s: u64) -> CallTracker {
        CallTracker::new(TrackerSettings {
            trunks: vec!["trunk".into()],
            max_open_calls,
            max_call_idle_s,
            ..TrackerSettings::default()
        })
        .track_changes()
    }

    /// A caller on the trunk, as in the captures, at `T0 + at_s`.
    fn new_call(tracker: &mut CallTracker, n: u32, at_s: i64, out: &mut Vec<CallEvent>) {
        feed(
            tracker,
            &format!(
                "Event: Newchannel\nTimestamp: {}.000000\nChannel: PJSIP/trunk-{n:08x}\n\
                 ChannelState: 4\nCallerIDNum: 0935{n:07}\nCallerIDName: Caller {n}\n\
                 Context: from-trunk\nExten: 02191002000\nUniqueid: {T0}.{n}\nLinkedid: {T0}.{n}\n",
                T0 + at_s
            ),
            out,
        );
    }

    /// The caller's channel starts ringing (news of call `n`) at `T0 + at_s`.
    fn ringing(tracker: &mut CallTracker, n: u32, at_s: i64, out: &mut Vec<CallEvent>) {
        feed(
            tracker,
            &format!(
                "Event: Newstate\nTimestamp: {}.000000\nChannel: PJSIP/trunk-{n:08x}\n\
                 ChannelState: 5\nUniqueid: {T0}.{n}\nLinkedid: {T0}.{n}\n",
                T0 + at_s
            ),
            out,
        );
    }

    fn feed(tracker: &mut CallTracker, text: &str, out: &mut Vec<CallEvent>) {
        let msg = Message::parse(text.replace('\n', "\r\n").into_bytes()).unwrap();
        tracker.handle(&msg, out);
    }

    fn ended(events: &[CallEvent]) -> Vec<&CallRecord> {
        events
            .iter()
            .filter_map(|e| match &e.kind {
                CallEventKind::Ended(record) => Some(record.as_ref()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn past_the_cap_the_calls_quiet_longest_are_closed_out_and_recorded() {
        let mut tracker = tracker(100, DEFAULT_MAX_CALL_IDLE_S);
        let mut out = Vec::new();
        for n in 0..1000 {
            new_call(&mut tracker, n, i64::from(n), &mut out);
            // Call 0 keeps hearing from the PBX: old, but not quiet.
            ringing(&mut tracker, 0, i64::from(n), &mut out);
            assert!(tracker.open_calls() <= 100, "{} open", tracker.open_calls());
        }
        let records = ended(&out);
        assert_eq!(records.len() + tracker.open_calls(), 1000);
        let closed = tracker.take_closed_out();
        assert_eq!(closed.over_cap as usize, records.len());
        assert_eq!(closed.idle, 0);
        assert!(tracker.take_closed_out().is_empty(), "counted once");
        for record in &records {
            assert!(!record.end_known, "{record:?}");
            assert_ne!(record.linkedid, format!("{T0}.0"), "call 0 is not quiet");
            // Ended at its last event (its start: nothing came after it).
            assert_eq!(record.ended_at_ms, record.started_at_ms);
            assert_eq!(
                record.customer_number_raw.as_deref().map(str::len),
                Some(11)
            );
        }
        // The newest calls are still open, and so is call 0.
        let changes = tracker.take_changes();
        let saved: Vec<&str> = changes
            .iter()
            .filter_map(|c| match c {
                OpenCallChange::Saved(open) => Some(open.linkedid.as_str()),
                OpenCallChange::Closed(_) => None,
            })
            .collect();
        assert!(saved.contains(&format!("{T0}.0").as_str()));
        assert!(saved.contains(&format!("{T0}.999").as_str()));
        // Every call closed out leaves the durable open-calls table too.
        let closed_rows = changes
            .iter()
            .filter(|c| matches!(c, OpenCallChange::Closed(_)))
            .count();
        assert_eq!(closed_rows, records.len());
        assert_eq!(saved.len(), tracker.open_calls());
    }

    #[test]
    fn a_call_without_events_past_the_idle_limit_is_closed_out_at_its_last_event() {
        let mut tracker = tracker(DEFAULT_MAX_OPEN_CALLS, 3600);
        let mut out = Vec::new();
        new_call(&mut tracker, 1, 0, &mut out);
        ringing(&mut tracker, 1, 10, &mut out);
        new_call(&mut tracker, 2, 3000, &mut out);
        assert!(ended(&out).is_empty());
        // An hour and a minute after call 1 was last heard of, a third call comes in.
        new_call(&mut tracker, 3, 3700, &mut out);
        let records = ended(&out);
        assert_eq!(records.len(), 1, "{records:?}");
        assert_eq!(records[0].linkedid, format!("{T0}.1"));
        assert!(!records[0].end_known);
        assert_eq!(records[0].ended_at_ms, (T0 + 10) * 1000);
        assert_eq!(tracker.open_calls(), 2);
        assert_eq!(
            tracker.take_closed_out(),
            ClosedOut {
                over_cap: 0,
                idle: 1
            }
        );
    }
}
