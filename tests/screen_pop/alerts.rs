//! Alerts and callbacks end to end: an abandoned queue call becomes a callback for an
//! available agent of the queue, the supervisors' sockets get the `alert`, the assigned
//! agent gets their callback, and calling the customer back closes it. Agents may not see
//! the alerts.

use std::time::Duration;

use crm_core::{TaskId, TaskKind, TaskStatus};
use cti::sim::{CallSpec, Scenario};
use reqwest::header::ORIGIN;
use serde_json::{Value, json};

use crate::app::{TestApp, spawn_app};
use crate::socket::Socket;
use crate::support::{Backend, on_both_backends};

/// A hostile contact name: must stay text on the page and in the socket messages.
const EVIL: &str = "<img src=x onerror=alert(1)> & Co";
const NUMBER: &str = "09121110000";

/// Waits for the `alert` about `task` in state `state`.
async fn alert_for(socket: &mut Socket, task: Option<i64>, state: &str) -> Value {
    loop {
        let msg = socket.next_of("alert").await;
        let task_matches = task.is_none_or(|t| msg["task_id"] == t);
        if msg["kind"] == "abandoned_callback" && task_matches && msg["state"] == state {
            return msg;
        }
    }
}

/// A cookie-keeping client signed in as `username`.
async fn browser(app: &TestApp, username: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client
        .post(format!("{}/login", app.base))
        .header(ORIGIN, &app.base)
        .form(&[
            ("username", username),
            ("password", "a long test password"),
            ("next", "/console"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "{username} signs in");
    client
}

async fn an_abandoned_call_becomes_a_callback_that_calling_back_closes(backend: Backend) {
    let app = spawn_app(backend).await;
    let contact = app.contact(EVIL, &[NUMBER]).await;
    let (mut boss, _) = app.socket("boss").await;
    let mut agents = Vec::new();
    for name in ["sara", "reza", "maryam"] {
        agents.push((name, app.socket(name).await.0));
    }
    // The customer gives up waiting in `sales`; meanwhile Sara pauses, so the callback
    // must go to one of the agents who are available when the call ends.
    app.sim
        .place(CallSpec::new(Scenario::InboundAbandoned).customer(NUMBER, "Caller"))
        .unwrap();
    let paused = app
        .post(
            "sara",
            "/api/agent/pause",
            json!({"paused": true, "reason": "lunch"}),
        )
        .await;
    assert_eq!(paused.status(), 200);
    let alert = alert_for(&mut boss, None, "open").await;
    assert_eq!(alert["queue"], "sales", "{alert}");
    assert_eq!(alert["subject"], EVIL, "the contact's name, as text");
    assert_eq!(alert["contact_id"], contact.id.0);
    let task_id = alert["task_id"].as_i64().expect("a callback task");
    let assignee = alert["assignee_id"].as_i64().expect("an assignee");
    let (assigned_name, _) = app
        .users
        .iter()
        .find(|(_, u)| u.id.0 == assignee)
        .map(|(n, u)| (n.clone(), u.clone()))
        .unwrap();
    assert!(
        assigned_name == "reza" || assigned_name == "maryam",
        "an available agent of the queue, not the paused one: {assigned_name}"
    );

    let task = app.store.get_task(TaskId(task_id)).await.unwrap();
    assert_eq!(task.kind, TaskKind::Callback);
    assert_eq!(task.status, TaskStatus::Open);
    assert_eq!(task.contact, Some(contact.id));
    assert_eq!(task.customer_number_e164.as_deref(), Some("+989121110000"));
    assert_eq!(task.customer_number_raw.as_deref(), Some(NUMBER));
    assert_eq!(task.queue.as_deref(), Some("sales"));
    assert!(task.call.is_some() && task.assigned_at_ms.is_some());

    // The assigned agent gets their callback; the others do not.
    for (name, socket) in &mut agents {
        if *name == assigned_name {
            let theirs = alert_for(socket, Some(task_id), "open").await;
            assert_eq!(theirs["assignee_id"], assignee);
        } else {
            let seen = socket.drain(Duration::from_millis(300)).await;
            assert!(
                seen.iter().all(|m| m["type"] != "alert"),
                "{name} got an alert: {seen:?}"
            );
        }
    }

    // Supervisors list it; the page escapes the name. Agents get 403.
    let listed = app.get("boss", "/api/alerts").await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["task_id"] == task_id),
        "{listed}"
    );
    let boss_browser = browser(&app, "boss").await;
    let page = boss_browser
        .get(format!("{}/alerts", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("&#60;img src=x onerror=alert(1)&#62; &#38; Co"),
        "{html}"
    );
    assert!(!html.contains(EVIL));
    assert!(
        html.contains(r#"href="/alerts""#),
        "the supervisor's nav link"
    );
    assert!(html.contains(r#"src="/static/alerts.js""#));
    for agent in ["sara", &assigned_name] {
        let api = app
            .client
            .get(format!("{}/api/alerts", app.base))
            .bearer_auth(&app.tokens[agent])
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 403, "{agent} on /api/alerts");
        let resolve = app
            .post(
                agent,
                &format!("/alerts/{}/resolve", alert["id"]),
                json!({}),
            )
            .await;
        assert_eq!(resolve.status(), 403, "{agent} resolving");
    }
    let agent_browser = browser(&app, &assigned_name).await;
    let page = agent_browser
        .get(format!("{}/alerts", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403, "an agent on /alerts");
    let console = agent_browser
        .get(format!("{}/console", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !console.contains(r#"href="/alerts""#),
        "no alerts link for agents"
    );

    // The agent calls the customer back and the customer answers: the callback closes.
    let extension = app.users[&assigned_name]
        .extension
        .as_ref()
        .unwrap()
        .to_string();
    app.sim
        .place(
            CallSpec::new(Scenario::Outbound)
                .customer(NUMBER, "")
                .agent(extension)
                .extra_talk(Duration::ZERO),
        )
        .unwrap();
    let resolved = alert_for(&mut boss, Some(task_id), "resolved").await;
    assert_eq!(resolved["id"], alert["id"]);
    let task = app.store.get_task(TaskId(task_id)).await.unwrap();
    assert_eq!(task.status, TaskStatus::Done);
    let console = agent_browser
        .get(format!("{}/console", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!console.contains(&format!(r#"data-task="{task_id}""#)));
    let open = app.get("boss", "/api/alerts").await;
    assert!(
        open.as_array()
            .unwrap()
            .iter()
            .all(|a| a["id"] != alert["id"]),
        "{open}"
    );
    let all = app.get("boss", "/api/alerts?show=all").await;
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == alert["id"] && a["state"] == "resolved"),
        "{all}"
    );
}

async fn a_burst_of_abandons_spreads_its_callbacks_over_the_available_agents(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut boss, _) = app.socket("boss").await;
    // Sara, Reza and Maryam are available in `sales`; each abandon's callback goes to the
    // one with the fewest open callbacks, so six abandons give each of them two.
    let mut assignees = Vec::new();
    for i in 0..6 {
        let number = format!("0912111000{i}");
        app.sim
            .place(CallSpec::new(Scenario::InboundAbandoned).customer(&number, "Caller"))
            .unwrap();
        let alert = loop {
            let alert = alert_for(&mut boss, None, "open").await;
            if alert["detail"]["number"] == format!("+98912111000{i}") {
                break alert;
            }
        };
        assignees.push(alert["assignee_id"].as_i64().expect("an assignee"));
    }
    let name_of = |id: i64| {
        app.users
            .iter()
            .find(|(_, u)| u.id.0 == id)
            .map(|(n, _)| n.clone())
            .unwrap()
    };
    let mut names: Vec<String> = assignees.iter().map(|&id| name_of(id)).collect();
    let first_round: std::collections::BTreeSet<&String> = names[..3].iter().collect();
    assert_eq!(
        first_round.len(),
        3,
        "one each before anyone gets a second: {names:?}"
    );
    names.sort();
    assert_eq!(
        names,
        ["maryam", "maryam", "reza", "reza", "sara", "sara"],
        "two callbacks each"
    );
}

on_both_backends!(
    an_abandoned_call_becomes_a_callback_that_calling_back_closes,
    a_burst_of_abandons_spreads_its_callbacks_over_the_available_agents,
);
