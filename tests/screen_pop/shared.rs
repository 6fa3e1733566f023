//! Withheld callers and numbers several contacts share: the pick of the contact (after the
//! call, during it, across a restart) and the callback it closes.

use std::time::Duration;

use crm_core::{NewCallback, TaskStatus};
use cti::sim::{CallSpec, Scenario};
use serde_json::{Value, json};

use crate::app::{Options, TestApp, spawn_app, spawn_app_with};
use crate::support::{Backend, on_both_backends};

/// The call log's row for `linkedid` as `user` sees it, once it is written.
async fn logged_call(app: &TestApp, user: &str, linkedid: &str) -> Value {
    for _ in 0..200 {
        let calls = app.get(user, "/api/calls").await;
        if let Some(call) = calls
            .as_array()
            .and_then(|c| c.iter().find(|c| c["linkedid"] == linkedid))
        {
            return call.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("call {linkedid} never logged: {}", app.server_log());
}

async fn a_withheld_caller_pops_as_withheld_without_contacts(backend: Backend) {
    let app = spawn_app(backend).await;
    // A contact whose name looks like the caller's "number" must not be matched.
    app.contact("Anonymous", &["09121234567"]).await;
    let (mut maryam, _) = app.socket("maryam").await;
    let call = app.ring("anonymous", "", "1003");
    let popup = maryam.next_for_call("call.ringing", &call.linkedid).await;
    assert_eq!(popup["withheld"], true, "{popup}");
    assert_eq!(popup["contacts"], json!([]), "{popup}");
    assert!(popup["create_contact_url"].is_null(), "{popup}");
    assert_eq!(popup["lookup_failed"], false);
    maryam.next_for_call("call.ended", &call.linkedid).await;
    let logged = logged_call(&app, "maryam", &call.linkedid).await;
    assert!(logged["contact"].is_null(), "{logged}");

    // No number at all (the PBX sends an empty caller ID) is withheld as well.
    let empty = app.ring("", "", "1003");
    let popup = maryam.next_for_call("call.ringing", &empty.linkedid).await;
    assert_eq!(popup["withheld"], true, "{popup}");
    assert_eq!(popup["contacts"], json!([]), "{popup}");
    assert!(popup["create_contact_url"].is_null(), "{popup}");
    maryam.next_for_call("call.ended", &empty.linkedid).await;

    // A number Tamas knows is not withheld.
    let known = app.ring("09121234567", "", "1003");
    let popup = maryam.next_for_call("call.ringing", &known.linkedid).await;
    assert_eq!(popup["withheld"], false, "{popup}");
    assert_eq!(popup["contacts"].as_array().unwrap().len(), 1, "{popup}");
}

async fn a_shared_numbers_call_waits_for_the_agent_to_pick_the_contact(backend: Backend) {
    let app = spawn_app(backend).await;
    let ali = app.contact("Ali Rezaei", &["09121234567"]).await;
    let mina = app.contact("Mina Rezaei", &["+98 912 123 4567"]).await;
    let reza_contact = app.contact("Reza Karimi", &["09350000000"]).await;
    let (mut sara, _) = app.socket("sara").await;
    let call = app.ring("09121234567", "Rezaei", "1001");
    let popup = sara.next_for_call("call.ringing", &call.linkedid).await;
    assert_eq!(popup["withheld"], false, "{popup}");
    assert_eq!(popup["contacts"].as_array().unwrap().len(), 2, "{popup}");
    sara.next_for_call("call.ended", &call.linkedid).await;

    let logged = logged_call(&app, "sara", &call.linkedid).await;
    assert!(logged["contact"].is_null(), "linked to nobody: {logged}");
    let row = app
        .store
        .call_by_linkedid("sim", &call.linkedid)
        .await
        .unwrap()
        .unwrap();
    let mut both = vec![ali.id, mina.id];
    both.sort();
    assert_eq!(app.store.call_candidates(row.id).await.unwrap(), both);
    assert_eq!(
        app.get("sara", &format!("/api/calls?contact={}", mina.id))
            .await,
        json!([])
    );

    // Reza did not take part: not his call to pick for.
    let refused = app
        .post(
            "reza",
            "/api/calls/contact",
            json!({"call": call.linkedid, "contact": mina.id.0}),
        )
        .await;
    assert_eq!(refused.status(), 404);
    // A contact without the number is refused.
    let refused = app
        .post(
            "sara",
            "/api/calls/contact",
            json!({"call": call.linkedid, "contact": reza_contact.id.0}),
        )
        .await;
    assert_eq!(refused.status(), 400);
    assert_eq!(
        app.store.get_call(row.id).await.unwrap().contact,
        None,
        "nothing linked"
    );

    // Sara picks Mina.
    let picked = app
        .post(
            "sara",
            "/api/calls/contact",
            json!({"call": call.linkedid, "contact": mina.id.0}),
        )
        .await;
    assert_eq!(picked.status(), 200);
    let picked: Value = picked.json().await.unwrap();
    assert_eq!(picked["contact"], mina.id.0, "{picked}");
    let hers = app
        .get("sara", &format!("/api/calls?contact={}", mina.id))
        .await;
    assert_eq!(hers.as_array().unwrap().len(), 1, "{hers}");
    assert_eq!(hers[0]["linkedid"], call.linkedid.as_str());
    assert_eq!(
        app.get("sara", &format!("/api/calls?contact={}", ali.id))
            .await,
        json!([])
    );
    assert!(
        app.store
            .undecided_calls(ali.id, &crm_core::CallFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

/// An answered call from `number` to 1001 whose talk lasts `talk` longer than captured.
fn long_call(app: &TestApp, number: &str, talk: Duration) -> cti::sim::SimCall {
    app.sim
        .place(
            CallSpec::new(Scenario::InboundAnswered)
                .customer(number, "Rezaei")
                .agent("1001")
                .extra_talk(talk),
        )
        .unwrap()
}

/// The call log's row of `linkedid` once it is written and linked (the call log links a
/// pick right after it commits the row), or as it is after 20 s.
async fn linked_row(app: &TestApp, linkedid: &str) -> crm_core::CallRow {
    let mut row = None;
    for _ in 0..400 {
        row = app.store.call_by_linkedid("sim", linkedid).await.unwrap();
        if row.as_ref().is_some_and(|r| r.contact.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    row.unwrap_or_else(|| panic!("{linkedid} never logged: {}", app.server_log()))
}

/// Polls the task until it is no longer open (or 10 s have passed); its status.
async fn task_status(app: &TestApp, task: crm_core::TaskId) -> TaskStatus {
    for _ in 0..200 {
        let status = app.store.get_task(task).await.unwrap().status;
        if status != TaskStatus::Open {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    TaskStatus::Open
}

/// An open callback for `contact` (as an abandon would leave), created now.
async fn callback_for(app: &TestApp, contact: crm_core::ContactId) -> crm_core::Task {
    app.store
        .create_callback(&NewCallback {
            title: "Call back".into(),
            contact: Some(contact),
            customer_number_raw: None,
            customer_number_e164: None,
            queue: Some("support".into()),
            call: None,
            assignee: Some(app.users["sara"].id),
            due_at_ms: None,
        })
        .await
        .unwrap()
}

async fn a_shared_numbers_answered_call_closes_a_callback_only_once_its_contact_is_picked(
    backend: Backend,
) {
    // The periodic callback check is an hour away: only the pick can close it.
    let app = spawn_app_with(Options {
        backend,
        extra_config: "[alerts]\ncheck_interval_s = 3600\n".into(),
        ..Options::default()
    })
    .await;
    let ali = app.contact("Ali Rezaei", &["09121234567"]).await;
    let mina = app.contact("Mina Rezaei", &["09121234567"]).await;
    let callback = callback_for(&app, mina.id).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (mut sara, _) = app.socket("sara").await;
    let call = app.ring("09121234567", "Rezaei", "1001");
    sara.next_for_call("call.answered", &call.linkedid).await;
    sara.next_for_call("call.ended", &call.linkedid).await;
    logged_call(&app, "sara", &call.linkedid).await;
    // Answered from her number, but nobody said it was her: the callback stays open.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        app.store.get_task(callback.id).await.unwrap().status,
        TaskStatus::Open,
        "not closed by a call nobody picked"
    );
    // Ali picked: Mina's callback is still open.
    let picked = app
        .post(
            "sara",
            "/api/calls/contact",
            json!({"call": call.linkedid, "contact": ali.id.0}),
        )
        .await;
    assert_eq!(picked.status(), 200);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        app.store.get_task(callback.id).await.unwrap().status,
        TaskStatus::Open
    );
    // Mina picked: closed at once, audited as an automatic close.
    let picked = app
        .post(
            "sara",
            "/api/calls/contact",
            json!({"call": call.linkedid, "contact": mina.id.0}),
        )
        .await;
    assert_eq!(picked.status(), 200);
    assert_eq!(task_status(&app, callback.id).await, TaskStatus::Done);
    let audit = app.store.audit_log(50).await.unwrap();
    assert!(
        audit.iter().any(
            |e| e.action == "callback.close" && e.subject.ends_with(&callback.id.0.to_string())
        ),
        "{audit:?}"
    );
}

async fn a_contact_picked_during_the_call_is_linked_when_it_ends_even_across_a_restart(
    backend: Backend,
) {
    let mut app = spawn_app_with(Options {
        backend,
        extra_config: "[alerts]\ncheck_interval_s = 3600\n".into(),
        // Killed: the real binary.
        real_binary: true,
        ..Options::default()
    })
    .await;
    app.contact("Ali Rezaei", &["09121234567"]).await;
    let mina = app.contact("Mina Rezaei", &["09121234567"]).await;
    let reza_contact = app.contact("Reza Karimi", &["09350000000"]).await;
    let callback = callback_for(&app, mina.id).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (mut sara, _) = app.socket("sara").await;

    // Picked while they talk: remembered, linked when the call is written.
    let call = long_call(&app, "09121234567", Duration::from_secs(3));
    sara.next_for_call("call.answered", &call.linkedid).await;
    let refused = app
        .post(
            "reza",
            "/api/calls/contact",
            json!({"call": call.linkedid, "contact": mina.id.0}),
        )
        .await;
    assert_eq!(refused.status(), 404, "Reza is not on the call");
    let refused = app
        .post(
            "sara",
            "/api/calls/contact",
            json!({"call": call.linkedid, "contact": reza_contact.id.0}),
        )
        .await;
    assert_eq!(refused.status(), 400, "a contact without the number");
    let picked = app
        .post(
            "sara",
            "/api/calls/contact",
            json!({"call": call.linkedid, "contact": mina.id.0}),
        )
        .await;
    assert_eq!(picked.status(), 202);
    let picked: Value = picked.json().await.unwrap();
    assert_eq!(picked["pending"], true, "{picked}");
    sara.next_for_call("call.ended", &call.linkedid).await;
    let row = linked_row(&app, &call.linkedid).await;
    assert_eq!(row.contact, Some(mina.id), "{row:?}");
    // The answered call reached her: her callback closes with the call.
    assert_eq!(task_status(&app, callback.id).await, TaskStatus::Done);

    // Picked, then Tamas is killed mid-call and started again: the pick holds.
    let call = long_call(&app, "09121234567", Duration::from_secs(6));
    sara.next_for_call("call.answered", &call.linkedid).await;
    let picked = app
        .post(
            "sara",
            "/api/calls/contact",
            json!({"call": call.linkedid, "contact": mina.id.0}),
        )
        .await;
    assert_eq!(picked.status(), 202);
    assert!(
        app.store
            .call_by_linkedid("sim", &call.linkedid)
            .await
            .unwrap()
            .is_none(),
        "still in progress at the kill"
    );
    app.restart_killed().await;
    let row = linked_row(&app, &call.linkedid).await;
    assert_eq!(row.contact, Some(mina.id), "the pick survived the restart");
}

on_both_backends!(
    a_withheld_caller_pops_as_withheld_without_contacts,
    a_shared_numbers_call_waits_for_the_agent_to_pick_the_contact,
    a_shared_numbers_answered_call_closes_a_callback_only_once_its_contact_is_picked,
    a_contact_picked_during_the_call_is_linked_when_it_ends_even_across_a_restart,
);
