//! The wrap-up form: whose call it was when several contacts have the number (the pick
//! closes that contact's callback at once), and each agent's own wrap-up of a transferred
//! call.

use std::time::Duration;

use crm_core::{CallSegment, NewCallback, TaskStatus};

use crate::app::{TestApp, location};
use crate::support::{Backend, on_both_backends};

/// Now, in ms since the epoch.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn the_wrap_up_form_asks_whose_call_it_was_and_the_pick_closes_her_callback(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let ali = app.contact("Ali Rezaei", &["09121234567"]).await;
    let mina = app
        .contact("Mina <b>Rezaei</b>", &["+98 912 123 4567"])
        .await;
    let other = app.contact("Reza Karimi", &["09350000000"]).await;
    let callback = app
        .store
        .create_callback(&NewCallback {
            title: "Call Mina back".into(),
            contact: Some(mina.id),
            customer_number_raw: None,
            customer_number_e164: None,
            queue: Some("support".into()),
            call: None,
            assignee: None,
            due_at_ms: None,
        })
        .await
        .unwrap();
    let call = app
        .call(
            "1800000100.1",
            "09121234567",
            "REZAEI",
            "1001",
            now_ms() + 1_000,
        )
        .await;
    assert_eq!(app.store.get_call(call).await.unwrap().contact, None);

    let sara = app.signed_in("sara").await;
    let form = sara.page("/console?wrapup=1800000100.1").await;
    assert!(
        form.contains(r#"id="wrapup-contact" >"#),
        "the picker is shown: {form}"
    );
    for id in [ali.id, mina.id] {
        assert!(
            form.contains(&format!(r#"<option value="{}""#, id.0)),
            "{form}"
        );
    }
    assert!(
        form.contains("Mina &#60;b&#62;Rezaei&#60;/b&#62;")
            || form.contains("Mina &lt;b&gt;Rezaei&lt;/b&gt;"),
        "names are text: {form}"
    );
    assert!(
        !form.contains("Reza Karimi"),
        "only contacts with the number"
    );

    // A contact without the number is refused, nothing saved or linked.
    let csrf = sara.csrf().await;
    let other_id = other.id.0.to_string();
    let resp = sara
        .post_form(
            "/console/wrapup",
            &[
                ("csrf", &csrf),
                ("call", "1800000100.1"),
                ("outcome", "support"),
                ("contact", &other_id),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let row = app.store.get_call(call).await.unwrap();
    assert_eq!((row.contact, row.wrapup_outcome), (None, None));
    assert_eq!(
        app.store.get_task(callback.id).await.unwrap().status,
        TaskStatus::Open
    );

    let mina_id = mina.id.0.to_string();
    let resp = sara
        .post_form(
            "/console/wrapup",
            &[
                ("csrf", &csrf),
                ("call", "1800000100.1"),
                ("outcome", "support"),
                ("note", "Mina called about her order"),
                ("contact", &mina_id),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(location(&resp), "/console?saved=1");
    let row = app.store.get_call(call).await.unwrap();
    assert_eq!(row.contact, Some(mina.id), "linked to the contact picked");
    assert_eq!(row.wrapup_outcome.as_deref(), Some("support"));
    let notes = app.store.notes(mina.id).await.unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.body == "Mina called about her order")
    );
    // The callback closes now, not at the next periodic check (a minute away).
    let mut status = TaskStatus::Open;
    for _ in 0..100 {
        status = app.store.get_task(callback.id).await.unwrap().status;
        if status != TaskStatus::Open {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        status,
        TaskStatus::Done,
        "the picked contact's callback closed"
    );
    let audit = app.store.audit_log(50).await.unwrap();
    assert!(
        audit.iter().any(
            |e| e.action == "callback.close" && e.subject.ends_with(&callback.id.0.to_string())
        ),
        "{audit:?}"
    );
    assert!(
        audit.iter().any(|e| e.action == "call.contact"),
        "{audit:?}"
    );
}

async fn each_agent_wraps_up_their_own_part_of_a_transferred_call(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let contact = app.contact("Maryam", &["09127654321"]).await;
    let started = now_ms() - 120_000;
    let call = app
        .call("1800000200.1", "09127654321", "MARYAM", "1001", started)
        .await;
    // The same call, transferred by 1001 to 1002, who talked last.
    let mut record = app_call_input(&app, call).await;
    record.agent_segments = vec![
        CallSegment {
            extension: "1001".into(),
            connected_at_ms: started + 5_000,
            talk_ms: Some(20_000),
        },
        CallSegment {
            extension: "1002".into(),
            connected_at_ms: started + 27_000,
            talk_ms: Some(38_000),
        },
    ];
    app.store.record_call(&record).await.unwrap();

    for (user, outcome, resolved, note) in [
        ("sara", "escalated", "no", "Passed to Reza for billing"),
        ("reza", "support", "yes", "Refund issued"),
    ] {
        let browser = app.signed_in(user).await;
        let csrf = browser.csrf().await;
        let resp = browser
            .post_form(
                "/console/wrapup",
                &[
                    ("csrf", &csrf),
                    ("call", "1800000200.1"),
                    ("outcome", outcome),
                    ("resolved", resolved),
                    ("note", note),
                ],
            )
            .await;
        assert_eq!(resp.status(), 303, "{user} saves their wrap-up");
        // The form shows each agent their own wrap-up again.
        let form = browser.page("/console?wrapup=1800000200.1").await;
        assert!(form.contains(note), "{user} sees their own note: {form}");
        // "My calls today" shows their own part as wrapped up.
        let console = browser.page("/console").await;
        assert!(
            !console.contains("/console?wrapup=1800000200.1"),
            "{user}'s part is wrapped up: {console}"
        );
    }
    let row = app.store.get_call(call).await.unwrap();
    assert_eq!(
        (row.wrapup_outcome.as_deref(), row.wrapup_resolved),
        (Some("support"), Some(true)),
        "the call's wrap-up (FCR, cases) is the last talker's"
    );
    let parts = app.store.agent_wrapups(call).await.unwrap();
    assert_eq!(parts.len(), 2, "{parts:?}");

    let boss = app.signed_in("boss").await;
    let page = boss.page(&format!("/calls/{}", call.0)).await;
    assert!(
        page.contains("Passed to Reza for billing") && page.contains("Refund issued"),
        "the call page shows each agent's note: {page}"
    );
    let timeline = boss.page(&format!("/contacts/{}", contact.id)).await;
    assert!(
        timeline.contains("Passed to Reza for billing") && timeline.contains("Refund issued"),
        "the timeline shows each agent's note: {timeline}"
    );
    assert!(timeline.contains("sara (test)") && timeline.contains("reza (test)"));
}

/// The call as the harness wrote it, as input to write it again.
async fn app_call_input(app: &TestApp, call: crm_core::CallId) -> crm_core::CallRecordInput {
    let row = app.store.get_call(call).await.unwrap();
    crm_core::CallRecordInput {
        pbx: row.pbx,
        linkedid: row.linkedid,
        direction: row.direction,
        customer_number_raw: row.customer_number_raw,
        customer_number_e164: row.customer_number_e164,
        customer_name: row.customer_name,
        did: row.did,
        queue: row.queue,
        agents_rung: row
            .agents_rung
            .into_iter()
            .map(|leg| crm_core::AgentAttemptInput {
                extension: leg.extension,
                result: leg.result,
                ring_ms: leg.ring_ms,
                rang_at_ms: leg.rang_at_ms,
            })
            .collect(),
        answered_by_extension: row.answered_by_extension,
        agent_extension: row.agent_extension,
        started_at_ms: row.started_at_ms,
        queued_at_ms: row.queued_at_ms,
        answered_at_ms: row.answered_at_ms,
        ended_at_ms: row.ended_at_ms,
        wait_ms: row.wait_ms,
        ring_ms: row.ring_ms,
        talk_ms: row.talk_ms,
        hold_ms: row.hold_ms,
        disposition: row.disposition,
        hangup_by: row.hangup_by,
        hangup_by_extension: row.hangup_by_extension,
        hangup_cause: row.hangup_cause,
        transfers: row.transfers,
        agent_segments: row.agent_segments,
        recording_file: row.recording_file,
        click_id: row.click_id,
        end_known: row.end_known,
        failure_reason: row.failure_reason,
    }
}

on_both_backends!(
    the_wrap_up_form_asks_whose_call_it_was_and_the_pick_closes_her_callback,
    each_agent_wraps_up_their_own_part_of_a_transferred_call,
);
