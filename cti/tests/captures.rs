//! The tracker against real Asterisk 22 traffic: every capture in the fixtures is replayed
//! and every fact of its `facts.json` (`expected`) is checked. Values from AMI timestamps
//! must be exact (±1 ms for epoch times, which the record floors to milliseconds); values
//! from queue_log (whole seconds) within ±1 s.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cti::replay::replay_files;
use cti::tracker::{AgentSettings, CallEventKind, CallRecord, CallTracker, TrackerSettings};
use serde_json::Value;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/asterisk"
);

/// A tiny E.164 normaliser for Iranian numbers (the real one lives in crm-core).
fn ir_e164(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let national = if raw.starts_with('+') {
        digits.strip_prefix("98")?.to_owned()
    } else if let Some(rest) = digits.strip_prefix("0098") {
        rest.to_owned()
    } else if let Some(rest) = digits.strip_prefix('0') {
        rest.to_owned()
    } else {
        digits
    };
    (national.len() == 10 && !national.starts_with('0')).then(|| format!("+98{national}"))
}

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

/// The captures a scenario is replayed from.
fn connections(scenario: &str) -> Vec<String> {
    vec![format!("{FIXTURES}/{scenario}.ami")]
}

/// When the killed PBX's connection reached EOF (`run_notes.eof_time`), PBX time in ms.
fn killed_eof_ms() -> i64 {
    let facts: Value = serde_json::from_slice(
        &std::fs::read(format!("{FIXTURES}/11-asterisk-killed.facts.json")).unwrap(),
    )
    .unwrap();
    ts_ms(&facts["run_notes"]["eof_time"])
}

/// Replays the killed PBX the way the live link sees it: the last event came a second
/// before the kill, and the link knows the EOF's time by its own clock (it tells the
/// tracker with `observe_pbx_time` before `connection_lost`). Then the reconnect.
fn replay_killed(tracker: &mut CallTracker) -> Vec<CallRecord> {
    let mut events = Vec::new();
    let bytes = std::fs::read(format!("{FIXTURES}/11-asterisk-killed.ami")).unwrap();
    let mut frames = cti::ami::Frames::new(bytes::Bytes::from(bytes));
    while let Some(Ok(frame)) = frames.next() {
        if let cti::ami::Frame::Message(msg) = frame {
            tracker.handle(&msg, &mut events);
        }
    }
    assert!(
        events
            .iter()
            .all(|e| !matches!(e.kind, CallEventKind::Ended(_)))
    );
    tracker.observe_pbx_time(killed_eof_ms());
    tracker.connection_lost();
    replay_files(tracker, &[format!("{FIXTURES}/11-reconnect-resync.ami")])
        .unwrap()
        .records
}

fn replay_scenario(scenario: &str) -> Vec<CallRecord> {
    let mut tracker = CallTracker::new(lab_settings()).with_number_normalizer(ir_e164);
    if scenario == "11-asterisk-killed" {
        let records = replay_killed(&mut tracker);
        assert_eq!(tracker.open_calls(), 0);
        return records;
    }
    let replay = replay_files(&mut tracker, &connections(scenario)).unwrap();
    assert_eq!(replay.stats.open_calls, 0, "{scenario}: calls left open");
    assert_eq!(replay.stats.truncated_bytes, 0, "{scenario}");
    replay.records
}

fn ts_ms(v: &Value) -> i64 {
    (v.as_f64().unwrap() * 1000.0).round() as i64
}

fn assert_epoch_ms(what: &str, got: Option<i64>, want: &Value) {
    if want.is_null() {
        assert_eq!(got, None, "{what}");
        return;
    }
    let got = got.unwrap_or_else(|| panic!("{what}: missing, want {want}"));
    assert!(
        (got - ts_ms(want)).abs() <= 1,
        "{what}: got {got}, want {want}"
    );
}

fn assert_within_s(what: &str, got_ms: Option<u64>, want_s: &Value) {
    let got = got_ms.unwrap_or_else(|| panic!("{what}: missing")) as i64;
    let want = want_s.as_i64().unwrap() * 1000;
    assert!(
        (got - want).abs() <= 1000,
        "{what}: got {got} ms, queue_log says {want_s} s"
    );
}

/// Checks one `expected` object against the record; every key must be understood.
fn check(scenario: &str, want: &serde_json::Map<String, Value>, rec: &CallRecord) {
    let json = serde_json::to_value(rec).unwrap();
    let ctx = |key: &str| format!("{scenario} {} {key}", rec.linkedid);
    for (key, value) in want {
        let same_name = |k: &str| assert_eq!(&json[k], value, "{}", ctx(k));
        match key.as_str() {
            "linkedid"
            | "direction"
            | "customer_number_raw"
            | "customer_number_e164"
            | "customer_name"
            | "did"
            | "queue"
            | "answered_by_extension"
            | "answered_by_name"
            | "wait_ms"
            | "talk_ms"
            | "disposition"
            | "hangup_cause"
            | "hangup_by_extension"
            | "agent_extension"
            | "agent_name"
            | "from_extension"
            | "to_extension"
            | "agent_channel_up_after_ms"
            | "ring_ms" => same_name(key),
            "customer_name_ami_raw" => {
                let want_name = value
                    .as_str()
                    .filter(|n| *n != "<unknown>" && !n.is_empty());
                assert_eq!(rec.customer_name.as_deref(), want_name, "{}", ctx(key));
            }
            "customer_ring_ms" => assert_eq!(&json["ring_ms"], value, "{}", ctx(key)),
            "hangup_by" => {
                // "system (core stop now)" names the reason after the party.
                let party = value.as_str().map(|s| s.split(' ').next().unwrap_or(s));
                assert_eq!(json["hangup_by"].as_str(), party, "{}", ctx(key));
            }
            "agents_rung" => {
                let want_rung = value.as_array().unwrap();
                assert_eq!(rec.agents_rung.len(), want_rung.len(), "{}", ctx(key));
                for (got, w) in rec.agents_rung.iter().zip(want_rung) {
                    let got = serde_json::to_value(got).unwrap();
                    for (k, v) in w.as_object().unwrap() {
                        assert_eq!(&got[k], v, "{} {k}", ctx(key));
                    }
                }
            }
            "agent_segments" => {
                let want_seg = value.as_array().unwrap();
                assert_eq!(rec.agent_segments.len(), want_seg.len(), "{}", ctx(key));
                for (got, w) in rec.agent_segments.iter().zip(want_seg) {
                    let got = serde_json::to_value(got).unwrap();
                    for (k, v) in w.as_object().unwrap() {
                        assert_eq!(&got[k], v, "{} {k}", ctx(key));
                    }
                }
            }
            "transfers" => {
                let want_t = value.as_array().unwrap();
                assert_eq!(rec.transfers.len(), want_t.len(), "{}", ctx(key));
                for (got, w) in rec.transfers.iter().zip(want_t) {
                    let got_json = serde_json::to_value(got).unwrap();
                    assert_eq!(got_json["kind"], w["type"], "{}", ctx(key));
                    assert_eq!(got.succeeded, w["result"] == "Success", "{}", ctx(key));
                    assert_eq!(got.to_extension.as_deref(), w["to_extension"].as_str());
                    // `PJSIP/1001-00000014` → 1001
                    let from = w["from_channel"]
                        .as_str()
                        .and_then(|c| c.split('/').nth(1))
                        .and_then(|c| c.split('-').next());
                    assert_eq!(got.from_extension.as_deref(), from, "{}", ctx(key));
                    assert_epoch_ms(&ctx(key), Some(got.at_ms), &w["at"]);
                }
            }
            "queue_joined_ts" => assert_epoch_ms(&ctx(key), rec.queue_joined_at_ms, value),
            "agent_connected_ts" => assert_epoch_ms(&ctx(key), rec.agent_connected_at_ms, value),
            "answered_ts" => assert_epoch_ms(&ctx(key), rec.answered_at_ms, value),
            "started_ts" => assert_epoch_ms(&ctx(key), Some(rec.started_at_ms), value),
            "ended_ts" => {
                if value.is_null() {
                    assert!(!rec.end_known, "{}", ctx(key));
                } else {
                    assert!(rec.end_known, "{}", ctx(key));
                    assert_epoch_ms(&ctx(key), Some(rec.ended_at_ms), value);
                }
            }
            "wait_s_queue_log" => assert_within_s(&ctx(key), rec.wait_ms, value),
            "talk_s_queue_log" => {
                // A transfer's queue_log calltime is the answering agent's own part.
                let talk = if rec.transfers.is_empty() {
                    rec.talk_ms
                } else {
                    rec.agent_segments
                        .iter()
                        .find(|s| Some(&s.extension) == rec.answered_by_extension.as_ref())
                        .and_then(|s| s.talk_ms)
                };
                assert_within_s(&ctx(key), talk, value)
            }
            "ring_s_queue_log" => {
                let answered = rec
                    .agents_rung
                    .iter()
                    .find(|a| a.extension == rec.answered_by_extension)
                    .and_then(|a| a.ring_ms);
                assert_within_s(&ctx(key), answered, value);
            }
            "recording" => match value {
                Value::Null => assert_eq!(rec.recording, None, "{}", ctx(key)),
                Value::Object(w) => {
                    let got = rec
                        .recording
                        .as_ref()
                        .unwrap_or_else(|| panic!("{}", ctx(key)));
                    assert_eq!(Some(got.file.as_str()), w["file"].as_str(), "{}", ctx(key));
                    assert_eq!(got.rx_leg.as_deref(), w["rx_leg"].as_str(), "{}", ctx(key));
                    assert_eq!(got.tx_leg.as_deref(), w["tx_leg"].as_str(), "{}", ctx(key));
                    // duration_s, empty and header_consistent come from the WAV files
                    // (the recordings crate), not from AMI.
                }
                other => panic!("{}: {other}", ctx(key)),
            },
            "end_known_from_ami" => {
                assert_eq!(Some(rec.end_known), value.as_bool(), "{}", ctx(key))
            }
            "talk_ms_at_least" => {
                let talk = rec.talk_ms.unwrap_or_else(|| panic!("{}", ctx(key)));
                assert!(talk >= value.as_u64().unwrap(), "{}: {talk}", ctx(key));
            }
            "must_be_closed_by_resync" => {
                assert_eq!(value, &Value::Bool(true), "{}", ctx(key));
                assert!(!rec.end_known, "{}", ctx(key));
                assert_eq!(rec.hangup_by, None, "{}", ctx(key));
            }
            other => panic!("{}: fact {other:?} is not checked", ctx(other)),
        }
    }
}

fn scenarios() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|n| n.strip_suffix(".facts.json").map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[test]
fn every_capture_gives_exactly_the_expected_calls() {
    let all = scenarios();
    assert!(all.len() >= 11, "fixtures not found in {FIXTURES}");
    for scenario in all {
        let facts: Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{FIXTURES}/{scenario}.facts.json")).unwrap(),
        )
        .unwrap();
        let expected = facts["expected"].as_array().unwrap();
        let records = replay_scenario(&scenario);
        let mut got: Vec<&str> = records.iter().map(|r| r.linkedid.as_str()).collect();
        let mut want: Vec<&str> = expected
            .iter()
            .map(|e| e["linkedid"].as_str().unwrap())
            .collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{scenario}: calls (each exactly once)");
        for w in expected {
            let w = w.as_object().unwrap();
            let rec = records
                .iter()
                .find(|r| Some(r.linkedid.as_str()) == w["linkedid"].as_str())
                .unwrap();
            check(&scenario, w, rec);
            assert_eq!(rec.pbx, "lab");
            if scenario == "05-attended-transfer" {
                // 1001 put the caller on hold (`Hold`) to consult 1003.
                assert!(rec.hold_ms > 0, "{scenario}: the consultation is hold");
            } else {
                assert_eq!(rec.hold_ms, 0, "{scenario}: queue music is not hold");
            }
            if !w.contains_key("transfers") {
                assert!(rec.transfers.is_empty(), "{scenario}");
            }
        }
    }
}

#[test]
fn click_to_call_carries_the_request_id() {
    let records = replay_scenario("04-click-to-call");
    assert_eq!(records[0].click_id.as_deref(), Some("ctc-7f3a"));
    for scenario in [
        "01-inbound-answered",
        "06-outbound-from-phone",
        "07-internal-call",
    ] {
        assert_eq!(replay_scenario(scenario)[0].click_id, None, "{scenario}");
    }
}

/// The PBX was killed four seconds into the talk; its last event came a second before.
/// The call ends when the PBX died (the EOF, by the link's clock), not at the reconnect:
/// talk between the 4,002 ms it lasted at least and the EOF plus a second.
#[test]
fn a_killed_pbx_ends_its_calls_when_it_died() {
    let mut tracker = CallTracker::new(lab_settings());
    let records = replay_killed(&mut tracker);
    assert_eq!(records.len(), 1);
    let rec = &records[0];
    let eof = killed_eof_ms();
    let connected = rec.agent_connected_at_ms.unwrap();
    let talk = rec.talk_ms.unwrap();
    let upper = u64::try_from(eof - connected + 1000).unwrap();
    assert!(
        (4002..=upper).contains(&talk),
        "talk {talk} ms, at most {upper}"
    );
    assert!(!rec.end_known);
    assert_eq!(rec.ended_at_ms, eof);
    assert_eq!(rec.wait_ms, Some(2010));
}

#[test]
fn the_killed_call_stays_open_until_the_resync() {
    let mut tracker = CallTracker::new(lab_settings());
    let killed = replay_files(
        &mut tracker,
        &[format!("{FIXTURES}/11-asterisk-killed.ami")],
    )
    .unwrap();
    assert!(killed.records.is_empty());
    assert_eq!(killed.stats.open_calls, 1);
    let resync = replay_files(
        &mut tracker,
        &[format!("{FIXTURES}/11-reconnect-resync.ami")],
    )
    .unwrap();
    assert_eq!(resync.records.len(), 1);
    let rec = &resync.records[0];
    assert_eq!(rec.linkedid, "1795343347.0");
    assert!(!rec.end_known);
    // Closed at the last PBX time seen before the connection broke (a replay knows no
    // other clock), not at the reconnect twenty seconds later.
    assert_eq!(rec.ended_at_ms, 1_795_343_352_927);
    assert_eq!(tracker.open_calls(), 0);
    // Replaying the resync again finds nothing more to close.
    let again = replay_files(
        &mut tracker,
        &[format!("{FIXTURES}/11-reconnect-resync.ami")],
    )
    .unwrap();
    assert!(again.records.is_empty());
}

/// The call events of a scenario, each as `type[:detail]`.
fn event_trail(scenario: &str) -> Vec<String> {
    let mut tracker = CallTracker::new(lab_settings()).with_number_normalizer(ir_e164);
    let bytes = std::fs::read(format!("{FIXTURES}/{scenario}.ami")).unwrap();
    let mut trail = Vec::new();
    cti::replay::replay(&mut tracker, [bytes.into()], |e| {
        let v = serde_json::to_value(&e).unwrap();
        let detail = match &e.kind {
            CallEventKind::Started { direction, .. } => format!("{direction:?}"),
            CallEventKind::Queued { queue, .. } => queue.clone(),
            CallEventKind::AgentRinging {
                extension,
                caller_number,
                ..
            } => {
                format!("{extension}<-{}", caller_number.as_deref().unwrap_or("?"))
            }
            CallEventKind::AgentRingStopped {
                extension,
                result,
                ring_ms,
                ..
            } => format!(
                "{}:{result:?}:{}",
                extension.as_deref().unwrap_or("?"),
                ring_ms.unwrap_or(0)
            ),
            CallEventKind::Answered {
                extension, wait_ms, ..
            } => format!(
                "{}:{}",
                extension.as_deref().unwrap_or("?"),
                wait_ms.map_or("-".into(), |w| w.to_string())
            ),
            CallEventKind::RecordingStarted(r) => r.file.clone(),
            CallEventKind::Ended(r) => format!("{:?}", r.disposition),
            _ => String::new(),
        };
        trail.push(format!("{}:{detail}", v["type"].as_str().unwrap()));
    })
    .unwrap();
    trail
}

#[test]
fn call_events_follow_the_captures() {
    assert_eq!(
        event_trail("01-inbound-answered"),
        [
            "started:Inbound",
            "recording_started:1795342979.0.wav",
            "queued:support",
            "agent_ringing:1001<-09121234567",
            "answered:1001:5009",
            "ended:Answered",
        ]
    );
    assert_eq!(
        event_trail("03-ring-no-answer"),
        [
            "started:Inbound",
            "recording_started:1795343013.12.wav",
            "queued:support",
            "agent_ringing:1001<-02144556677",
            "agent_ring_stopped:1001:RingNoAnswer:7000",
            "agent_ringing:1002<-02144556677",
            "answered:1002:11015",
            "ended:Answered",
        ]
    );
    // Ring-all through Local channels: each agent's phone pops exactly once.
    let sales = event_trail("12-sales-local-members");
    assert_eq!(
        sales
            .iter()
            .filter(|e| e.starts_with("agent_ringing"))
            .collect::<Vec<_>>(),
        [
            "agent_ringing:1003<-09123334455",
            "agent_ringing:1002<-09123334455",
            "agent_ringing:1001<-09123334455",
        ]
    );
    assert!(
        sales.contains(&"answered:1002:4016".to_owned()),
        "{sales:?}"
    );
    assert_eq!(
        sales
            .iter()
            .filter(|e| e.starts_with("agent_ring_stopped"))
            .count(),
        2,
        "{sales:?}"
    );
    let abandoned = event_trail("02-inbound-abandoned");
    assert_eq!(abandoned.last().unwrap(), "ended:Abandoned");
    assert_eq!(
        abandoned
            .iter()
            .filter(|e| e.contains(":Cancelled:"))
            .count(),
        3,
        "{abandoned:?}"
    );
    assert_eq!(
        event_trail("04-click-to-call"),
        [
            // The dialplan records before it dials, and the dial makes it outbound.
            "recording_started:1795343037.15.wav",
            "started:Outbound",
            "answered:1002:-",
            "ended:Answered",
        ]
    );
    assert_eq!(
        event_trail("07-internal-call"),
        [
            "started:Internal",
            "agent_ringing:1003<-1001",
            "answered:1003:-",
            "ended:Answered",
        ]
    );
}

/// Every event of a capture, in order.
fn scenario_events(scenario: &str) -> Vec<cti::tracker::CallEvent> {
    let mut tracker = CallTracker::new(lab_settings()).with_number_normalizer(ir_e164);
    let mut events = Vec::new();
    let bytes = std::fs::read(format!("{FIXTURES}/{scenario}.ami")).unwrap();
    let mut frames = cti::ami::Frames::new(bytes::Bytes::from(bytes));
    while let Some(Ok(frame)) = frames.next() {
        if let cti::ami::Frame::Message(msg) = frame {
            tracker.handle(&msg, &mut events);
        }
    }
    events
}

/// What one agent hears of a call: ringing (with the wait), answered or joined, left
/// (with their own talk), in order.
fn agent_steps(events: &[cti::tracker::CallEvent], ext: &str) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            CallEventKind::AgentRinging {
                extension,
                waited_ms,
                ..
            } if extension == ext => Some(format!("ringing {waited_ms}")),
            CallEventKind::Answered {
                extension: Some(extension),
                ..
            } if extension == ext => Some("answered".to_owned()),
            CallEventKind::AgentJoined { extension, .. } if extension == ext => {
                Some("joined".to_owned())
            }
            CallEventKind::AgentLeft { extension, talk_ms } if extension == ext => {
                Some(format!("left {talk_ms}"))
            }
            CallEventKind::Ended(_) => Some("ended".to_owned()),
            _ => None,
        })
        .collect()
}

/// The transfer's target rings (waiting since the transfer, not the queue join), joins,
/// and each agent's part ends with their own talk time from the facts; a blind target who
/// hangs up before the customer's line clears leaves before the call ends.
#[test]
fn transfers_tell_each_agent_their_part() {
    let blind = scenario_events("05-blind-transfer");
    assert_eq!(
        agent_steps(&blind, "1001"),
        ["ringing 2", "answered", "left 5012", "ended"]
    );
    // The transfer at .397386, 1002's ring at .402145.
    assert_eq!(
        agent_steps(&blind, "1002"),
        ["ringing 5", "joined", "left 7005", "ended"]
    );
    let attended = scenario_events("05-attended-transfer");
    assert_eq!(
        agent_steps(&attended, "1001"),
        ["ringing 1", "answered", "left 14010", "ended"]
    );
    // 1003 rings during the consultation, before the transfer: no wait for them yet.
    assert_eq!(
        agent_steps(&attended, "1003"),
        ["ringing 0", "joined", "left 12008", "ended"]
    );
    for events in [&blind, &attended] {
        let CallEventKind::Ended(record) = &events.last().unwrap().kind else {
            panic!("the last event ends the call");
        };
        for segment in &record.agent_segments {
            let left = events.iter().find_map(|e| match &e.kind {
                CallEventKind::AgentLeft { extension, talk_ms }
                    if *extension == segment.extension =>
                {
                    Some(*talk_ms)
                }
                _ => None,
            });
            assert_eq!(left, segment.talk_ms, "{}", segment.extension);
        }
    }
}
