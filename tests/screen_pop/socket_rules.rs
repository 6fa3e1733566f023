//! Who may open a socket, what a client may say, and what happens to a client that stops
//! reading.

use std::time::Duration;

use crm_core::{NewTask, TaskKind};
use cti::sim::{CallSpec, Scenario};
use serde_json::json;
use tokio_tungstenite::tungstenite::Error as WsError;

use crate::app::{Options, spawn_app, spawn_app_with};
use crate::socket::{Ending, Socket};
use crate::support::{Backend, on_both_backends};

fn refused_with(result: Result<Socket, WsError>) -> u16 {
    match result {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("refused otherwise: {other}"),
        Ok(_) => panic!("the socket was accepted"),
    }
}

async fn only_signed_in_users_from_this_origin_get_a_socket(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.tokens["sara"].as_str();
    let evil = Socket::connect(&app.host, Some(token), &[("origin", "http://evil.example")]).await;
    assert_eq!(refused_with(evil), 403);
    let anonymous = Socket::connect(&app.host, None, &[]).await;
    assert_eq!(refused_with(anonymous), 401);
    let wrong = Socket::connect(&app.host, Some("tamas_not-a-token"), &[]).await;
    assert_eq!(refused_with(wrong), 401);

    let own_origin = format!("http://{}", app.host);
    let mut browser = Socket::connect(&app.host, Some(token), &[("origin", own_origin.as_str())])
        .await
        .unwrap();
    assert_eq!(browser.next_of("hello").await["user"]["username"], "sara");

    let url = format!("ws://{}/ws?token={token}", app.host);
    let mut script = Socket::connect_to(&url, None, &[]).await.unwrap();
    assert_eq!(script.next_of("hello").await["user"]["username"], "sara");

    script.send(json!({"type": "ping"})).await;
    assert_eq!(script.next().await["type"], "pong");
    script
        .send(json!({"type": "subscribe", "all_calls": true}))
        .await;
    let refused = script.next().await;
    assert_eq!(refused["type"], "error", "agents see only their own calls");
    script.send(json!({"type": "dance"})).await;
    assert_eq!(script.next().await["type"], "error");
}

async fn a_client_that_stops_reading_is_disconnected(backend: Backend) {
    let extra: Vec<String> = (2001..=2060).map(|e| e.to_string()).collect();
    let app = spawn_app_with(Options {
        backend,
        extra_agents: extra.clone(),
        ..Options::default()
    })
    .await;
    // A customer with a big card, so popups are large (about 50 KB each).
    let big = app.contact("Big Customer", &["09121234567"]).await;
    for i in 0..200 {
        app.store
            .create_task(&NewTask {
                kind: TaskKind::FollowUp,
                title: format!("{i:03} {}", "follow up on the order ".repeat(8)),
                contact: Some(big.id),
                call: None,
                assignee: None,
                due_at_ms: None,
            })
            .await
            .unwrap();
    }
    let (mut reader, _) = app.socket("boss").await;
    reader
        .send(json!({"type": "subscribe", "all_calls": true}))
        .await;
    reader.next_of("subscribed").await;
    // The same supervisor in a tab that never reads, with a small receive buffer.
    let tcp = tokio::net::TcpSocket::new_v4().unwrap();
    tcp.set_recv_buffer_size(4096).unwrap();
    let stream = tcp.connect(app.host.parse().unwrap()).await.unwrap();
    let mut slow = Socket::over(stream, &app.host, &app.tokens["boss"]).await;

    for extension in &extra {
        app.sim
            .place(
                CallSpec::new(Scenario::InboundAnswered)
                    .customer("09121234567", "Big Customer")
                    .agent(extension.as_str())
                    .extra_talk(Duration::ZERO),
            )
            .unwrap();
    }
    for _ in 0..extra.len() {
        let popup = reader.next_of("call.ringing").await;
        assert_eq!(
            popup["contacts"][0]["open_tasks"].as_array().unwrap().len(),
            200
        );
    }
    for _ in 0..extra.len() {
        reader.next_of("call.answered").await;
    }

    let (ending, read) = slow.read_to_end(Duration::from_secs(30)).await;
    let ending = ending.expect("the slow tab was disconnected");
    if let Ending::Closed(code) = ending {
        assert_eq!(code, 1008);
    }
    let popups = read.iter().filter(|m| m["type"] == "call.ringing").count();
    assert!(popups < extra.len(), "the slow tab got only part: {popups}");
    assert!(
        app.server_log().contains("stopped reading"),
        "the drop is logged: {}",
        app.server_log()
    );
    // The reading tab is still there.
    reader.send(json!({"type": "ping"})).await;
    assert_eq!(reader.next_of("pong").await["type"], "pong");
}

on_both_backends!(
    only_signed_in_users_from_this_origin_get_a_socket,
    a_client_that_stops_reading_is_disconnected,
);
