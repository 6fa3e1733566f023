//! The wallboard end to end: a supervisor subscribed to the queues sees a simulated caller
//! wait (with the contact's name), be answered, the agent go on the call and into wrap-up,
//! and today's figures move; they agree with `tamas report` afterwards. A supervisor
//! pauses an agent from it; agents may do neither.

use std::time::Duration;

use serde_json::{Value, json};

use crate::app::spawn_app;
use crate::socket::Socket;
use crate::support::{Backend, on_both_backends};

/// The next `queue.snapshot` for which `check` holds.
async fn snapshot_where(socket: &mut Socket, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..400 {
        let message = socket.next_of("queue.snapshot").await;
        if check(&message) {
            return message;
        }
    }
    panic!("no snapshot where {what}");
}

fn queue<'a>(snapshot: &'a Value, name: &str) -> &'a Value {
    snapshot["queues"]
        .as_array()
        .and_then(|q| q.iter().find(|q| q["name"] == name))
        .unwrap_or(&Value::Null)
}

fn agent<'a>(snapshot: &'a Value, extension: &str) -> &'a Value {
    snapshot["agents"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["extension"] == extension))
        .unwrap_or(&Value::Null)
}

async fn the_wallboard_follows_a_call_and_agrees_with_the_report(backend: Backend) {
    let app = spawn_app(backend).await;
    app.contact("Ali Rezaei", &["+989121234567"]).await;
    let (mut boss, _) = app.socket("boss").await;
    boss.send(json!({"type": "subscribe", "queues": true}))
        .await;
    let subscribed = boss.next_of("subscribed").await;
    assert_eq!(subscribed["queues"], true);
    let first = snapshot_where(&mut boss, "support is listed with 1001", |s| {
        agent(s, "1001")["state"] == "available"
    })
    .await;
    assert_eq!(agent(&first, "1001")["name"], "sara", "the user's name");
    assert_eq!(queue(&first, "support")["today"]["offered"], 0);

    let call = app.ring("09121234567", "Ali R", "1001");
    let waiting = snapshot_where(&mut boss, "the caller waits", |s| {
        queue(s, "support")["waiting"]
            .as_array()
            .is_some_and(|w| !w.is_empty())
    })
    .await;
    let caller = &queue(&waiting, "support")["waiting"][0];
    assert_eq!(caller["number"], "09121234567");
    assert_eq!(caller["caller_name"], "Ali R");
    assert_eq!(
        caller["contact_name"], "Ali Rezaei",
        "the CRM contact's name"
    );
    assert_eq!(caller["position"], 1);
    let since = queue(&waiting, "support")["longest_waiting_since_ms"]
        .as_i64()
        .unwrap();
    assert!((waiting["now_ms"].as_i64().unwrap() - since).abs() < 60_000);

    let on_call = snapshot_where(&mut boss, "1001 is on the call", |s| {
        agent(s, "1001")["state"] == "on_call"
    })
    .await;
    assert_eq!(
        queue(&on_call, "support")["waiting"]
            .as_array()
            .map(Vec::len),
        Some(0),
        "the caller left the queue when answered"
    );

    call.finished().await;
    // The call log write and the end of the call reach the wallboard separately.
    let after = snapshot_where(&mut boss, "the call is counted and 1001 wraps up", |s| {
        queue(s, "support")["today"]["answered"] == 1 && agent(s, "1001")["state"] == "wrap_up"
    })
    .await;
    let today = &queue(&after, "support")["today"];
    assert_eq!(today["offered"], 1);
    assert_eq!(today["abandoned"], 0);
    let wrap_up_since = agent(&after, "1001")["wrap_up_since_ms"].as_i64().unwrap();

    // Sara pauses in the PBX before saving her wrap-up: the pause (with its reason) shows,
    // the wrap-up beside it.
    let paused = app
        .post(
            "sara",
            "/api/agent/pause",
            json!({"paused": true, "reason": "lunch"}),
        )
        .await;
    assert_eq!(paused.status(), 200);
    let both = snapshot_where(&mut boss, "1001 is paused in wrap-up", |s| {
        agent(s, "1001")["state"] == "paused"
    })
    .await;
    let sara = agent(&both, "1001");
    assert_eq!(sara["reason"], "lunch", "{sara}");
    assert_eq!(sara["wrap_up_since_ms"], wrap_up_since, "{sara}");
    assert_eq!(queue(&both, "support")["agents"]["paused"], 1);

    // `tamas report` for today says the same.
    let local_now = time::OffsetDateTime::now_utc() + time::Duration::minutes(210);
    let day = format!(
        "{:04}-{:02}-{:02}",
        local_now.year(),
        u8::from(local_now.month()),
        local_now.day()
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tamas"))
        .args([
            "report", "--from", &day, "--to", &day, "--queue", "support", "--json",
        ])
        .args(["--database-url", &app.database_url])
        .env_remove("TAMAS_CONFIG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    for figure in ["offered", "answered", "abandoned", "asa_ms", "wait_max_ms"] {
        assert_eq!(
            report["total"][figure], today[figure],
            "{figure}: the report and the wallboard agree"
        );
    }
}

async fn a_supervisor_pauses_an_agent_from_the_wallboard_and_agents_may_not(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut boss, _) = app.socket("boss").await;
    boss.send(json!({"type": "subscribe", "queues": true}))
        .await;
    snapshot_where(&mut boss, "1002 is available", |s| {
        agent(s, "1002")["state"] == "available"
    })
    .await;

    let resp = app
        .post(
            "boss",
            "/api/agents/1002/pause",
            json!({"paused": true, "reason": "coaching"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let paused = snapshot_where(&mut boss, "1002 is paused", |s| {
        agent(s, "1002")["state"] == "paused"
    })
    .await;
    assert_eq!(agent(&paused, "1002")["reason"], "coaching");
    let resp = app
        .post("boss", "/api/agents/1002/pause", json!({"paused": false}))
        .await;
    assert_eq!(resp.status(), 200);
    snapshot_where(&mut boss, "1002 is back", |s| {
        agent(s, "1002")["state"] == "available"
    })
    .await;

    // Agents: no pausing others, no queue subscription, no queue API.
    let resp = app
        .post("sara", "/api/agents/1002/pause", json!({"paused": true}))
        .await;
    assert_eq!(resp.status(), 403);
    let resp = app
        .post("boss", "/api/agents/10x2/pause", json!({"paused": true}))
        .await;
    assert_eq!(resp.status(), 400);
    let (mut sara, _) = app.socket("sara").await;
    sara.send(json!({"type": "subscribe", "queues": true}))
        .await;
    let error = sara.next_of("error").await;
    assert!(error["message"].as_str().unwrap().contains("supervisors"));
    assert!(
        sara.drain(Duration::from_millis(500))
            .await
            .iter()
            .all(|m| m["type"] != "queue.snapshot"),
        "an agent never gets the wallboard"
    );
}

async fn an_unreachable_phone_shows_its_agent_unavailable_until_it_is_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut boss, _) = app.socket("boss").await;
    boss.send(json!({"type": "subscribe", "queues": true}))
        .await;
    snapshot_where(&mut boss, "1003 is available", |s| {
        agent(s, "1003")["state"] == "available"
    })
    .await;

    assert_eq!(app.sim.set_phone_reachable("1003", false), 2, "two queues");
    let down = snapshot_where(&mut boss, "1003 is unavailable", |s| {
        agent(s, "1003")["state"] == "unavailable"
    })
    .await;
    let tile = agent(&down, "1003");
    assert!(
        tile["registered_from"]
            .as_str()
            .is_some_and(|from| from.starts_with("10.0.0.") && from.ends_with(":5060")),
        "the contact URI parsed: {tile}"
    );
    assert!(tile["since_ms"].as_i64().is_some());
    assert_eq!(queue(&down, "support")["agents"]["unavailable"], 1);

    app.sim.set_phone_reachable("1003", true);
    snapshot_where(&mut boss, "1003 is back", |s| {
        agent(s, "1003")["state"] == "available"
    })
    .await;
}

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    the_wallboard_follows_a_call_and_agrees_with_the_report,
    a_supervisor_pauses_an_agent_from_the_wallboard_and_agents_may_not,
    an_unreachable_phone_shows_its_agent_unavailable_until_it_is_back,
);
