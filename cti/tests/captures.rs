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

/// The captures a scenario is replayed from: the killed PBX is followed by the reconnect.
fn connections(scenario: &str) -> Vec<String> {
    let mut files = vec![format!("{FIXTURES}/{scenario}.ami")];
    if scenario == "11-asterisk-killed" {
        files.push(format!("{FIXTURES}/11-reconnect-resync.ami"));
    }
    files
}

fn replay_scenario(scenario: &str) -> Vec<CallRecord> {
    let mut tracker = CallTracker::new(lab_settings()).with_number_normalizer(ir_e164);
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
            "talk_s_queue_log" => assert_within_s(&ctx(key), rec.talk_ms, value),
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
            assert_eq!(rec.hold_ms, 0, "{scenario}: queue music is not hold");
            assert!(rec.transfers.is_empty(), "{scenario}");
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
    // Closed at the latest PBX time known: the reconnect's first timestamps.
    assert!(rec.ended_at_ms >= 1_795_343_367_000);
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
