//! Internal calls: the calling agent follows the call like the called one (popup naming
//! the callee, answer, on a call, end), and neither is asked for a wrap-up unless
//! `[console] wrapup_internal = true`.

use std::time::Duration;

use cti::sim::{CallSpec, Scenario};
use serde_json::Value;

use crate::app::{AGENTS, Options, TestApp, spawn_app_with};
use crate::socket::Socket;
use crate::support::{Backend, on_both_backends};

/// Every message `socket` gets until the `call.ended` of `call`, then the agent states
/// that follow it.
async fn until_ended(socket: &mut Socket, call: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let message = socket.next().await;
        let done = message["type"] == "call.ended" && message["call_id"] == call;
        seen.push(message);
        if done {
            break;
        }
    }
    seen.extend(socket.drain(Duration::from_millis(500)).await);
    seen
}

/// The types of `messages` about `call` or about `extension`'s state, in order, with the
/// states spelled `agent.state:<state>`.
fn frames(messages: &[Value], call: &str, extension: &str) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| {
            let ty = m["type"].as_str()?;
            if ty == "agent.state" {
                (m["extension"] == extension)
                    .then(|| format!("agent.state:{}", m["state"].as_str().unwrap_or_default()))
            } else {
                (m["call_id"] == call).then(|| ty.to_owned())
            }
        })
        .collect()
}

/// Sara (1001) calls a colleague; returns the app, the call's id, the callee's extension
/// and what each of the two agents received.
async fn internal_call(
    backend: Backend,
    extra_config: &str,
) -> (TestApp, Vec<Value>, Vec<Value>, String, String) {
    let app = spawn_app_with(Options {
        backend,
        extra_config: extra_config.to_owned(),
        ..Options::default()
    })
    .await;
    let (mut sara, _) = app.socket("sara").await;
    let (mut reza, _) = app.socket("reza").await;
    let (mut maryam, _) = app.socket("maryam").await;
    let call = app
        .sim
        .place(
            CallSpec::new(Scenario::Internal)
                .agent("1001")
                .extra_talk(Duration::ZERO),
        )
        .unwrap();
    let caller = until_ended(&mut sara, &call.linkedid).await;
    // The callee is whoever of the two others the simulator picked: Sara's popup names them.
    let popup = caller
        .iter()
        .find(|m| m["type"] == "call.ringing")
        .expect("the caller's popup");
    let extension = popup["number"].as_str().unwrap_or_default().to_owned();
    let socket = match AGENTS.iter().find(|(_, e)| *e == extension) {
        Some(("reza", _)) => &mut reza,
        Some(("maryam", _)) => &mut maryam,
        _ => panic!("the popup names no colleague: {popup}"),
    };
    let callee_messages = until_ended(socket, &call.linkedid).await;
    (
        app,
        caller,
        callee_messages,
        call.linkedid.clone(),
        extension,
    )
}

fn ended(messages: &[Value], call: &str) -> Value {
    messages
        .iter()
        .find(|m| m["type"] == "call.ended" && m["call_id"] == call)
        .cloned()
        .expect("call.ended")
}

async fn both_agents_follow_an_internal_call_without_a_wrap_up_by_default(backend: Backend) {
    let (app, caller, callee, call, callee_ext) = internal_call(backend, "").await;
    let expected = [
        "call.ringing",
        "agent.state:ringing",
        "call.answered",
        "agent.state:on_call",
        "call.ended",
        "agent.state:available",
    ];
    assert_eq!(frames(&caller, &call, "1001"), expected, "{caller:?}");
    let popup = caller.iter().find(|m| m["type"] == "call.ringing").unwrap();
    assert_eq!(popup["direction"], "internal");
    assert_eq!(popup["extension"], "1001");
    assert_eq!(
        popup["number"],
        callee_ext.as_str(),
        "the popup names the callee"
    );
    assert_eq!(popup["create_contact_url"], Value::Null);
    assert_eq!(ended(&caller, &call)["wrapup"], false);

    assert_eq!(frames(&callee, &call, &callee_ext), expected, "{callee:?}");
    let theirs = callee.iter().find(|m| m["type"] == "call.ringing").unwrap();
    assert_eq!(
        theirs["number"], "1001",
        "the callee's popup names the caller"
    );
    assert_eq!(ended(&callee, &call)["wrapup"], false);
    drop(app);
}

async fn internal_calls_ask_for_a_wrap_up_when_configured(backend: Backend) {
    let (app, caller, callee, call, _) =
        internal_call(backend, "[console]\nwrapup_internal = true\n").await;
    assert_eq!(ended(&caller, &call)["wrapup"], true);
    assert_eq!(ended(&callee, &call)["wrapup"], true);
    drop(app);
}

on_both_backends!(
    both_agents_follow_an_internal_call_without_a_wrap_up_by_default,
    internal_calls_ask_for_a_wrap_up_when_configured,
);
