//! `tamas serve` against `tamas simulate-pbx`, both real processes talking AMI over
//! loopback: a call the PBX makes shows in `/api/calls/active` while it lasts, then lands
//! in the call log on its contact, exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::{Serve, run_tamas, tamas_bin};

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tamas ARGS` and returns it with the first word of its output that starts with
/// `prefix` on the line containing `marker`.
fn start(args: &[&str], envs: &[(&str, String)], marker: &str) -> (Running, String) {
    let mut command = Command::new(tamas_bin());
    command
        .args(args)
        .env_remove("TAMAS_DATABASE_URL")
        .env_remove("TAMAS_CONFIG")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (key, value) in envs {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("tamas starts");
    let stdout = child.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let line = lines
        .by_ref()
        .map(|l| l.expect("utf-8"))
        .find(|l| l.contains(marker))
        .expect("the marker line is printed");
    std::thread::spawn(move || for _ in lines {});
    let word = line.split_whitespace().last().expect("a word").to_owned();
    (Running(child), word)
}

/// GETs `url` with a bearer token and reads the JSON answer.
async fn get_json(client: &reqwest::Client, url: String, token: &str) -> serde_json::Value {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn wait_for_port(address: &str) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(address).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("nothing listens on {address}");
}

#[tokio::test]
async fn a_pbx_call_is_live_then_logged_on_its_contact_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("tamas.db").display());
    let capture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/asterisk/01-inbound-answered.ami"
    );

    // The customer is a contact, written in another format than the PBX sends.
    let csv = dir.path().join("contacts.csv");
    std::fs::write(&csv, "name,phone\nAli Rezaei,+98 912 123 4567\n").unwrap();
    assert!(
        run_tamas(&db, &["import", "contacts", csv.to_str().unwrap()], None)
            .status
            .success()
    );
    let added = run_tamas(
        &db,
        &[
            "user",
            "add",
            "--username",
            "boss",
            "--role",
            "supervisor",
            "--password-stdin",
        ],
        Some("a long password\n"),
    );
    assert!(added.status.success(), "{added:?}");
    let token = run_tamas(&db, &["token", "create", "--user", "boss"], None);
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    let agent = run_tamas(
        &db,
        &[
            "user",
            "add",
            "--username",
            "sara",
            "--role",
            "agent",
            "--extension",
            "1001",
        ],
        None,
    );
    assert!(agent.status.success(), "{agent:?}");
    let agent_token = run_tamas(&db, &["token", "create", "--user", "sara"], None);
    let agent_token = String::from_utf8(agent_token.stdout)
        .unwrap()
        .trim()
        .to_owned();

    let (_pbx, pbx_address) = start(
        &[
            "simulate-pbx",
            "--listen",
            "127.0.0.1:0",
            "--secret",
            "lab-secret",
            "--replay",
            capture,
        ],
        &[],
        "AMI on",
    );
    wait_for_port(&pbx_address);
    let (pbx_host, pbx_port) = pbx_address.rsplit_once(':').unwrap();

    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/tamas.toml");
    let serve = Serve::new(&db)
        .config(std::path::Path::new(config))
        .env("TAMAS_PBX__HOST", pbx_host)
        .env("TAMAS_PBX__PORT", pbx_port)
        .env("TAMAS_PBX__SECRET", "lab-secret")
        .start()
        .await;
    let http_address = serve.host.clone();

    let client = reqwest::Client::new();
    let base = format!("http://{http_address}");
    let unauthenticated = client
        .get(format!("{base}/api/calls"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);

    let mut seen_live = false;
    let mut seen_waiting = false;
    let mut logged = None;
    for _ in 0..600 {
        let queues: serde_json::Value =
            get_json(&client, format!("{base}/api/queues"), &token).await;
        seen_waiting |= queues.as_array().unwrap().iter().any(|queue| {
            queue["waiting"]
                .as_array()
                .unwrap()
                .iter()
                .any(|caller| caller["number"] == "09121234567")
        });
        let active: serde_json::Value =
            get_json(&client, format!("{base}/api/calls/active"), &token).await;
        if active.as_array().is_some_and(|calls| !calls.is_empty()) {
            assert_eq!(active[0]["customer_number_e164"], "+989121234567");
            seen_live = true;
        }
        let calls: serde_json::Value = get_json(&client, format!("{base}/api/calls"), &token).await;
        if calls.as_array().is_some_and(|calls| !calls.is_empty()) {
            logged = Some(calls);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        seen_live,
        "the call showed in /api/calls/active while it lasted"
    );
    assert!(seen_waiting, "the caller showed waiting in /api/queues");
    let today: serde_json::Value =
        get_json(&client, format!("{base}/api/queues/today"), &token).await;
    assert_eq!(today["support"]["offered"], 1, "{today}");
    assert_eq!(today["support"]["answered"], 1, "{today}");
    assert_eq!(today["support"]["asa_ms"], 5009, "{today}");
    let forbidden = client
        .get(format!("{base}/api/queues"))
        .bearer_auth(&agent_token)
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), 403, "agents do not see the queues");
    let own: serde_json::Value = get_json(&client, format!("{base}/api/calls"), &agent_token).await;
    assert_eq!(
        own.as_array().unwrap().len(),
        1,
        "1001 answered the call: sara sees it"
    );
    let calls = logged.expect("the call reached the call log");
    let calls = calls.as_array().unwrap();
    assert_eq!(calls.len(), 1, "exactly once");
    let call = &calls[0];
    assert_eq!(call["direction"], "inbound");
    assert_eq!(call["answered_by_extension"], "1001");
    assert_eq!(
        call["wait_ms"], 5009,
        "timings come from the PBX's Timestamp headers"
    );
    assert_eq!(call["talk_ms"], 8284);
    assert!(
        call["contact"].is_number(),
        "matched to the contact: {call}"
    );

    let bad = client
        .get(format!("{base}/api/calls?limit=0"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("limit"));
}

#[tokio::test]
async fn the_web_side_keeps_serving_while_the_pbx_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("tamas.db").display());
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port().to_string();
    drop(closed);
    let mut serve = Serve::new(&db)
        .env("TAMAS_PBX__HOST", "127.0.0.1")
        .env("TAMAS_PBX__PORT", &closed_port)
        .start()
        .await;
    let http_address = serve.host.clone();
    let ready = reqwest::get(format!("http://{http_address}/readyz"))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200, "the database is what readiness checks");
    serve.kill();
    let log = serve.log();
    assert!(
        log.contains("cannot reach the PBX"),
        "the outage is logged clearly: {log}"
    );
}
