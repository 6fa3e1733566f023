//! Calls in progress across a restart of Tamas, on real Asterisk traffic: the tracker's
//! snapshots ([`OpenCall`]), saved as JSON and restored into a new tracker, carry every call
//! on exactly as if nothing had stopped; a resync listing then reconciles what happened
//! while Tamas was away.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use bytes::Bytes;
use cti::ami::{Frame, Frames, Message};
use cti::tracker::{
    AgentSettings, AttemptResult, CallEvent, CallEventKind, CallRecord, CallTracker, Disposition,
    OpenCall, OpenCallChange, TrackerSettings,
};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/asterisk"
);

fn lab_settings() -> TrackerSettings {
    let agent = |ext: &str, name: &str| AgentSettings {
        extension: ext.into(),
        name: Some(name.into()),
        devices: vec![],
    };
    TrackerSettings {
        pbx: "lab".into(),
        agents: vec![
            agent("1001", "Sara Ahmadi"),
            agent("1002", "Reza Karimi"),
            agent("1003", "Maryam Hosseini"),
        ],
        trunks: vec!["trunk".into()],
        ..TrackerSettings::default()
    }
}

fn tracker() -> CallTracker {
    CallTracker::new(lab_settings()).track_changes()
}

/// The messages of one capture (one connection).
fn messages(bytes: Bytes) -> Vec<Message> {
    let mut out = Vec::new();
    for frame in Frames::new(bytes) {
        match frame {
            Ok(Frame::Message(msg)) => out.push(msg),
            Ok(Frame::Banner(_)) => {}
            Err(_) => break,
        }
    }
    out
}

fn capture(name: &str) -> Vec<Message> {
    messages(Bytes::from(
        std::fs::read(format!("{FIXTURES}/{name}.ami")).unwrap(),
    ))
}

/// One step of a scenario: a message, or the end of a connection.
enum Step {
    Msg(Message),
    Lost,
}

fn scenario(captures: &[&str]) -> Vec<Step> {
    let mut steps = Vec::new();
    for name in captures {
        steps.extend(capture(name).into_iter().map(Step::Msg));
        steps.push(Step::Lost);
    }
    steps
}

fn ended(events: Vec<CallEvent>) -> Vec<CallRecord> {
    events
        .into_iter()
        .filter_map(|e| match e.kind {
            CallEventKind::Ended(record) => Some(*record),
            _ => None,
        })
        .collect()
}

/// Runs `steps` through `tracker`, keeping the store's view of the open calls current
/// (the latest snapshot of each, as JSON) like the binary does after every message.
fn run(
    tracker: &mut CallTracker,
    steps: &[Step],
    saved: &mut BTreeMap<String, String>,
) -> Vec<CallEvent> {
    let mut out = Vec::new();
    for step in steps {
        match step {
            Step::Msg(msg) => tracker.handle(msg, &mut out),
            Step::Lost => tracker.connection_lost(),
        }
        for change in tracker.take_changes() {
            match change {
                OpenCallChange::Saved(open) => {
                    saved.insert(open.linkedid.clone(), serde_json::to_string(&open).unwrap());
                }
                OpenCallChange::Closed(linkedid) => {
                    saved.remove(&linkedid);
                }
            }
        }
    }
    out
}

/// A new tracker restored from `saved`, and the events the restore told.
fn restarted(
    saved: &BTreeMap<String, String>,
    stopped_at_ms: i64,
) -> (CallTracker, Vec<CallEvent>) {
    let calls: Vec<OpenCall> = saved
        .values()
        .map(|json| serde_json::from_str(json).unwrap())
        .collect();
    let mut tracker = tracker();
    let mut out = Vec::new();
    tracker.restore(calls, stopped_at_ms, &mut out);
    (tracker, out)
}

const SCENARIOS: &[&[&str]] = &[
    &["01-inbound-answered"],
    &["02-inbound-abandoned"],
    &["03-ring-no-answer"],
    &["04-click-to-call"],
    &["05-blind-transfer"],
    &["05-attended-transfer"],
    &["06-outbound-from-phone"],
    &["07-internal-call"],
    &["10-state-queries"],
    &["11-asterisk-stopped"],
    &["11-asterisk-killed", "11-reconnect-resync"],
    &["12-sales-local-members"],
];

/// Where the first `event` of `steps` is.
fn first(steps: &[Step], event: &str) -> usize {
    steps
        .iter()
        .position(|s| matches!(s, Step::Msg(m) if m.event() == Some(event)))
        .unwrap()
}

/// Whether the first `split` steps end inside a `CoreShowChannels` listing.
fn inside_listing(steps: &[Step], split: usize) -> bool {
    let mut inside = false;
    for step in &steps[..split] {
        if let Step::Msg(m) = step {
            match m.event() {
                Some("CoreShowChannel") => inside = true,
                Some("CoreShowChannelsComplete") => inside = false,
                _ => {}
            }
        }
    }
    inside
}

/// Stopping after any message and going on from the saved snapshots gives the records an
/// uninterrupted tracker gives, field for field.
#[test]
fn every_call_carries_on_from_any_point_exactly() {
    for names in SCENARIOS {
        let steps = scenario(names);
        let mut whole = tracker();
        let want = ended(run(&mut whole, &steps, &mut BTreeMap::new()));
        assert!(!want.is_empty(), "{names:?}");
        for split in 0..=steps.len() {
            if inside_listing(&steps, split) {
                // A restart is a new connection with a listing of its own.
                continue;
            }
            let mut before = tracker();
            let mut saved = BTreeMap::new();
            let mut got = ended(run(&mut before, &steps[..split], &mut saved));
            assert_eq!(before.open_calls(), saved.len(), "{names:?} at {split}");
            let stopped = before.clock_ms().unwrap_or(0);
            let (mut after, told) = restarted(&saved, stopped);
            assert!(ended(told).is_empty(), "a restore ends nothing");
            assert_eq!(after.open_calls(), saved.len(), "{names:?} at {split}");
            got.extend(ended(run(&mut after, &steps[split..], &mut saved)));
            assert_eq!(got, want, "{names:?} split after {split} messages");
            assert!(saved.is_empty(), "{names:?} at {split}: calls left saved");
        }
    }
}

/// The events a restore tells bring a listener to where the call is.
#[test]
fn a_restore_tells_where_each_call_is() {
    let steps = scenario(&["01-inbound-answered"]);
    let connect = first(&steps, "AgentConnect");
    let mut before = tracker();
    let mut saved = BTreeMap::new();
    run(&mut before, &steps[..=connect], &mut saved);
    let (_, told) = restarted(&saved, before.clock_ms().unwrap());
    let kinds: Vec<&str> = told
        .iter()
        .map(|e| match &e.kind {
            CallEventKind::Started { .. } => "started",
            CallEventKind::Queued { .. } => "queued",
            CallEventKind::RecordingStarted(_) => "recording",
            CallEventKind::AgentRinging { .. } => "ringing",
            CallEventKind::Answered { .. } => "answered",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["started", "queued", "recording", "answered"]);
    let CallEventKind::Answered {
        extension, wait_ms, ..
    } = &told[3].kind
    else {
        unreachable!()
    };
    assert_eq!(extension.as_deref(), Some("1001"));
    assert_eq!(*wait_ms, Some(5009));
}

fn listing(items: &[&str]) -> Vec<Message> {
    let mut text = String::from("Response: Success\r\nActionID: r-1\r\nEventList: start\r\n\r\n");
    for item in items {
        text.push_str(item);
        text.push_str("\r\n");
    }
    text.push_str(&format!(
        "Event: CoreShowChannelsComplete\r\nActionID: r-1\r\nEventList: Complete\r\nListItems: {}\r\n\r\n",
        items.len()
    ));
    messages(Bytes::from(text))
}

fn listed_channel(channel: &str, uid: &str, state: u8, duration: &str, bridge: &str) -> String {
    format!(
        "Event: CoreShowChannel\r\nActionID: r-1\r\nChannel: {channel}\r\nChannelState: {state}\r\n\
         Uniqueid: {uid}\r\nLinkedid: 1795342979.0\r\nDuration: {duration}\r\nBridgeId: {bridge}\r\n"
    )
}

/// Stopped while the caller waited; an agent answered while Tamas was away; the call ends
/// after the restart: one answered row with its queue, its wait (at least until the stop,
/// at most until the agent's channel was listed) and its agent.
#[test]
fn a_call_answered_while_tamas_was_away_is_answered() {
    let steps = scenario(&["01-inbound-answered"]);
    let called = first(&steps, "AgentCalled");
    let connect = first(&steps, "AgentConnect");
    let mut before = tracker();
    let mut saved = BTreeMap::new();
    run(&mut before, &steps[..called - 1], &mut saved);
    let stopped = before.clock_ms().unwrap();
    let (mut after, _) = restarted(&saved, stopped);
    // Restarted a second after the answer (1795342984.727): the agent's phone has been up
    // for one second, the caller's channel for six.
    let list = listing(&[
        &listed_channel("PJSIP/trunk-00000000", "1795342979.0", 6, "00:00:06", "b-1"),
        &listed_channel("PJSIP/1001-00000001", "1795342979.1", 6, "00:00:05", "b-1"),
    ]);
    let mut out = Vec::new();
    after.observe_pbx_time(1_795_342_985_800);
    for msg in &list {
        after.handle(msg, &mut out);
    }
    let answered = out
        .iter()
        .find_map(|e| match &e.kind {
            CallEventKind::Answered { extension, .. } => extension.clone(),
            _ => None,
        })
        .expect("told answered");
    assert_eq!(answered, "1001");
    let rest: Vec<&Message> = steps[connect + 1..]
        .iter()
        .filter_map(|s| match s {
            Step::Msg(m) => Some(m),
            Step::Lost => None,
        })
        .collect();
    for msg in rest {
        after.handle(msg, &mut out);
    }
    let records = ended(out);
    assert_eq!(records.len(), 1);
    let rec = &records[0];
    assert_eq!(rec.disposition, Disposition::Answered);
    assert_eq!(rec.queue.as_deref(), Some("support"));
    assert_eq!(rec.answered_by_extension.as_deref(), Some("1001"));
    assert!(rec.end_known);
    let wait = rec.wait_ms.unwrap();
    assert!(
        wait >= u64::try_from(stopped - rec.queue_joined_at_ms.unwrap()).unwrap() && wait <= 5009,
        "wait {wait}"
    );
    assert_eq!(rec.agents_rung.len(), 1);
    assert_eq!(rec.agents_rung[0].result, AttemptResult::Answered);
    assert_eq!(rec.agent_segments.len(), 1);
    assert_eq!(rec.agent_segments[0].extension, "1001");
    assert_eq!(
        rec.started_at_ms, 1_795_342_979_703,
        "the exact start survives"
    );
}

/// Stopped during the talk; the call ended while Tamas was away: one answered row, end
/// not known, ended at the stop, with its queue, wait and agent.
#[test]
fn a_call_that_ended_while_tamas_was_away_is_written_once() {
    let steps = scenario(&["01-inbound-answered"]);
    let hangup = first(&steps, "HangupRequest");
    let mut before = tracker();
    let mut saved = BTreeMap::new();
    run(&mut before, &steps[..hangup], &mut saved);
    let stopped = before.clock_ms().unwrap() + 700;
    let (mut after, _) = restarted(&saved, stopped);
    let mut out = Vec::new();
    after.observe_pbx_time(stopped + 30_000);
    for msg in listing(&[]) {
        after.handle(&msg, &mut out);
    }
    let records = ended(out);
    assert_eq!(records.len(), 1);
    let rec = &records[0];
    assert!(!rec.end_known);
    assert_eq!(
        rec.ended_at_ms, stopped,
        "ended at the last moment known open"
    );
    assert_eq!(rec.disposition, Disposition::Answered);
    assert_eq!(rec.wait_ms, Some(5009));
    assert_eq!(rec.answered_by_extension.as_deref(), Some("1001"));
    let talk = i64::try_from(rec.talk_ms.unwrap()).unwrap();
    assert!((talk - (stopped - rec.agent_connected_at_ms.unwrap())).abs() <= 1);
    assert_eq!(after.open_calls(), 0);
}

/// Tamas connects (first start, nothing saved) while a queue call is already answered:
/// the listing gives the call its queue and its agent, not a `no_answer` without a queue.
#[test]
fn a_call_already_answered_at_the_first_connect_keeps_its_queue_and_agent() {
    let steps = scenario(&["01-inbound-answered"]);
    let connect = first(&steps, "AgentConnect");
    let mut fresh = tracker();
    fresh.observe_pbx_time(1_795_342_985_800);
    let trunk = listed_channel("PJSIP/trunk-00000000", "1795342979.0", 6, "00:00:06", "b-1")
        + "Application: Queue\r\nApplicationData: support,t,,,300\r\n";
    let agent = listed_channel("PJSIP/1001-00000001", "1795342979.1", 6, "00:00:06", "b-1");
    let mut out = Vec::new();
    for msg in listing(&[&trunk, &agent]) {
        fresh.handle(&msg, &mut out);
    }
    for step in &steps[connect + 1..] {
        if let Step::Msg(m) = step {
            fresh.handle(m, &mut out);
        }
    }
    let records = ended(out);
    assert_eq!(records.len(), 1);
    let rec = &records[0];
    assert!(!rec.start_known);
    assert_eq!(rec.queue.as_deref(), Some("support"));
    assert_eq!(rec.disposition, Disposition::Answered);
    assert_eq!(rec.answered_by_extension.as_deref(), Some("1001"));
    assert_eq!(rec.agent_segments.len(), 1);
}

/// Stopped after the caller's channel appeared but before it joined the queue; at the
/// restart's listing the caller waits in `Queue(support)`, and an agent answers after the
/// restart: the call keeps its queue, joined no earlier than the stop.
#[test]
fn a_call_that_joined_its_queue_while_tamas_was_away_has_its_queue() {
    let steps = scenario(&["01-inbound-answered"]);
    let join = first(&steps, "QueueCallerJoin");
    let mut before = tracker();
    let mut saved = BTreeMap::new();
    run(&mut before, &steps[..join], &mut saved);
    assert_eq!(saved.len(), 1, "the call is saved without a queue");
    let stopped = before.clock_ms().unwrap();
    let (mut after, _) = restarted(&saved, stopped);
    let trunk = listed_channel("PJSIP/trunk-00000000", "1795342979.0", 6, "00:00:02", "")
        + "Application: Queue\r\nApplicationData: support,t,,,300\r\n";
    let mut out = Vec::new();
    after.observe_pbx_time(stopped + 1_000);
    for msg in listing(&[&trunk]) {
        after.handle(&msg, &mut out);
    }
    for step in &steps[join + 1..] {
        if let Step::Msg(m) = step {
            after.handle(m, &mut out);
        }
    }
    let records = ended(out);
    assert_eq!(records.len(), 1);
    let rec = &records[0];
    assert_eq!(rec.queue.as_deref(), Some("support"));
    assert!(rec.queue_joined_at_ms.unwrap() >= stopped);
    assert_eq!(rec.disposition, Disposition::Answered);
    assert_eq!(rec.answered_by_extension.as_deref(), Some("1001"));
}
