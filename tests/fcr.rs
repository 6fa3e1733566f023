//! First-call resolution on a generated history in a real database: repeats inside and
//! outside the window, one customer across number formats (`0912…`, `+98912…`,
//! `0098912…`), unknown callers followed by their number, a wrap-up marked unresolved,
//! an abandon before an answered call, and a first contact still inside its window. The
//! metrics job's stored statuses and `tamas report` agree with what the definitions say.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{HashMap, HashSet};

use crm_core::metrics::MetricsSettings;
use crm_core::{
    CallFilter, CallRecordInput, NewContact, NewPhone, PhoneNormalizer, Stage, Store, WrapUp,
};
use support::run_tamas;

const DAY: i64 = 86_400_000;
/// 2025-01-01T00:00:00Z: long past, so every first contact has settled for the report.
const BASE: i64 = 1_735_689_600_000;

/// An inbound call to `support` from `raw` at 09:00 on day `day` after [`BASE`].
fn inbound(store: &dyn Store, id: &str, raw: &str, day: i64, answered: bool) -> CallRecordInput {
    let at = BASE + day * DAY + 9 * 3_600_000;
    // As the bridge does: the tracker's number normaliser is the store's.
    let e164 = store
        .normalizer()
        .normalize(raw)
        .e164
        .map(|e| e.as_str().to_owned());
    CallRecordInput {
        pbx: "asterisk".into(),
        linkedid: id.into(),
        direction: crm_core::Direction::Inbound,
        customer_number_raw: Some(raw.into()),
        customer_number_e164: e164,
        customer_name: None,
        did: None,
        queue: Some("support".into()),
        agents_rung: Vec::new(),
        answered_by_extension: answered.then(|| "1001".to_owned()),
        agent_extension: answered.then(|| "1001".to_owned()),
        started_at_ms: at,
        queued_at_ms: Some(at + 2_000),
        answered_at_ms: answered.then_some(at + 12_000),
        ended_at_ms: Some(at + 120_000),
        wait_ms: Some(10_000),
        ring_ms: answered.then_some(4_000),
        talk_ms: answered.then_some(108_000),
        hold_ms: Some(0),
        disposition: if answered {
            crm_core::Disposition::Answered
        } else {
            crm_core::Disposition::Abandoned
        },
        hangup_by: Some(crm_core::HangupBy::Customer),
        hangup_by_extension: None,
        hangup_cause: Some(16),
        transfers: serde_json::json!([]),
        agent_segments: Vec::new(),
        recording_file: None,
        click_id: None,
        end_known: true,
        failure_reason: None,
    }
}

#[tokio::test]
async fn fcr_follows_the_customer_across_formats_windows_and_wrapups() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("tamas.db").display());
    let store = crm_core::connect(&db, PhoneNormalizer::new("IR"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let normalizer = store.normalizer().clone();
    store
        .create_contact(&NewContact {
            name: "Ali Rezaei".into(),
            stage: Stage::Customer,
            phones: vec![NewPhone {
                number: normalizer.normalize("0912 123 4567"),
                label: "mobile".into(),
            }],
            ..NewContact::default()
        })
        .await
        .unwrap();

    let history = [
        // Ali, a known contact: a first contact, then a repeat 3 days later in another format.
        ("ali-1", "09121234567", 0, true),
        ("ali-2", "+989121234567", 3, true),
        // An unknown caller, as 0098… then 0935… ten days later: two first contacts.
        ("u1-1", "00989351112233", 10, true),
        ("u1-2", "09351112233", 20, true),
        // An unknown caller whose only call the agent marked unresolved.
        ("u2-1", "+989357778899", 30, true),
        // An abandon, then the answered call the next day: the answered one is a first
        // contact, settled as resolved.
        ("u3-1", "0912 555 6677", 40, false),
        ("u3-2", "09125556677", 41, true),
        // Ali again, 55 days after his last call: a new first contact.
        ("ali-3", "0098 912 123 4567", 58, true),
    ];
    let mut ids = HashMap::new();
    for (linkedid, raw, day, answered) in history {
        let id = store
            .record_call(&inbound(store.as_ref(), linkedid, raw, day, answered))
            .await
            .unwrap();
        ids.insert(linkedid, id);
    }
    store
        .save_wrapup(
            ids["u2-1"],
            &WrapUp {
                outcome: "complaint".into(),
                resolved: Some(false),
                ..WrapUp::default()
            },
        )
        .await
        .unwrap();

    // The metrics job on day 60: Ali's last call is two days old, still pending.
    let settings = MetricsSettings::default();
    let changed = app::metrics_job::settle_all(store.as_ref(), &settings, BASE + 60 * DAY)
        .await
        .unwrap();
    assert_eq!(changed.changed, 8, "every call got its figures");
    let ali_3 = store.get_call(ids["ali-3"]).await.unwrap();
    assert_eq!(
        changed.next_due_ms,
        Some(ali_3.started_at_ms + settings.fcr_window_ms),
        "the job is due again when Ali's pending call settles"
    );
    let calls = store
        .list_calls(&CallFilter {
            limit: 100,
            ..CallFilter::default()
        })
        .await
        .unwrap();
    let status: HashMap<&str, (Option<bool>, Option<&str>)> = calls
        .iter()
        .map(|c| {
            (
                c.linkedid.as_str(),
                (
                    c.metrics.first_contact,
                    c.metrics.fcr_status.map(crm_core::FcrStatus::as_str),
                ),
            )
        })
        .collect();
    let expected = [
        ("ali-1", Some(true), Some("repeat_contact")),
        ("ali-2", Some(false), Some("follow_up")),
        ("u1-1", Some(true), Some("resolved_first_contact")),
        ("u1-2", Some(true), Some("resolved_first_contact")),
        ("u2-1", Some(true), Some("unresolved")),
        ("u3-1", None, None),
        ("u3-2", Some(true), Some("resolved_first_contact")),
        ("ali-3", Some(true), Some("pending")),
    ];
    for (linkedid, first, fcr) in expected {
        assert_eq!(status[linkedid], (first, fcr), "{linkedid}");
    }
    assert!(
        calls
            .iter()
            .all(|c| c.metrics.service_level_met == Some(c.disposition.as_str() == "answered")),
        "a 10 s wait meets the 20 s service level; an abandon does not"
    );

    // `tamas report` today: Ali's last call has long settled, as resolved.
    let report = run_tamas(
        &db,
        &[
            "report",
            "--from",
            "2025-01-01",
            "--to",
            "2025-03-31",
            "--json",
        ],
        None,
    );
    assert!(report.status.success(), "{report:?}");
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let fcr = &report["fcr"];
    assert_eq!(fcr["settled_first_contacts"], 6, "{fcr}");
    assert_eq!(fcr["resolved"], 4, "{fcr}");
    assert_eq!(fcr["pending"], 0, "{fcr}");
    assert_eq!(report["total"]["offered"], 8);
    assert_eq!(report["total"]["abandoned"], 1);
}

/// A minute's run recomputes only the customers whose figures can have changed: a new
/// call's, an edited call's (its figures cleared, or named as touched), and those of the
/// first contacts whose window has just ended; every other call is left as it is.
#[tokio::test]
async fn a_minutes_run_recomputes_only_the_customers_that_changed() {
    use app::metrics_job::{Recompute, settle, settle_all};
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("tamas.db").display());
    let store = crm_core::connect(&db, PhoneNormalizer::new("IR"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let settings = MetricsSettings::default();
    let record = |id: &str, raw: &str, day: i64| inbound(store.as_ref(), id, raw, day, true);
    let a1 = store
        .record_call(&record("a-1", "09351110001", 50))
        .await
        .unwrap();
    let b1 = store
        .record_call(&record("b-1", "09351110002", 52))
        .await
        .unwrap();
    let c1 = store
        .record_call(&record("c-1", "09351110003", 58))
        .await
        .unwrap();
    let now = BASE + 60 * DAY;
    let first = settle_all(store.as_ref(), &settings, now).await.unwrap();
    assert_eq!(first.changed, 3);
    let c1_due = store.get_call(c1).await.unwrap().started_at_ms + settings.fcr_window_ms;
    assert_eq!(first.next_due_ms, Some(c1_due), "c-1 is pending");
    let status = |row: crm_core::CallRow| row.metrics.fcr_status.map_or("", |s| s.as_str());
    let none = HashSet::new();

    // A repeat from a-1's caller: both a's calls change, nobody else's is looked at.
    let a2 = store
        .record_call(&record("a-2", "09351110001", 55))
        .await
        .unwrap();
    let run = settle(store.as_ref(), &settings, now, Recompute::Changed(&none))
        .await
        .unwrap();
    assert_eq!(run.changed, 2);
    assert_eq!(status(store.get_call(a1).await.unwrap()), "repeat_contact");
    assert_eq!(status(store.get_call(a2).await.unwrap()), "follow_up");
    assert_eq!(
        run.next_due_ms,
        Some(c1_due),
        "c-1 still pending, left alone"
    );

    // A wrap-up marks b-1 unresolved: its figures were cleared, so it is recomputed.
    let unresolved = WrapUp {
        outcome: "complaint".into(),
        resolved: Some(false),
        ..WrapUp::default()
    };
    store.save_wrapup(b1, &unresolved).await.unwrap();
    let run = settle(store.as_ref(), &settings, now, Recompute::Changed(&none))
        .await
        .unwrap();
    assert_eq!(run.changed, 1);
    assert_eq!(status(store.get_call(b1).await.unwrap()), "unresolved");

    // Figures written over by a run that raced an edit: the edit's notice (the call
    // touched) makes the next run recompute them.
    let stale = crm_core::CallMetrics {
        fcr_status: Some(crm_core::FcrStatus::ResolvedFirstContact),
        computed_at_ms: Some(now),
        ..store.get_call(b1).await.unwrap().metrics
    };
    store.set_call_metrics(b1, &stale).await.unwrap();
    let touched = HashSet::from([b1]);
    let run = settle(store.as_ref(), &settings, now, Recompute::Changed(&touched))
        .await
        .unwrap();
    assert_eq!(run.changed, 1);
    assert_eq!(status(store.get_call(b1).await.unwrap()), "unresolved");

    // c-1's window ends: it settles, alone.
    let later = c1_due + 1;
    let run = settle(store.as_ref(), &settings, later, Recompute::Changed(&none))
        .await
        .unwrap();
    assert_eq!(run.changed, 1);
    assert_eq!(
        status(store.get_call(c1).await.unwrap()),
        "resolved_first_contact"
    );
    assert_eq!(run.next_due_ms, None);
    let again = settle(store.as_ref(), &settings, later, Recompute::Every)
        .await
        .unwrap();
    assert_eq!(again.changed, 0, "what was left alone was right");
}
