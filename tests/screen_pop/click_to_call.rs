//! Click-to-call and pausing, through the API, the simulated PBX and the socket.

use std::time::Duration;

use cti::sim::ReceivedAction;
use serde_json::{Value, json};

use crate::app::{TestApp, spawn_app};
use crate::support::{Backend, on_both_backends};

/// Waits until the simulator received an action named `name` matching `matches`.
async fn action(
    app: &TestApp,
    name: &str,
    matches: impl Fn(&ReceivedAction) -> bool,
) -> ReceivedAction {
    for _ in 0..400 {
        if let Some(found) = app
            .sim
            .actions()
            .into_iter()
            .find(|a| a.name == name && matches(a))
        {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "the simulator never received {name}: {:?}",
        app.sim.actions()
    );
}

async fn click_to_call_rings_the_agents_own_phone_then_the_contact(backend: Backend) {
    let app = spawn_app(backend).await;
    let ali = app.contact("Ali Rezaei", &["0912 765 4321"]).await;
    let (mut sara, _) = app.socket("sara").await;

    let response = app
        .post(
            "sara",
            "/api/calls",
            json!({"contact_id": ali.id, "phone_id": ali.phones[0].id}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    let click_id = accepted["click_id"].as_str().unwrap().to_owned();
    assert_eq!(accepted["extension"], "1001");
    assert_eq!(accepted["number"], "+989127654321");
    assert_eq!(accepted["dial"], "09127654321");

    let originate = action(&app, "Originate", |_| true).await;
    assert_eq!(
        originate.get("Channel"),
        Some("PJSIP/1001"),
        "{originate:?}"
    );
    assert_eq!(originate.get("Context"), Some("agents"));
    assert_eq!(originate.get("Exten"), Some("09127654321"));
    assert_eq!(originate.get("Priority"), Some("1"));
    assert_eq!(originate.get("Async"), Some("true"));
    assert_eq!(
        originate.get("Variable"),
        Some(format!("__TAMAS_CLICK_ID={click_id}").as_str())
    );
    assert_eq!(
        originate.get("CallerID"),
        Some("\"Ali Rezaei\" <09127654321>")
    );

    let popup = sara.next_of("call.ringing").await;
    assert_eq!(popup["direction"], "outbound", "{popup}");
    assert_eq!(popup["click_id"], click_id.as_str());
    assert_eq!(popup["extension"], "1001");
    assert_eq!(popup["contacts"][0]["id"], ali.id.0);
    let call_id = popup["call_id"].as_str().unwrap().to_owned();
    let ended = sara.next_for_call("call.ended", &call_id).await;
    assert_eq!(ended["wrapup"], true);
    assert_eq!(ended["click_id"], click_id.as_str());

    let mut calls = Value::Null;
    for _ in 0..200 {
        calls = app
            .get("sara", &format!("/api/calls?contact={}", ali.id))
            .await;
        if calls.as_array().is_some_and(|c| !c.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(calls[0]["click_id"], click_id.as_str(), "{calls}");
    assert_eq!(calls[0]["direction"], "outbound");
    assert_eq!(calls[0]["linkedid"], call_id.as_str());

    let audit = app.store.audit_log(20).await.unwrap();
    let entry = audit
        .iter()
        .find(|e| e.action == "call.originate")
        .expect("audited");
    assert_eq!(entry.actor, Some(app.users["sara"].id));
    assert_eq!(entry.detail["click_id"], click_id.as_str());
}

async fn a_failed_click_to_call_says_why_and_requests_are_limited(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut reza, _) = app.socket("reza").await;
    // Reza is on a call: his phone is busy.
    let busy = app.ring("09121234567", "Ali Rezaei", "1002");
    reza.next_for_call("call.answered", &busy.linkedid).await;

    let response = app
        .post("reza", "/api/calls", json!({"number": "0912 111 2233"}))
        .await;
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    let failed = reza.next_of("call.failed").await;
    assert_eq!(failed["click_id"], accepted["click_id"]);
    assert_eq!(failed["reason"], "busy");
    assert_eq!(failed["number"], "+989121112233");

    let bad = app.post("reza", "/api/calls", json!({"number": "x"})).await;
    assert_eq!(bad.status(), 400);
    let nobody = app
        .post("boss", "/api/calls", json!({"number": "09121112233"}))
        .await;
    assert_eq!(nobody.status(), 409, "no extension to call from");
    let neither = app.post("reza", "/api/calls", json!({})).await;
    assert_eq!(neither.status(), 400);

    // The test config allows 4 calls a minute.
    for _ in 0..3 {
        let ok = app
            .post("reza", "/api/calls", json!({"number": "09121112233"}))
            .await;
        assert_eq!(ok.status(), 202);
    }
    let limited = app
        .post("reza", "/api/calls", json!({"number": "09121112233"}))
        .await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));

    // Every request is audited, the refused ones with their status and why.
    let audit = app.store.audit_log(50).await.unwrap();
    let rejected: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "call.originate.rejected")
        .map(|e| {
            (
                e.actor,
                e.detail["status"].as_u64().unwrap_or_default(),
                e.detail["request"]["number"].clone(),
            )
        })
        .collect();
    let reza_id = Some(app.users["reza"].id);
    for expected in [
        (reza_id, 400, json!("x")),
        (Some(app.users["boss"].id), 409, json!("09121112233")),
        (reza_id, 400, Value::Null),
        (reza_id, 429, json!("09121112233")),
    ] {
        assert!(rejected.contains(&expected), "{expected:?} in {rejected:?}");
    }
    assert_eq!(rejected.len(), 4, "{rejected:?}");
    let accepted = audit
        .iter()
        .filter(|e| e.action == "call.originate")
        .count();
    assert_eq!(accepted, 4, "the first request and the three after it");
    let limited_entry = audit
        .iter()
        .find(|e| e.action == "call.originate.rejected" && e.detail["status"] == 429)
        .unwrap();
    assert_eq!(limited_entry.detail["error"], "too many calls");
}

async fn pausing_reaches_the_pbx_and_comes_back_as_agent_state(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut sara, _) = app.socket("sara").await;
    let response = app
        .post(
            "sara",
            "/api/agent/pause",
            json!({"paused": true, "reason": "lunch"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert!(
        answer["interfaces"]
            .as_array()
            .unwrap()
            .contains(&json!("PJSIP/1001")),
        "{answer}"
    );
    let pause = action(&app, "QueuePause", |a| {
        a.get("Interface") == Some("PJSIP/1001")
    })
    .await;
    assert_eq!(pause.get("Paused"), Some("true"));
    assert_eq!(pause.get("Reason"), Some("lunch"));
    let state = sara.next_of("agent.state").await;
    assert_eq!(state["extension"], "1001");
    assert_eq!(state["state"], "paused");
    assert_eq!(state["reason"], "lunch");

    let response = app
        .post("sara", "/api/agent/pause", json!({"paused": false}))
        .await;
    assert_eq!(response.status(), 200);
    let state = sara.next_of("agent.state").await;
    assert_eq!(state["state"], "available");
}

/// The calls of `contact` as `user` sees them, once there are `n`.
async fn calls_of(app: &TestApp, user: &str, contact: impl std::fmt::Display, n: usize) -> Value {
    let mut calls = Value::Null;
    for _ in 0..200 {
        calls = app
            .get(user, &format!("/api/calls?contact={contact}"))
            .await;
        if calls.as_array().is_some_and(|c| c.len() >= n) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    calls
}

async fn a_click_to_call_to_a_busy_phone_is_a_failed_attempt_on_the_contacts_timeline(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let normalizer = app.store.normalizer().clone();
    let lead = app
        .store
        .create_contact(&crm_core::NewContact {
            name: "Nima <b>Lead</b>".into(),
            stage: crm_core::Stage::Lead,
            phones: vec![crm_core::NewPhone {
                number: normalizer.normalize("0912 111 2233"),
                label: "mobile".into(),
            }],
            ..crm_core::NewContact::default()
        })
        .await
        .unwrap();
    let (mut reza, _) = app.socket("reza").await;
    let busy = app.ring("09121234567", "Ali Rezaei", "1002");
    reza.next_for_call("call.answered", &busy.linkedid).await;

    let response = app
        .post(
            "reza",
            "/api/calls",
            json!({"contact_id": lead.id, "phone_id": lead.phones[0].id}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    let click_id = accepted["click_id"].as_str().unwrap().to_owned();
    let failed = reza.next_of("call.failed").await;
    assert_eq!(failed["reason"], "busy");

    // On the contact's timeline: an outbound attempt with the number and why it failed.
    let calls = calls_of(&app, "reza", lead.id, 1).await;
    let calls = calls.as_array().unwrap();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let attempt = &calls[0];
    assert_eq!(attempt["click_id"], click_id.as_str(), "{attempt}");
    assert_eq!(attempt["direction"], "outbound");
    assert_eq!(attempt["disposition"], "busy");
    assert_eq!(
        attempt["failure_reason"], "agent_busy",
        "the agent's own phone was busy, not the customer: {attempt}"
    );
    assert_eq!(
        attempt["customer_number_e164"], "+989121112233",
        "{attempt}"
    );
    assert_eq!(attempt["agent_extension"], "1002");
    assert!(attempt["answered_at_ms"].is_null());

    // Not an internal call without a customer.
    let all = app.get("boss", "/api/calls").await;
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .all(|c| c["direction"] != "internal"),
        "{all}"
    );

    // The contact page shows it, to the agent signed in.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = browser
        .post(format!("{}/login", app.base))
        .header(reqwest::header::ORIGIN, &app.base)
        .form(&[
            ("username", "reza"),
            ("password", "a long test password"),
            ("next", "/console"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let page = browser
        .get(format!("{}/contacts/{}", app.base, lead.id))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Busy"), "{html}");
    assert!(
        html.contains("the agent&#39;s own phone was busy")
            || html.contains("the agent&#x27;s own phone was busy")
            || html.contains("the agent's own phone was busy"),
        "the reason beside the result: {html}"
    );
    assert!(html.contains("Outbound"), "{html}");
    // In Persian too.
    app.store
        .set_user_locale(app.users["reza"].id, crm_core::Locale::Fa)
        .await
        .unwrap();
    let html = browser
        .get(format!("{}/contacts/{}", app.base, lead.id))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("تلفنِ خودِ کارشناس اشغال بود"), "{html}");
    app.store
        .set_user_locale(app.users["reza"].id, crm_core::Locale::En)
        .await
        .unwrap();
    assert!(!html.contains("<b>Lead</b>"), "the name is escaped");

    // The lead rules count it as an attempt.
    let leads = app.store.leads_since(0, 10).await.unwrap();
    let activity = leads.iter().find(|l| l.contact == lead.id).unwrap();
    assert_eq!(activity.calls_started_at_ms.len(), 1, "{activity:?}");

    // No wrap-up is asked for: the only call ending for Reza is his inbound call.
    let ended = reza.next_of("call.ended").await;
    assert_eq!(ended["call_id"], busy.linkedid.as_str(), "{ended}");
    assert!(ended["click_id"].is_null());
}

async fn a_click_to_call_the_agent_does_not_answer_is_a_failed_attempt_without_wrap_up(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let ali = app.contact("Ali Rezaei", &["0912 765 4321"]).await;
    let (mut maryam, _) = app.socket("maryam").await;
    app.sim.set_phone_answers("1003", false);

    let response = app
        .post(
            "maryam",
            "/api/calls",
            json!({"contact_id": ali.id, "phone_id": ali.phones[0].id}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    let click_id = accepted["click_id"].as_str().unwrap().to_owned();
    let originate = action(&app, "Originate", |_| true).await;
    assert_eq!(originate.get("Timeout"), Some("2000"));
    // The phone rings out its 2 s, then the PBX gives up: no call ends on the way there.
    let mut seen = Vec::new();
    let failed = loop {
        let message = maryam.next().await;
        if message["type"] == "call.failed" {
            break message;
        }
        seen.push(message);
    };
    assert_eq!(failed["click_id"], click_id.as_str());
    assert_eq!(failed["reason"], "agent_no_answer");

    let calls = calls_of(&app, "maryam", ali.id, 1).await;
    let calls = calls.as_array().unwrap();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["click_id"], click_id.as_str());
    assert_eq!(calls[0]["direction"], "outbound");
    assert_eq!(calls[0]["disposition"], "no_answer");
    assert_eq!(calls[0]["failure_reason"], "agent_no_answer");
    assert_eq!(calls[0]["customer_number_e164"], "+989127654321");
    // The agent's ringing channel is not logged as an internal call of its own.
    let all = app.get("boss", "/api/calls").await;
    assert_eq!(all.as_array().map(Vec::len), Some(1), "{all}");
    // Nor does it end with a wrap-up prompt.
    seen.extend(maryam.drain(Duration::from_millis(500)).await);
    assert!(seen.iter().all(|m| m["type"] != "call.ended"), "{seen:?}");
}

on_both_backends!(
    click_to_call_rings_the_agents_own_phone_then_the_contact,
    a_failed_click_to_call_says_why_and_requests_are_limited,
    pausing_reaches_the_pbx_and_comes_back_as_agent_state,
    a_click_to_call_to_a_busy_phone_is_a_failed_attempt_on_the_contacts_timeline,
    a_click_to_call_the_agent_does_not_answer_is_a_failed_attempt_without_wrap_up,
);
