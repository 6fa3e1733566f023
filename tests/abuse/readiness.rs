//! `/readyz` and the read path when the database does not answer: with its PostgreSQL
//! (a private cluster) frozen (SIGSTOP: nothing answers, not even on open connections)
//! or stopped, `/readyz` answers 503 at once instead of hanging; with
//! SQLite write-locked by another connection, read-only API calls with a bearer token
//! still answer (checking a token writes nothing on the request path), and the token's
//! "last used" is written once the lock is gone.

use std::time::Duration;

use crm_core::{Extension, Locale, NewUser, Role, TokenScope, Username};
use sqlx::Connection as _;

use crate::database_down::{PgCluster, Server};

/// Generous bound for answers that should come "at once" (the probe gives up at 0.5 s;
/// the store's own connection timeout is 5 s).
const PROMPT: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_at_once_when_postgres_does_not_answer() {
    let Some(cluster) = PgCluster::start("readiness") else {
        return;
    };
    let store = crm_core::connect(&cluster.url(), crm_core::PhoneNormalizer::new("IR"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    drop(store);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&cluster.url(), "", dir.path()).await;
    server.wait_ready(false).await;
    let client = reqwest::Client::builder().timeout(PROMPT).build().unwrap();
    let readyz = format!("{}/readyz", server.url());
    assert_eq!(client.get(&readyz).send().await.unwrap().status(), 200);

    // Frozen: open connections get no answer, new ones are never accepted.
    cluster.signal_all("STOP");
    assert_unready(&client, &readyz).await;
    cluster.signal_all("CONT");
    wait_ready(&client, &readyz, &server).await;
    // Stopped: connections are refused.
    cluster.stop();
    assert_unready(&client, &readyz).await;
    // The process itself is fine.
    let healthz = client.get(format!("{}/healthz", server.url())).send().await;
    assert_eq!(healthz.unwrap().status(), 200);
    cluster.start_again();
    wait_ready(&client, &readyz, &server).await;
}

/// `/readyz` answers 503, promptly, several times in a row.
async fn assert_unready(client: &reqwest::Client, readyz: &str) {
    for attempt in 0..3 {
        let answer = client.get(readyz).send().await;
        let answer = answer.unwrap_or_else(|err| {
            panic!("/readyz did not answer within {PROMPT:?} (attempt {attempt}): {err}")
        });
        assert_eq!(answer.status(), 503, "attempt {attempt}");
    }
}

/// Waits (30 s at most) until `/readyz` answers 200 again.
async fn wait_ready(client: &reqwest::Client, readyz: &str, server: &Server) {
    for _ in 0..120 {
        if client
            .get(readyz)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("/readyz never came back: {}", server.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_reads_answer_while_sqlite_is_write_locked() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("tamas.db").display());
    let store = crm_core::connect(&url, crm_core::PhoneNormalizer::new("IR"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let boss = store
        .create_user(&NewUser {
            username: Username::parse("boss").unwrap(),
            display_name: "Boss".into(),
            role: Role::Supervisor,
            extension: None,
            locale: Locale::En,
            password_hash: "not used: tokens only".into(),
        })
        .await
        .unwrap();
    let sara = store
        .create_user(&NewUser {
            username: Username::parse("sara").unwrap(),
            display_name: "Sara".into(),
            role: Role::Agent,
            extension: Some(Extension::parse("1001").unwrap()),
            locale: Locale::En,
            password_hash: "not used: tokens only".into(),
        })
        .await
        .unwrap();
    let mut tokens = Vec::new();
    for user in [boss.id, sara.id] {
        let (id, token) = store.create_token(user, TokenScope::Full).await.unwrap();
        tokens.push((user, id, token.expose().to_owned()));
    }
    let server = Server::start(&url, "", dir.path()).await;
    server.wait_ready(false).await;

    // Another process holds SQLite's write lock (a long import, a backup).
    let mut lock = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut lock)
        .await
        .unwrap();
    let client = reqwest::Client::builder().timeout(PROMPT).build().unwrap();
    for (_, _, token) in &tokens {
        for path in ["/api/calls?limit=5", "/api/calls?limit=1"] {
            let answer = client
                .get(format!("{}{path}", server.url()))
                .bearer_auth(token)
                .send()
                .await
                .unwrap_or_else(|err| {
                    panic!("GET {path} hung while SQLite was write-locked: {err}")
                });
            assert_eq!(answer.status(), 200, "GET {path}: {}", server.log());
        }
    }
    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    drop(lock);

    // The uses are recorded in the background once the lock is gone.
    for (user, id, _) in &tokens {
        let mut recorded = false;
        for _ in 0..120 {
            let listed = store.tokens_of_user(*user).await.unwrap();
            if listed
                .iter()
                .any(|t| t.id == *id && t.last_used_at_ms.is_some())
            {
                recorded = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert!(
            recorded,
            "token {id} never recorded as used: {}",
            server.log()
        );
    }
}
