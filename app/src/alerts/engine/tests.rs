//! The engine against a real (SQLite) store and a queue board fed AMI events: what the
//! rules write, and when they resolve.

use std::sync::{Arc, RwLock};

use crm_core::{
    AlertFilter, AlertKind, AlertState, CallRecordInput, Extension, Locale, NewCallback,
    NewContact, NewPhone, NewUser, Role, Stage, Store, TaskStatus, User, Username,
};
use cti::ami::Message;
use cti::live::queues::QueueBoard;

use super::*;

struct Fixture {
    store: Arc<dyn Store>,
    engine: AlertEngine,
    sara: User,
    reza: User,
    _dir: tempfile::TempDir,
}

async fn fixture(rules: AlertRules) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    let store = crm_core::connect(&url, crm_core::PhoneNormalizer::new("IR"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let mut users = Vec::new();
    for (name, ext) in [("sara", "1001"), ("reza", "1002")] {
        users.push(
            store
                .create_user(&NewUser {
                    username: Username::parse(name).unwrap(),
                    display_name: name.into(),
                    role: Role::Agent,
                    extension: Some(Extension::parse(ext).unwrap()),
                    locale: Locale::En,
                    password_hash: "x".into(),
                })
                .await
                .unwrap(),
        );
    }
    let mut board = QueueBoard::new();
    for ext in ["1001", "1002"] {
        let text = format!(
            "Event: QueueMemberAdded\r\nQueue: support\r\nInterface: PJSIP/{ext}\r\nStatus: 1\r\nPaused: 0\r\n\r\n"
        );
        board.handle(&Message::parse(text.into_bytes()).unwrap());
    }
    let engine = AlertEngine::new(
        Arc::clone(&store),
        crate::hub::Hub::default(),
        Arc::new(AgentUsers::new(Arc::clone(&store))),
        Arc::new(RwLock::new(board)),
        rules,
        MetricsSettings::default(),
    );
    let reza = users.pop().unwrap();
    let sara = users.pop().unwrap();
    Fixture {
        store,
        engine,
        sara,
        reza,
        _dir: dir,
    }
}

/// A queue call that ended a second ago, after starting a minute ago, or at local midnight
/// when that was less than a minute ago: the service-level rule reads today's calls.
fn call(linkedid: &str, number: &str, disposition: &str, wait_ms: i64) -> CallRecordInput {
    let now = now_ms();
    let started = (now - 60_000).max(MetricsSettings::default().local_midnight(now));
    serde_json::from_value(json!({
        "pbx": "sim", "linkedid": linkedid, "direction": "inbound",
        "customer_number_raw": number, "customer_number_e164": null, "customer_name": null,
        "did": null, "queue": "support", "agents_rung": [], "answered_by_extension": null,
        "agent_extension": null, "started_at_ms": started, "queued_at_ms": started,
        "answered_at_ms": null, "ended_at_ms": (now - 1_000).max(started), "wait_ms": wait_ms,
        "ring_ms": null, "talk_ms": null, "hold_ms": null, "disposition": disposition,
        "hangup_by": null, "hangup_by_extension": null, "hangup_cause": null,
        "transfers": [], "recording_file": null, "click_id": null, "end_known": true
    }))
    .unwrap()
}

async fn alerts(store: &Arc<dyn Store>, kind: AlertKind) -> Vec<Alert> {
    store
        .list_alerts(&AlertFilter {
            live_only: false,
            kind: Some(kind),
            limit: 100,
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_late_callback_goes_to_another_available_agent_and_its_alert_ends_with_it() {
    let f = fixture(AlertRules {
        callback_reassign_ms: 0,
        ..AlertRules::default()
    })
    .await;
    let task = f
        .store
        .create_callback(&NewCallback {
            title: "Call back".into(),
            contact: None,
            customer_number_raw: Some("09121234567".into()),
            customer_number_e164: Some("+989121234567".into()),
            queue: Some("support".into()),
            call: None,
            assignee: Some(f.sara.id),
            due_at_ms: None,
        })
        .await
        .unwrap();
    f.store
        .raise_alert(&NewAlert {
            kind: AlertKind::AbandonedCallback,
            dedupe_key: callback_key(task.id),
            queue: Some("support".into()),
            contact: None,
            call: None,
            task: Some(task.id),
            detail: json!({ "number": "09121234567", "abandons": 1 }),
            once: false,
        })
        .await
        .unwrap();

    f.engine.check().await;
    let moved = f.store.get_task(task.id).await.unwrap();
    assert_eq!(moved.assignee, Some(f.reza.id), "the other available agent");
    let audit = f.store.audit_log(10).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "callback.reassign" && e.subject == format!("task:{}", task.id)),
        "{audit:?}"
    );
    let alert = &alerts(&f.store, AlertKind::AbandonedCallback).await[0];
    assert_eq!(alert.detail["reassigned"], 1);
    f.engine.check().await;
    assert_eq!(
        f.store.get_task(task.id).await.unwrap().assignee,
        Some(f.sara.id),
        "and back when it is late again"
    );

    // Done by hand: the alert is over too.
    f.store
        .set_task_status(task.id, TaskStatus::Done)
        .await
        .unwrap();
    f.engine.check().await;
    let alert = &alerts(&f.store, AlertKind::AbandonedCallback).await[0];
    assert_eq!(alert.state, AlertState::Resolved);
}

#[tokio::test]
async fn an_answered_call_back_closes_the_callback_of_an_abandon() {
    let f = fixture(AlertRules::default()).await;
    let abandoned = f
        .store
        .record_call(&call("1.1", "09121234567", "abandoned", 30_000))
        .await
        .unwrap();
    let row = f.store.get_call(abandoned).await.unwrap();
    f.engine.create_callback(&row).await.unwrap();
    let task = f.store.open_callbacks().await.unwrap().remove(0);
    assert_eq!(task.assignee, Some(f.sara.id), "the first available member");
    // Abandoned again: the same callback, the abandons counted.
    let again = f
        .store
        .record_call(&call("1.2", "09121234567", "abandoned", 30_000))
        .await
        .unwrap();
    f.engine
        .abandoned_again(task.id, &f.store.get_call(again).await.unwrap())
        .await
        .unwrap();
    assert_eq!(f.store.open_callbacks().await.unwrap().len(), 1);
    let alert = &alerts(&f.store, AlertKind::AbandonedCallback).await[0];
    assert_eq!(alert.detail["abandons"], 2);

    // The customer calls again later and is answered.
    let mut answered = call("1.3", "+989121234567", "answered", 4_000);
    answered.started_at_ms = now_ms();
    answered.ended_at_ms = Some(now_ms() + 1_000);
    let answered = f.store.record_call(&answered).await.unwrap();
    f.engine.check().await;
    let task = f.store.get_task(task.id).await.unwrap();
    assert_eq!(task.status, TaskStatus::Done);
    let alert = &alerts(&f.store, AlertKind::AbandonedCallback).await[0];
    assert_eq!(alert.state, AlertState::Resolved);
    let audit = f.store.audit_log(10).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "callback.close" && e.detail["reached_by_call"] == answered.0)
    );
}

#[tokio::test]
async fn lead_and_service_level_alerts_open_and_resolve() {
    let f = fixture(AlertRules {
        lead_first_contact_ms: 0,
        lead_attempt_window_ms: 0,
        ..AlertRules::default()
    })
    .await;
    let lead = f
        .store
        .create_contact(&NewContact {
            name: "New lead".into(),
            stage: Stage::Lead,
            phones: vec![NewPhone {
                number: f.store.normalizer().normalize("09351112222"),
                label: "mobile".into(),
            }],
            ..NewContact::default()
        })
        .await
        .unwrap();
    f.engine.check().await;
    let not_contacted = alerts(&f.store, AlertKind::LeadNotContacted).await;
    assert_eq!(not_contacted.len(), 1);
    assert_eq!(not_contacted[0].contact, Some(lead.id));
    let few = alerts(&f.store, AlertKind::LeadFewAttempts).await;
    assert_eq!(few.len(), 1);
    assert_eq!(few[0].detail["attempts"], 0);

    // Nine slow answers and an abandon: 0 % of 10 offered, under target.
    for i in 0..9 {
        f.store
            .record_call(&call(&format!("2.{i}"), "09121234567", "answered", 60_000))
            .await
            .unwrap();
    }
    f.store
        .record_call(&call("2.9", "09351112222", "abandoned", 30_000))
        .await
        .unwrap();
    f.engine.check().await;
    let sl = alerts(&f.store, AlertKind::ServiceLevel).await;
    assert_eq!(sl.len(), 1);
    assert_eq!(sl[0].state, AlertState::Open);
    assert_eq!(sl[0].queue.as_deref(), Some("support"));
    assert_eq!(sl[0].detail["offered"], 10);
    // The lead's call (the abandon) was a contact: that alert is over, the other stays.
    let not_contacted = alerts(&f.store, AlertKind::LeadNotContacted).await;
    assert_eq!(not_contacted[0].state, AlertState::Resolved);
    assert_eq!(
        alerts(&f.store, AlertKind::LeadFewAttempts).await[0].state,
        AlertState::Open
    );

    // Fifty fast answers: back on target.
    for i in 0..50 {
        f.store
            .record_call(&call(&format!("3.{i}"), "09121234567", "answered", 5_000))
            .await
            .unwrap();
    }
    f.engine.check().await;
    let sl = alerts(&f.store, AlertKind::ServiceLevel).await;
    assert_eq!(sl.len(), 1);
    assert_eq!(sl[0].state, AlertState::Resolved);
}

#[tokio::test]
async fn after_lagging_the_engine_catches_up_on_abandons_from_the_call_log() {
    let f = fixture(AlertRules::default()).await;
    let since = now_ms() - 3_600_000;
    // Two abandons no event brought; the second customer was called back since.
    f.store
        .record_call(&call("5.1", "09121234567", "abandoned", 30_000))
        .await
        .unwrap();
    f.store
        .record_call(&call("5.2", "09350001111", "abandoned", 30_000))
        .await
        .unwrap();
    let mut reached = call("5.3", "09350001111", "answered", 2_000);
    reached.direction = crm_core::Direction::Outbound;
    reached.queue = None;
    reached.started_at_ms = now_ms();
    reached.ended_at_ms = Some(now_ms() + 1_000);
    f.store.record_call(&reached).await.unwrap();

    f.engine.catch_up(since).await;
    let open = f.store.open_callbacks().await.unwrap();
    assert_eq!(
        open.len(),
        1,
        "only the customer not reached since: {open:?}"
    );
    assert_eq!(
        open[0].customer_number_e164.as_deref(),
        Some("+989121234567")
    );
    // Catching up again acts on nothing twice.
    f.engine.catch_up(since).await;
    assert_eq!(f.store.open_callbacks().await.unwrap().len(), 1);
    let alert = &alerts(&f.store, AlertKind::AbandonedCallback).await[0];
    assert_eq!(alert.detail["abandons"], 1);
}
