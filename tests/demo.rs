//! `tamas demo` started as a real process: it prints its URL and the demo logins, and
//! answers `/healthz` and `/readyz`; SIGTERM stops it cleanly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::TamasProcess;

#[tokio::test]
async fn demo_starts_and_answers_health_checks() {
    let data = tempfile::tempdir().expect("temp dir");
    let demo = TamasProcess::demo(data.path()).await;

    assert!(
        demo.output.iter().any(|line| line.contains("admin")),
        "the demo prints its logins: {:?}",
        demo.output
    );
    for agent in ["sara", "reza", "maryam"] {
        assert!(
            demo.output.iter().any(|line| line.contains(agent)),
            "login for {agent} printed"
        );
    }

    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}/healthz", demo.url))
        .send()
        .await
        .expect("healthz answers");
    assert_eq!(health.status(), 200);
    let ready = client
        .get(format!("{}/readyz", demo.url))
        .send()
        .await
        .expect("readyz answers");
    assert_eq!(ready.status(), 200);
    let login = client
        .get(format!("{}/login", demo.url))
        .send()
        .await
        .expect("login page answers");
    assert_eq!(login.status(), 200);
    let csp = login
        .headers()
        .get("content-security-policy")
        .expect("pages carry a CSP")
        .to_str()
        .expect("ascii");
    assert!(csp.contains("script-src 'self'"));

    assert!(
        data.path().join("tamas.db").exists(),
        "the SQLite database is in the data folder"
    );
}

#[tokio::test]
async fn demo_restarted_on_the_same_folder_keeps_its_data() {
    let data = tempfile::tempdir().expect("temp dir");
    let first = TamasProcess::demo(data.path()).await;
    let stopped = first.terminate().await;
    assert!(
        stopped.success(),
        "the demo (Tamas, then its simulated PBX) stops cleanly on SIGTERM: {stopped:?}"
    );
    let second = TamasProcess::demo(data.path()).await;
    let found = second.run_cli(&["contacts", "find", "09121234567", "--json"]);
    assert!(found.status.success(), "{found:?}");
    let contacts: serde_json::Value = serde_json::from_slice(&found.stdout).expect("json");
    assert_eq!(contacts.as_array().map(Vec::len), Some(1), "{contacts}");
}
