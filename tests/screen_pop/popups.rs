//! The popup reaches the ringing agent and no one else, with the right contact; its card
//! follows the access policy (`[access] agent_call_history`).

use std::time::Duration;

use crm_core::{NewTask, TaskKind};
use serde_json::{Value, json};

use crate::app::{Options, spawn_app, spawn_app_with};
use crate::support::{Backend, on_both_backends};

fn seq(message: &Value) -> u64 {
    message["seq"].as_u64().unwrap()
}

async fn the_popup_reaches_the_ringing_agent_only_with_their_contact(backend: Backend) {
    let app = spawn_app(backend).await;
    let ali = app.contact("Ali Rezaei", &["+98 912 123 4567"]).await;
    app.store
        .create_task(&NewTask {
            kind: TaskKind::Callback,
            title: "Call back about the invoice".into(),
            contact: Some(ali.id),
            call: None,
            assignee: None,
            due_at_ms: Some(1_900_000_000_000),
        })
        .await
        .unwrap();

    let (mut sara, hello) = app.socket("sara").await;
    assert_eq!(hello["user"]["extension"], "1001");
    assert_eq!(hello["user"]["role"], "agent");
    let (mut sara_tab2, _) = app.socket("sara").await;
    let (mut reza, _) = app.socket("reza").await;
    let (mut boss, _) = app.socket("boss").await;
    boss.send(json!({"type": "subscribe", "all_calls": true}))
        .await;
    assert_eq!(boss.next_of("subscribed").await["all_calls"], true);

    // The PBX sends the number in another format than the contact was saved in.
    let call = app.ring("09121234567", "Ali Rezaei", "1001");
    let popup = sara.next_for_call("call.ringing", &call.linkedid).await;
    assert_eq!(popup["extension"], "1001");
    assert_eq!(popup["direction"], "inbound");
    assert_eq!(popup["number"], "09121234567");
    assert_eq!(popup["number_e164"], "+989121234567");
    assert_eq!(popup["caller_name"], "Ali Rezaei");
    assert_eq!(popup["queue"], "support");
    assert!(popup["create_contact_url"].is_null());
    assert_eq!(popup["lookup_failed"], false);
    let contacts = popup["contacts"].as_array().unwrap();
    assert_eq!(contacts.len(), 1, "{popup}");
    let card = &contacts[0];
    assert_eq!(card["id"], ali.id.0);
    assert_eq!(card["name"], "Ali Rezaei");
    assert_eq!(card["url"], format!("/contacts/{}", ali.id));
    assert_eq!(card["stage"], "customer");
    assert_eq!(card["tags"], json!(["vip"]));
    assert_eq!(card["phones"][0]["e164"], "+989121234567");
    assert_eq!(
        card["open_tasks"][0]["title"],
        "Call back about the invoice"
    );
    assert_eq!(card["open_tasks"][0]["kind"], "callback");
    assert_eq!(card["last_calls"], json!([]));

    let same = sara_tab2
        .next_for_call("call.ringing", &call.linkedid)
        .await;
    assert_eq!(same, popup, "both tabs get the same message, seq included");
    let watched = boss.next_for_call("call.ringing", &call.linkedid).await;
    assert_eq!(watched["extension"], "1001");

    let answered = sara.next_for_call("call.answered", &call.linkedid).await;
    assert_eq!(answered["extension"], "1001");
    assert_eq!(answered["wait_ms"], 5009);
    let ended = sara.next_for_call("call.ended", &call.linkedid).await;
    assert_eq!(ended["wrapup"], true, "sara took the call");
    assert_eq!(ended["disposition"], "answered");
    assert!(seq(&answered) > seq(&popup) && seq(&ended) > seq(&answered));
    let boss_ended = boss.next_for_call("call.ended", &call.linkedid).await;
    assert_eq!(boss_ended["wrapup"], false, "the supervisor only watched");

    let reza_got = reza.drain(Duration::from_millis(500)).await;
    assert!(reza_got.is_empty(), "not reza's call: {reza_got:?}");

    // The call lands on the contact, and the next popup shows it.
    let mut logged = Value::Null;
    for _ in 0..200 {
        logged = app
            .get("sara", &format!("/api/calls?contact={}", ali.id))
            .await;
        if logged.as_array().is_some_and(|c| !c.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(logged[0]["linkedid"], call.linkedid.as_str(), "{logged}");
    let again = app.ring("+989121234567", "Ali Rezaei", "1001");
    let popup = sara.next_for_call("call.ringing", &again.linkedid).await;
    let last_calls = popup["contacts"][0]["last_calls"].as_array().unwrap();
    assert_eq!(last_calls.len(), 1, "{popup}");
    assert_eq!(last_calls[0]["disposition"], "answered");
    assert_eq!(last_calls[0]["agent_extension"], "1001");
}

async fn a_call_dialled_from_the_desk_phone_pops_the_contact_being_called(backend: Backend) {
    let app = spawn_app(backend).await;
    let ali = app.contact("Ali Rezaei", &["0912 123 4567"]).await;
    let (mut reza, _) = app.socket("reza").await;
    let (mut sara, _) = app.socket("sara").await;

    let call = app
        .sim
        .place(
            cti::sim::CallSpec::new(cti::sim::Scenario::Outbound)
                .customer("09121234567", "")
                .agent("1002")
                .extra_talk(Duration::ZERO),
        )
        .unwrap();
    let popup = reza.next_for_call("call.ringing", &call.linkedid).await;
    assert_eq!(popup["direction"], "outbound", "{popup}");
    assert_eq!(popup["extension"], "1002");
    assert_eq!(popup["number_e164"], "+989121234567");
    assert_eq!(popup["click_id"], Value::Null, "not a click-to-call");
    assert_eq!(popup["contacts"][0]["id"], ali.id.0, "{popup}");
    let ended = reza.next_for_call("call.ended", &call.linkedid).await;
    assert_eq!(ended["wrapup"], true, "reza made the call");

    let sara_got = sara.drain(Duration::from_millis(500)).await;
    assert!(sara_got.is_empty(), "not sara's call: {sara_got:?}");
}

/// Sara's popup card for Ali after Reza took a call from him, with tasks for both of them,
/// under the given extra configuration; and Ali's calls as `GET /api/calls?contact=` gives
/// them to Sara.
async fn card_after_another_agents_call(backend: Backend, extra_config: &str) -> (Value, Value) {
    let app = spawn_app_with(Options {
        backend,
        extra_config: extra_config.to_owned(),
        ..Options::default()
    })
    .await;
    let ali = app.contact("Ali Rezaei", &["09121234567"]).await;
    for (title, user) in [("for reza", "reza"), ("for sara", "sara")] {
        app.store
            .create_task(&NewTask {
                kind: TaskKind::FollowUp,
                title: title.into(),
                contact: Some(ali.id),
                call: None,
                assignee: Some(app.users[user].id),
                due_at_ms: None,
            })
            .await
            .unwrap();
    }
    let (mut reza, _) = app.socket("reza").await;
    let first = app.ring("+989121234567", "Ali Rezaei", "1002");
    reza.next_for_call("call.ended", &first.linkedid).await;
    for _ in 0..200 {
        let logged = app
            .get("boss", &format!("/api/calls?contact={}", ali.id))
            .await;
        if logged.as_array().is_some_and(|c| !c.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (mut sara, _) = app.socket("sara").await;
    let again = app.ring("+989121234567", "Ali Rezaei", "1001");
    let popup = sara.next_for_call("call.ringing", &again.linkedid).await;
    let api = app
        .get("sara", &format!("/api/calls?contact={}", ali.id))
        .await;
    (popup["contacts"][0].clone(), api)
}

fn titles(card: &Value) -> Vec<String> {
    card["open_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_card_shows_the_whole_history_by_default_and_only_ones_own_with_own(backend: Backend) {
    let (card, api) = card_after_another_agents_call(backend, "").await;
    assert_eq!(api.as_array().unwrap().len(), 1, "the API agrees: {api}");
    let calls = card["last_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{card}");
    assert_eq!(calls[0]["agent_extension"], "1002", "Reza's call: {card}");
    let mut all = titles(&card);
    all.sort();
    assert_eq!(all, ["for reza", "for sara"]);

    let (card, api) =
        card_after_another_agents_call(backend, "[access]\nagent_call_history = \"own\"\n").await;
    assert_eq!(api, json!([]), "the API agrees");
    assert_eq!(card["last_calls"], json!([]), "not Reza's call: {card}");
    assert_eq!(titles(&card), ["for sara"]);
}

on_both_backends!(
    the_popup_reaches_the_ringing_agent_only_with_their_contact,
    a_call_dialled_from_the_desk_phone_pops_the_contact_being_called,
    the_card_shows_the_whole_history_by_default_and_only_ones_own_with_own,
);
