//! A tab that was away (a dropped socket, a laptop lid) resumes without missing a popup.

use serde_json::{Value, json};

use crate::app::spawn_app;
use crate::socket::Socket;
use crate::support::{Backend, on_both_backends};

/// Reads until both `call`'s `call.ended` and a `resumed` came: the messages up to that
/// `call.ended`, and the `resumed`.
async fn read_call(socket: &mut Socket, call: &str) -> (Vec<Value>, Value) {
    let mut messages = Vec::new();
    let mut resumed = None;
    let mut ended = false;
    while !ended || resumed.is_none() {
        let message = socket.next().await;
        if message["type"] == "resumed" {
            resumed = Some(message);
        } else if !ended {
            ended = message["call_id"] == call && message["type"] == "call.ended";
            messages.push(message);
        }
    }
    (messages, resumed.unwrap_or_default())
}

fn types(messages: &[Value]) -> Vec<&str> {
    messages.iter().filter_map(|m| m["type"].as_str()).collect()
}

async fn resume_after_a_dropped_socket_misses_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (sara, hello) = app.socket("sara").await;
    let seen = hello["seq"].as_u64().unwrap();
    sara.close().await;

    let call = app.ring("09121234567", "Ali Rezaei", "1001");
    let linkedid = call.linkedid.clone();
    call.finished().await;

    // Reconnect asking for everything after `seen`: replayed first, then live.
    let url = format!("ws://{}/ws?last_seq={seen}", app.host);
    let mut back = Socket::connect_to(&url, Some(&app.tokens["sara"]), &[])
        .await
        .unwrap();
    let hello = back.next_of("hello").await;
    assert!(hello["seq"].as_u64().unwrap() > seen);
    let (messages, resumed) = read_call(&mut back, &linkedid).await;
    assert_eq!(resumed["complete"], true);
    assert_eq!(resumed["from_seq"], seen + 1);
    let seqs: Vec<u64> = messages
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = (seen + 1..=seen + seqs.len() as u64).collect();
    assert_eq!(seqs, expected, "no gap, no repeat: {messages:?}");
    let got = types(&messages);
    for wanted in ["call.ringing", "call.answered", "call.ended"] {
        assert!(got.contains(&wanted), "{wanted} missing from {got:?}");
    }

    // The same with a `resume` message on an open socket.
    let (mut third, _) = app.socket("sara").await;
    third
        .send(json!({"type": "resume", "last_seq": seen}))
        .await;
    let (again, resumed) = read_call(&mut third, &linkedid).await;
    assert_eq!(resumed["complete"], true);
    assert_eq!(again, messages);

    // Asking for a seq from before this server knew the user cannot be complete.
    third.send(json!({"type": "resume", "last_seq": 5})).await;
    let resumed = third.next_of("resumed").await;
    assert_eq!(resumed["complete"], false);
}

on_both_backends!(resume_after_a_dropped_socket_misses_nothing,);
