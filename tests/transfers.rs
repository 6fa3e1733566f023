//! Transfers end to end: the real `tamas serve` against `tamas simulate-pbx` replaying the
//! two transfer captures (`05-blind-transfer`, `05-attended-transfer`), the agents on real
//! WebSockets. The target agent's console rings, answers and ends like any answered call
//! (their popup's wait counts from the transfer), each agent gets `call.ended` for their
//! own part, and the call log keeps each agent's segment (talk within 50 ms of the
//! capture's facts), the agent who really hung up, and per-agent report rows with each
//! agent's own talk (the queue wait, ASA and service level the answering agent's only).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

#[allow(dead_code)]
#[path = "screen_pop/socket.rs"]
mod socket;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use crm_core::{
    CallFilter, CallRow, Extension, Locale, NewUser, Role, Store, TokenScope, Username,
};
use serde_json::Value;
use socket::Socket;
use support::{KillOnDrop, Serve, Served, run_tamas, seeded_database, simulate_pbx};

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/asterisk"
    ))
}

/// What one agent's console received about a call, up to its `call.ended`.
struct Console {
    messages: Vec<Value>,
}

impl Console {
    /// Reads `socket` until `call.ended` for `call` (states before it included), and a
    /// moment more for the state that follows.
    async fn of(socket: &mut Socket, call: &str) -> Console {
        let mut messages = Vec::new();
        loop {
            let message = socket.next().await;
            let ended = message["type"] == "call.ended" && message["call_id"] == call;
            messages.push(message);
            if ended {
                break;
            }
        }
        messages.extend(socket.drain(Duration::from_millis(500)).await);
        Console { messages }
    }

    /// The call's frames, by type, in order.
    fn call_frames(&self, call: &str) -> Vec<&Value> {
        self.messages
            .iter()
            .filter(|m| m["call_id"] == call)
            .collect()
    }

    /// The states shown for `extension`, in order.
    fn states(&self, extension: &str) -> Vec<String> {
        self.messages
            .iter()
            .filter(|m| m["type"] == "agent.state" && m["extension"] == extension)
            .map(|m| m["state"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// The running service replaying `capture`, with tokens of the agents and the boss.
struct Replay {
    host: String,
    base: String,
    database_url: String,
    store: std::sync::Arc<dyn Store>,
    tokens: HashMap<&'static str, String>,
    _serve: Served,
    _pbx: KillOnDrop,
    _dir: tempfile::TempDir,
}

async fn replay(capture: &str) -> Replay {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, store) = seeded_database(dir.path()).await;
    let hash = crm_core::password::hash_password("a long test password").unwrap();
    store
        .create_user(&NewUser {
            username: Username::parse("maryam").unwrap(),
            display_name: "Maryam Hosseini".into(),
            role: Role::Agent,
            extension: Some(Extension::parse("1003").unwrap()),
            locale: Locale::En,
            password_hash: hash,
        })
        .await
        .unwrap();
    let mut tokens = HashMap::new();
    for (username, extension) in [("sara", "1001"), ("reza", "1002"), ("maryam", "1003")] {
        let user = store.user_by_extension(extension).await.unwrap().unwrap();
        assert_eq!(user.username.as_str(), username);
        let (_, token) = store.create_token(user.id, TokenScope::Full).await.unwrap();
        tokens.insert(username, token.expose().to_owned());
    }
    let capture = fixtures().join(format!("{capture}.ami"));
    let (pbx, address) = simulate_pbx(&["--replay".as_ref(), capture.as_os_str()]);
    let (pbx_host, pbx_port) = address.rsplit_once(':').unwrap();
    let config = dir.path().join("tamas.toml");
    std::fs::write(
        &config,
        format!(
            "[pbx]\nname = \"lab\"\nhost = \"{pbx_host}\"\nport = {pbx_port}\n\
             username = \"cti\"\nsecret = \"cti-secret\"\ntrunks = [\"trunk\"]\n"
        ),
    )
    .unwrap();
    let server = Serve::new(&database_url)
        .config(&config)
        .log_filter("error")
        .start()
        .await;
    support::wait_until_up(&server.url).await;
    Replay {
        host: server.host.clone(),
        base: server.url.clone(),
        database_url,
        store,
        tokens,
        _serve: server,
        _pbx: pbx,
        _dir: dir,
    }
}

impl Replay {
    async fn socket(&self, user: &str) -> Socket {
        let mut socket = Socket::connect(&self.host, Some(&self.tokens[user]), &[])
            .await
            .unwrap();
        socket.next_of("hello").await;
        socket
    }

    /// The call once it is in the log (20 s at most).
    async fn logged(&self, linkedid: &str) -> CallRow {
        for _ in 0..800 {
            let calls = self.store.list_calls(&CallFilter::default()).await.unwrap();
            if let Some(call) = calls.into_iter().find(|c| c.linkedid == linkedid) {
                return call;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{linkedid} never reached the call log");
    }

    /// `tamas report --by agent --json` over the days around `at_ms`.
    fn agent_rows(&self, at_ms: i64) -> Value {
        let day = |offset: i64| {
            let at =
                time::OffsetDateTime::from_unix_timestamp(at_ms / 1000 + offset * 86_400).unwrap();
            at.date().to_string()
        };
        let (from, to) = (day(-1), day(1));
        let out = run_tamas(
            &self.database_url,
            &[
                "report", "--from", &from, "--to", &to, "--by", "agent", "--json",
            ],
            None,
        );
        assert!(out.status.success(), "{out:?}");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        report["buckets"].clone()
    }

    /// `GET /api/calls` as `user`.
    async fn calls_of(&self, user: &str) -> Vec<Value> {
        reqwest::Client::new()
            .get(format!("{}/api/calls", self.base))
            .bearer_auth(&self.tokens[user])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// The expected facts of a capture.
fn facts(capture: &str) -> Value {
    let facts: Value = serde_json::from_slice(
        &std::fs::read(fixtures().join(format!("{capture}.facts.json"))).unwrap(),
    )
    .unwrap();
    facts["expected"][0].clone()
}

/// One capture end to end; `target` is the transfer's target (user, extension).
async fn transfer_end_to_end(capture: &str, target: (&str, &str)) {
    let expected = facts(capture);
    let linkedid = expected["linkedid"].as_str().unwrap();
    let app = replay(capture).await;
    let mut first = app.socket("sara").await;
    let mut other = app.socket(target.0).await;
    let (sara, them) = tokio::join!(
        Console::of(&mut first, linkedid),
        Console::of(&mut other, linkedid)
    );

    // The target: ringing, answered, ended (their own part, with a wrap-up), and their
    // state ringing → on a call → available.
    let frames = them.call_frames(linkedid);
    let types: Vec<&str> = frames.iter().map(|m| m["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["call.ringing", "call.answered", "call.ended"],
        "{capture}: {frames:?}"
    );
    assert_eq!(frames[0]["extension"], target.1);
    let waited = frames[0]["waited_ms"].as_u64().unwrap();
    assert!(
        waited < 1000,
        "{capture}: the target's wait counts from the transfer, not the queue join: {waited}"
    );
    assert_eq!(frames[1]["extension"], target.1);
    let segment_talk = |ext: &str| {
        expected["agent_segments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["extension"] == ext)
            .and_then(|s| s["talk_ms"].as_i64())
            .unwrap()
    };
    let near = |got: &Value, want: i64, what: &str| {
        let got = got
            .as_i64()
            .unwrap_or_else(|| panic!("{capture}: {what}: {got}"));
        assert!(
            (got - want).abs() <= 50,
            "{capture}: {what}: {got} ms, the capture says {want} ms"
        );
    };
    assert_eq!(frames[2]["wrapup"], true);
    assert_eq!(frames[2]["extension"], target.1);
    near(
        &frames[2]["talk_ms"],
        segment_talk(target.1),
        "target's talk",
    );
    let states = them.states(target.1);
    assert_eq!(
        states.iter().rev().take(3).rev().collect::<Vec<_>>(),
        ["ringing", "on_call", "available"],
        "{capture}: the target's states {states:?}"
    );

    // The first agent: their own call.ended when they left, with their own talk and a
    // wrap-up, and nothing more about the call.
    let ended: Vec<&Value> = sara
        .call_frames(linkedid)
        .into_iter()
        .filter(|m| m["type"] == "call.ended")
        .collect();
    assert_eq!(ended.len(), 1, "{capture}: one call.ended for 1001");
    assert_eq!(ended[0]["wrapup"], true);
    assert_eq!(ended[0]["extension"], "1001");
    near(&ended[0]["talk_ms"], segment_talk("1001"), "1001's talk");
    assert_eq!(
        sara.states("1001").last().map(String::as_str),
        Some("available")
    );

    // The call log: each segment's talk, who hung up, who talked last first.
    let call = app.logged(linkedid).await;
    let want: Vec<&str> = expected["agent_segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["extension"].as_str().unwrap())
        .collect();
    let got: Vec<&str> = call
        .agent_segments
        .iter()
        .map(|s| s.extension.as_str())
        .collect();
    assert_eq!(got, want, "{capture}");
    for segment in &call.agent_segments {
        near(
            &Value::from(segment.talk_ms.unwrap()),
            segment_talk(&segment.extension),
            "stored segment",
        );
    }
    assert_eq!(
        call.hangup_by_extension.as_deref(),
        expected["hangup_by_extension"].as_str(),
        "{capture}: who hung up"
    );
    assert_eq!(call.agents(), [target.1, "1001"], "{capture}");
    // Both agents see the call in their list.
    for user in ["sara", target.0] {
        let calls = app.calls_of(user).await;
        assert!(
            calls.iter().any(|c| c["linkedid"] == linkedid),
            "{capture}: {user} sees the call"
        );
    }

    // Per-agent report rows: each agent handled the call with their own talk.
    let rows = app.agent_rows(call.started_at_ms);
    assert_eq!(rows[target.1]["answered"], 1, "{capture}: {rows}");
    near(
        &rows[target.1]["aht_ms"],
        segment_talk(target.1),
        "target's AHT",
    );
    assert_eq!(rows["1001"]["answered"], 1, "{capture}: {rows}");
    // The queue wait was 1001's: their ASA and service level count it; the target did not
    // take the call from the queue, so it is outside theirs (docs/metrics.md).
    assert_eq!(rows["1001"]["service_level_denominator"], 1, "{rows}");
    assert_eq!(rows["1001"]["asa_ms"], call.wait_ms.unwrap(), "{rows}");
    assert_eq!(rows[target.1]["service_level_denominator"], 0, "{rows}");
    assert!(rows[target.1]["service_level"].is_null(), "{rows}");
    assert!(rows[target.1]["asa_ms"].is_null(), "{rows}");
}

#[tokio::test]
async fn a_blind_transfer_end_to_end() {
    transfer_end_to_end("05-blind-transfer", ("reza", "1002")).await;
}

#[tokio::test]
async fn an_attended_transfer_end_to_end() {
    transfer_end_to_end("05-attended-transfer", ("maryam", "1003")).await;
}
