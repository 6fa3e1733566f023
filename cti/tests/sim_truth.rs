//! The simulated PBX's truth file (`SimSettings::truth`, `--truth`) against the call
//! tracker: two independent derivations of the same calls — what the simulator did, and
//! what a client makes of the AMI bytes it received — must agree. Also the call-mix knobs
//! (`talk`, `wait`, `scenarios`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use cti::ami::client::{AmiClient, AmiClientSettings, AmiEvent, AmiEvents};
use cti::sim::{CallSpec, Scenario, SecondsRange, SimAgent, SimHandle, SimSettings, Simulator};
use cti::tracker::{AgentSettings, CallEventKind, CallRecord, CallTracker, TrackerSettings};
use serde_json::Value;
use tokio::net::TcpListener;

async fn start(settings: SimSettings) -> (SocketAddr, SimHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sim = Simulator::new(settings).unwrap();
    let handle = sim.handle();
    tokio::spawn(sim.serve(listener, std::future::pending()));
    (addr, handle)
}

fn tracker(agents: &[SimAgent]) -> CallTracker {
    CallTracker::new(TrackerSettings {
        pbx: "sim".into(),
        agents: agents
            .iter()
            .map(|a| AgentSettings {
                extension: a.extension.clone(),
                name: Some(a.name.clone()),
                devices: vec![],
            })
            .collect(),
        trunks: vec!["trunk".into()],
        ..TrackerSettings::default()
    })
}

/// A client through the real AMI client, logged in and resynced.
async fn client(addr: SocketAddr) -> (AmiClient, AmiEvents) {
    let settings = AmiClientSettings::new("127.0.0.1", addr.port(), "cti", "cti-secret".into());
    let (client, mut events) = AmiClient::connect(settings);
    loop {
        match events.recv().await.unwrap() {
            AmiEvent::Message(m) if m.is_event("QueueStatusComplete") => break,
            AmiEvent::LoginFailed { message } => panic!("{message}"),
            _ => {}
        }
    }
    (client, events)
}

/// Feeds the client's events to `tracker` until `count` calls have ended.
async fn track(events: &mut AmiEvents, tracker: &mut CallTracker, count: usize) -> Vec<CallRecord> {
    let mut records = Vec::new();
    let mut out = Vec::new();
    while records.len() < count {
        let event = tokio::time::timeout(Duration::from_secs(900), events.recv())
            .await
            .expect("calls end in time")
            .expect("client running");
        if let AmiEvent::Message(m) = event {
            tracker.handle(&m, &mut out);
            for e in out.drain(..) {
                if let CallEventKind::Ended(record) = e.kind {
                    records.push(*record);
                }
            }
        }
    }
    records
}

fn truth_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Asserts that the truth line and the tracker's record of one call agree: the same
/// facts, the same times within 50 ms.
fn assert_agree(truth: &Value, record: &CallRecord) {
    let record = serde_json::to_value(record).unwrap();
    let what = format!("{}\ntruth:   {truth}\ntracker: {record}", truth["scenario"]);
    for key in [
        "linkedid",
        "direction",
        "customer_number_raw",
        "queue",
        "answered_by_extension",
        "agent_extension",
        "from_extension",
        "to_extension",
        "disposition",
        "hangup_by",
        "hangup_by_extension",
    ] {
        assert_eq!(truth[key], record[key], "{key} of {what}");
    }
    let near = |t: &Value, r: &Value, key: &str| match (t.as_i64(), r.as_i64()) {
        (Some(t), Some(r)) => assert!((t - r).abs() <= 50, "{key} {t} vs {r} of {what}"),
        _ => assert_eq!(t, r, "{key} of {what}"),
    };
    for key in [
        "wait_ms",
        "talk_ms",
        "started_at_ms",
        "queue_joined_at_ms",
        "answered_at_ms",
        "ended_at_ms",
    ] {
        near(&truth[key], &record[key], key);
    }
    let segments = |v: &Value| v["agent_segments"].as_array().unwrap().clone();
    let (ts, rs) = (segments(truth), segments(&record));
    assert_eq!(ts.len(), rs.len(), "agent_segments of {what}");
    for (t, r) in ts.iter().zip(&rs) {
        assert_eq!(t["extension"], r["extension"], "segment of {what}");
        near(
            &t["connected_at_ms"],
            &r["connected_at_ms"],
            "connected_at_ms",
        );
        near(&t["talk_ms"], &r["talk_ms"], "segment talk_ms");
    }
    assert_eq!(
        truth["recording"]["file"], record["recording"]["file"],
        "recording of {what}"
    );
}

/// Places each call one after the other, tracks them all, and sets every truth line
/// against the record of the same Linkedid.
async fn place_and_compare(settings: SimSettings, calls: Vec<CallSpec>) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truth.jsonl");
    let agents = settings.agents.clone();
    let (addr, handle) = start(SimSettings {
        truth: Some(path.clone()),
        ..settings
    })
    .await;
    let (client, mut events) = client(addr).await;
    let mut tracker = tracker(&agents);
    let mut records = BTreeMap::new();
    for spec in calls {
        // An attended transfer is two calls: the consultation ends first.
        let count = if spec.scenario == Scenario::AttendedTransfer {
            2
        } else {
            1
        };
        let call = handle.place(spec).unwrap();
        for r in track(&mut events, &mut tracker, count).await {
            records.insert(r.linkedid.clone(), r);
        }
        call.finished().await;
    }
    client.shutdown().await;
    let lines = truth_lines(&path);
    assert_eq!(lines.len(), records.len(), "one line per call");
    for line in &lines {
        let linkedid = line["linkedid"].as_str().unwrap();
        assert_agree(line, &records[linkedid]);
    }
    lines
}

#[tokio::test(start_paused = true)]
async fn every_scenario_s_truth_agrees_with_the_tracker() {
    let mut calls: Vec<CallSpec> = Scenario::ALL.into_iter().map(CallSpec::new).collect();
    // And each again with a longer wait and talk, and given agents.
    calls.extend(Scenario::ALL.into_iter().map(|s| {
        CallSpec::new(s)
            .extra_wait(Duration::from_secs(7))
            .extra_talk(Duration::from_secs(13))
    }));
    let lines = place_and_compare(SimSettings::lab(), calls).await;
    let scenarios: Vec<&str> = lines
        .iter()
        .map(|l| l["scenario"].as_str().unwrap())
        .collect();
    for s in Scenario::ALL {
        assert!(scenarios.contains(&s.name()), "{s} has a truth line");
    }
    // The dispositions and hang-ups the scenarios are about.
    let of = |name: &str| lines.iter().find(|l| l["scenario"] == name).unwrap();
    assert_eq!(of("inbound-abandoned")["disposition"], "abandoned");
    assert_eq!(of("ring-no-answer")["hangup_by"], "agent");
    assert_eq!(of("internal")["direction"], "internal");
    assert_eq!(of("click-to-call")["direction"], "outbound");
}

#[tokio::test(start_paused = true)]
async fn talk_and_wait_ranges_give_calls_of_that_length() {
    let settings = SimSettings {
        talk: Some(SecondsRange::new(25, 25).unwrap()),
        wait: Some(SecondsRange::new(12, 12).unwrap()),
        ..SimSettings::lab()
    };
    let calls = [
        Scenario::InboundAnswered,
        Scenario::RingNoAnswer,
        Scenario::RingAllAnswered,
        Scenario::InboundAbandoned,
        Scenario::Outbound,
    ]
    .into_iter()
    .map(CallSpec::new)
    .collect();
    let lines = place_and_compare(settings, calls).await;
    for line in &lines {
        let ms = |key: &str| line[key].as_i64();
        if line["direction"] == "inbound" {
            let wait = ms("wait_ms").unwrap();
            assert!((11_500..=12_500).contains(&wait), "{line}");
        } else {
            assert_eq!(line["wait_ms"], Value::Null);
        }
        if line["disposition"] == "answered" {
            let talk = ms("talk_ms").unwrap();
            assert!((24_500..=25_500).contains(&talk), "{line}");
        }
    }

    // Shorter than captured is never asked of a call: the capture's length stays.
    let settings = SimSettings {
        talk: Some(SecondsRange::new(1, 2).unwrap()),
        wait: Some(SecondsRange::new(0, 1).unwrap()),
        ..SimSettings::lab()
    };
    let lines = place_and_compare(settings, vec![CallSpec::new(Scenario::InboundAnswered)]).await;
    assert_eq!(lines[0]["wait_ms"], 5009);
    assert_eq!(lines[0]["talk_ms"], 8284);
}

#[tokio::test(start_paused = true)]
async fn generated_calls_follow_the_mix_and_each_has_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truth.jsonl");
    let settings = SimSettings {
        agents: SimAgent::for_extensions(&["1001", "1002", "1003", "1004", "1005", "1006"]),
        calls_per_minute: 20.0,
        seed: 11,
        scenarios: vec![(Scenario::RingNoAnswer, 1), (Scenario::InboundAbandoned, 1)],
        talk: Some(SecondsRange::new(10, 40).unwrap()),
        truth: Some(path.clone()),
        ..SimSettings::lab()
    };
    let agents = settings.agents.clone();
    // Nobody is connected for the first minutes: the PBX runs on regardless.
    let (addr, _handle) = start(settings).await;
    tokio::time::sleep(Duration::from_secs(180)).await;
    let before = truth_lines(&path).len();
    assert!(before > 10, "{before} calls finished with no client");
    let (client, mut events) = client(addr).await;
    let mut tracker = tracker(&agents);
    let records = track(&mut events, &mut tracker, 20).await;
    client.shutdown().await;
    let lines = truth_lines(&path);
    for line in &lines {
        let scenario = line["scenario"].as_str().unwrap();
        assert!(
            scenario == "ring-no-answer" || scenario == "inbound-abandoned",
            "{line}"
        );
    }
    // Calls the client saw from start to end agree with their lines.
    let whole: Vec<&CallRecord> = records.iter().filter(|r| r.start_known).collect();
    assert!(whole.len() >= 15, "{} calls seen whole", whole.len());
    for record in whole {
        let line = lines
            .iter()
            .find(|l| l["linkedid"] == record.linkedid.as_str())
            .expect("a line for every finished call");
        assert_agree(line, record);
        if line["disposition"] == "answered" {
            let talk = line["talk_ms"].as_i64().unwrap();
            assert!((9_500..=40_500).contains(&talk), "{line}");
        }
    }
}
