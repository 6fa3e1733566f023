//! The captures replayed into a database agree with Asterisk's own `queue_log`: every
//! wait and talk time within its ±1 s rule (queue_log subtracts whole epoch seconds), the
//! captures' millisecond facts exactly, and the figures computed from the call log count
//! what queue_log counts; the per-call figures stored on each call follow them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::path::PathBuf;

use crm_core::metrics::{MetricsSettings, summarize};
use crm_core::{CallFilter, PhoneNormalizer};
use support::run_tamas;

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/asterisk"
    ))
}

/// What queue_log says of one call (callid = the caller's Uniqueid = the Linkedid here).
#[derive(Debug, Default)]
struct QueueLogCall {
    wait_s: Option<i64>,
    talk_s: Option<i64>,
    abandoned: bool,
}

fn read_queue_log() -> HashMap<String, QueueLogCall> {
    let mut calls: HashMap<String, QueueLogCall> = HashMap::new();
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("queue_log") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let fields: Vec<&str> = line.split('|').collect();
            let (callid, event) = (fields[1], fields[4]);
            if callid == "NONE" {
                continue; // PAUSE / UNPAUSE of a member, not a call
            }
            let number = |i: usize| fields.get(i).and_then(|v| v.parse::<i64>().ok());
            let call = calls.entry(callid.to_owned()).or_default();
            match event {
                "CONNECT" => call.wait_s = number(5),
                "ABANDON" => {
                    call.wait_s = number(7);
                    call.abandoned = true;
                }
                "COMPLETECALLER" | "COMPLETEAGENT" => call.talk_s = number(6),
                _ => {}
            }
        }
    }
    calls
}

#[tokio::test]
async fn replayed_waits_and_talk_times_agree_with_queue_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("tamas.db").display());
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/tamas.toml");
    let capture = |name: &str| fixtures().join(name).to_string_lossy().into_owned();
    // Each capture is one connection; the killed PBX is followed by the reconnect.
    let runs: Vec<Vec<String>> = vec![
        vec![capture("01-inbound-answered.ami")],
        vec![capture("02-inbound-abandoned.ami")],
        vec![capture("03-ring-no-answer.ami")],
        vec![capture("05-blind-transfer.ami")],
        vec![capture("05-attended-transfer.ami")],
        vec![capture("10-state-queries.ami")],
        vec![capture("11-asterisk-stopped.ami")],
        vec![
            capture("11-asterisk-killed.ami"),
            capture("11-reconnect-resync.ami"),
        ],
        vec![capture("12-sales-local-members.ami")],
    ];
    for files in &runs {
        let mut args = vec!["--config", config, "--database-url", db.as_str(), "replay"];
        args.extend(files.iter().map(String::as_str));
        let out = run_tamas(&db, &args, None);
        assert!(out.status.success(), "{out:?}");
    }

    let store = crm_core::connect(&db, PhoneNormalizer::new("IR"))
        .await
        .unwrap();
    let calls = store.list_calls(&CallFilter::default()).await.unwrap();
    let queue_log = read_queue_log();
    let mut checked = 0;
    for call in &calls {
        let Some(expected) = queue_log.get(&call.linkedid) else {
            continue;
        };
        if let Some(wait_s) = expected.wait_s {
            let wait_ms = call.wait_ms.expect("a queued call has a wait");
            assert!(
                (wait_ms - wait_s * 1000).abs() <= 1000,
                "{}: wait {wait_ms} ms vs queue_log {wait_s} s",
                call.linkedid
            );
            checked += 1;
        }
        if let Some(talk_s) = expected.talk_s {
            let talk_ms = call.talk_ms.expect("a completed call has a talk time");
            assert!(
                (talk_ms - talk_s * 1000).abs() <= 1000,
                "{}: talk {talk_ms} ms vs queue_log {talk_s} s",
                call.linkedid
            );
            checked += 1;
        }
        assert_eq!(
            call.disposition.as_str() == "abandoned",
            expected.abandoned,
            "{}",
            call.linkedid
        );
    }
    // The millisecond facts of the captures' READMEs, as stored in the call log.
    let mut facts_checked = 0;
    for path in std::fs::read_dir(fixtures()).unwrap() {
        let path = path.unwrap().path();
        if !path.to_string_lossy().ends_with(".facts.json") {
            continue;
        }
        let facts: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for expected in facts["expected"].as_array().into_iter().flatten() {
            let Some(call) = calls
                .iter()
                .find(|c| expected["linkedid"] == c.linkedid.as_str())
            else {
                continue;
            };
            for (fact, stored) in [
                ("wait_ms", call.wait_ms),
                ("talk_ms", call.talk_ms),
                ("ring_ms", call.ring_ms),
            ] {
                if let Some(ms) = expected[fact].as_i64() {
                    assert_eq!(stored, Some(ms), "{} {fact}", call.linkedid);
                    facts_checked += 1;
                }
            }
        }
    }
    assert!(
        facts_checked >= 13,
        "{facts_checked} millisecond facts compared"
    );
    // Transfers: each agent's own part and who really hung up, as stored.
    let mut segments_checked = 0;
    for name in ["05-blind-transfer", "05-attended-transfer"] {
        let facts: serde_json::Value = serde_json::from_slice(
            &std::fs::read(fixtures().join(format!("{name}.facts.json"))).unwrap(),
        )
        .unwrap();
        let expected = &facts["expected"][0];
        let call = calls
            .iter()
            .find(|c| expected["linkedid"] == c.linkedid.as_str())
            .unwrap();
        let want: Vec<(String, Option<i64>)> = expected["agent_segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["extension"].as_str().unwrap().to_owned(),
                    s["talk_ms"].as_i64(),
                )
            })
            .collect();
        let got: Vec<(String, Option<i64>)> = call
            .agent_segments
            .iter()
            .map(|s| (s.extension.clone(), s.talk_ms))
            .collect();
        assert_eq!(got, want, "{name}: agent segments");
        assert_eq!(
            call.hangup_by_extension.as_deref(),
            expected["hangup_by_extension"].as_str(),
            "{name}: who hung up"
        );
        let target = &want[1].0;
        assert_eq!(call.agents()[0], *target, "{name}: who talked last first");
        segments_checked += 1;
    }
    assert_eq!(segments_checked, 2);

    // 10 queued calls give 10 waits; 5 COMPLETE lines give talk times (2 calls were
    // abandoned, the killed PBX never wrote one, the transfers end in *TRANSFER lines).
    assert_eq!(
        checked, 15,
        "every queue_log wait and talk time was compared"
    );

    let facts: Vec<_> = calls.iter().map(crm_core::CallRow::facts).collect();
    let summary = summarize(&facts, &MetricsSettings::default());

    // `tamas report` agrees, with a Jalali end date (14 Azar 1405 = 5 December 2026, the
    // day of the transfer captures).
    let report = run_tamas(
        &db,
        &[
            "report",
            "--from",
            "2026-11-22",
            "--to",
            "1405-09-14",
            "--by",
            "queue",
            "--json",
        ],
        None,
    );
    assert!(report.status.success(), "{report:?}");
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(report["total"]["offered"], summary.offered);
    assert_eq!(report["total"]["abandoned"], summary.abandoned);
    assert_eq!(report["total"]["service_level_threshold_s"], 20);
    assert_eq!(report["buckets"]["sales"]["offered"], 2);
    // The captures were made on 22 November and 5 December 2026: first contacts are
    // pending for the FCR window (7 days) after them, all settled once it has passed.
    let captured_ms = calls.iter().map(|c| c.started_at_ms).max().unwrap();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let (pending, settled) = (
        report["fcr"]["pending"].as_u64().unwrap(),
        report["fcr"]["settled_first_contacts"].as_u64().unwrap(),
    );
    assert!(pending + settled > 0, "first contacts are counted");
    if now_ms - captured_ms >= 7 * 86_400_000 {
        assert_eq!(pending, 0, "old first contacts are settled");
    }
    assert!(
        report["cases"]["opened"].as_u64().unwrap() > 0,
        "first contacts open service requests"
    );
    // Per agent on the transfers' day: each target's talk is their own part (AHT of their
    // one call, no hold, no wrap-up yet), and 1001 handled both calls.
    let by_agent = run_tamas(
        &db,
        &[
            "report",
            "--from",
            "2026-12-05",
            "--to",
            "2026-12-05",
            "--by",
            "agent",
            "--json",
        ],
        None,
    );
    assert!(by_agent.status.success(), "{by_agent:?}");
    let by_agent: serde_json::Value = serde_json::from_slice(&by_agent.stdout).unwrap();
    let agents = &by_agent["buckets"];
    assert_eq!(agents["1002"]["answered"], 1, "{agents}");
    assert_eq!(agents["1002"]["aht_ms"], 7005, "1002's own talk");
    assert_eq!(agents["1003"]["answered"], 1, "{agents}");
    assert_eq!(agents["1003"]["aht_ms"], 12008, "1003's own talk");
    assert_eq!(agents["1001"]["answered"], 2, "{agents}");
    let abandons = queue_log.values().filter(|c| c.abandoned).count() as u64;
    assert_eq!(summary.offered, queue_log.len() as u64);
    assert_eq!(summary.abandoned, abandons);
    assert_eq!(summary.answered, summary.offered - abandons);

    // The per-call figures stored on each call: the service-level flag follows the
    // queue_log wait; a week and a day later every first contact has settled.
    let settings = MetricsSettings::default();
    let last = calls.iter().map(|c| c.started_at_ms).max().unwrap();
    let later = last + 8 * 86_400_000;
    let changed = app::metrics_job::settle_all(store.as_ref(), &settings, later)
        .await
        .unwrap();
    assert_eq!(changed.changed, calls.len(), "every call got its figures");
    use app::metrics_job::{Recompute, settle};
    let again = settle(store.as_ref(), &settings, later, Recompute::Every)
        .await
        .unwrap();
    assert_eq!(again.changed, 0, "a second run changes nothing");
    let nothing_new = std::collections::HashSet::new();
    let quiet = settle(
        store.as_ref(),
        &settings,
        later,
        Recompute::Changed(&nothing_new),
    )
    .await
    .unwrap();
    assert_eq!(quiet.changed, 0, "nor does a run after no change");
    let stored = store.list_calls(&CallFilter::default()).await.unwrap();
    let mut flagged = 0;
    for call in &stored {
        let Some(expected) = queue_log.get(&call.linkedid) else {
            assert_eq!(
                call.metrics.service_level_met, None,
                "{}: not offered",
                call.linkedid
            );
            continue;
        };
        let within = !expected.abandoned && expected.wait_s.is_some_and(|w| w <= 20);
        assert_eq!(
            call.metrics.service_level_met,
            Some(within),
            "{}",
            call.linkedid
        );
        flagged += 1;
        if call.disposition.as_str() == "answered" {
            let status = call.metrics.fcr_status.unwrap().as_str();
            assert_ne!(
                status, "pending",
                "{}: settled after the window",
                call.linkedid
            );
        }
    }
    assert_eq!(flagged, queue_log.len());
}
