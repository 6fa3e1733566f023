//! Withheld callers and numbers several contacts share.

use std::time::Duration;

use serde_json::{Value, json};

use crate::app::{TestApp, spawn_app};

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

#[tokio::test]
async fn a_withheld_caller_pops_as_withheld_without_contacts() {
    let app = spawn_app().await;
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

#[tokio::test]
async fn a_shared_numbers_call_waits_for_the_agent_to_pick_the_contact() {
    let app = spawn_app().await;
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
