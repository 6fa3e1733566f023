//! `tamas serve` stopped with SIGTERM: it logs off the PBX (a simulated one in this
//! process, which keeps the actions it received), closes its WebSockets, writes every call
//! that had ended even while the database was locked, and exits within
//! `server.shutdown_timeout_s` — with a failure status, saying what it abandoned, when
//! the database stays locked past it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::ExitStatus;
use std::time::Duration;

use crm_core::{AlertFilter, AlertKind, CallFilter, NewUser, Role, TokenScope, Username};
use cti::sim::{CallSpec, Scenario, SimCall, SimHandle, SimSettings, Simulator};
use futures_util::StreamExt as _;
use sqlx::Connection as _;
use support::{Serve, Served, TestDatabase, became_true};
use tokio_tungstenite::tungstenite;

/// The simulated PBX, in this process.
struct Pbx {
    sim: SimHandle,
    port: u16,
}

impl Pbx {
    async fn start() -> Pbx {
        let settings = SimSettings {
            hostile_names: 0.0,
            max_extra_talk: Duration::ZERO,
            ..SimSettings::lab()
        };
        let simulator = Simulator::new(settings).unwrap();
        let sim = simulator.handle();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(simulator.serve(listener, std::future::pending()));
        Pbx { sim, port }
    }

    /// An inbound call answered by `agent` (5 s ringing, 8 s talk).
    fn answered(&self, number: &str, agent: &str) -> SimCall {
        self.sim.ring(number, "Caller", agent).unwrap()
    }

    fn logged_off(&self) -> bool {
        self.sim.actions().iter().any(|a| a.name == "Logoff")
    }
}

impl Drop for Pbx {
    fn drop(&mut self) {
        self.sim.shutdown();
    }
}

/// A running `tamas serve` (started through the harness's launcher).
struct Server {
    served: Served,
    host: String,
}

impl Server {
    async fn start(db: &TestDatabase, pbx: &Pbx, timeout_s: u64, dir: &std::path::Path) -> Server {
        let config = dir.join("tamas.toml");
        let agents: String = ["1001", "1002", "1003"]
            .iter()
            .map(|e| format!("[[pbx.agents]]\nextension = \"{e}\"\n"))
            .collect();
        std::fs::write(
            &config,
            format!(
                "[server]\nshutdown_timeout_s = {timeout_s}\n\n[pbx]\nname = \"sim\"\n\
                 host = \"127.0.0.1\"\nport = {}\nusername = \"cti\"\nsecret = \"cti-secret\"\n\
                 trunks = [\"trunk\"]\n\n{agents}\n[recordings]\ndata_dir = \"{}\"\n",
                pbx.port,
                dir.join("recordings").display()
            ),
        )
        .unwrap();
        let served = Serve::new(&db.url)
            .config(&config)
            .log_filter("info,sqlx=warn,tower_http=warn")
            .log_file(&dir.join("server.log"))
            .start()
            .await;
        Server {
            host: served.host.clone(),
            served,
        }
    }

    fn log(&self) -> String {
        self.served.log()
    }

    /// Waits until it answers HTTP and has read the PBX's queues (the resync is done).
    async fn wait_connected(&self, pbx: &Pbx) {
        support::wait_until_up(&format!("http://{}", self.host)).await;
        let connected = became_true(Duration::from_secs(60), || {
            std::future::ready(
                pbx.sim.actions().iter().any(|a| a.name == "QueueStatus")
                    && self.log().contains("connected to the PBX"),
            )
        })
        .await;
        assert!(
            connected,
            "tamas never connected to the PBX: {}",
            self.log()
        );
    }

    fn sigterm(&self) {
        self.served.sigterm();
    }

    /// Waits for the process to exit (a minute at most: past that it hangs).
    async fn exited(&mut self) -> ExitStatus {
        match self.served.exited(Duration::from_secs(60)).await {
            Some(status) => status,
            None => panic!("tamas did not exit after SIGTERM: {}", self.log()),
        }
    }
}

/// A write lock on the call log held from another connection.
enum Lock {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Lock {
    async fn take(db: &TestDatabase) -> Lock {
        if db.url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query("BEGIN EXCLUSIVE")
                .execute(&mut conn)
                .await
                .unwrap();
            Lock::Sqlite(conn)
        } else {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
            sqlx::query("LOCK TABLE calls IN ACCESS EXCLUSIVE MODE")
                .execute(&mut conn)
                .await
                .unwrap();
            Lock::Postgres(conn)
        }
    }

    async fn release(self) {
        match self {
            Lock::Sqlite(mut conn) => {
                sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
            }
            Lock::Postgres(mut conn) => {
                sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
            }
        }
    }
}

/// A supervisor's bearer token.
async fn supervisor_token(db: &TestDatabase) -> String {
    let user = db
        .store
        .create_user(&NewUser {
            username: Username::parse("boss").unwrap(),
            display_name: "Boss".into(),
            role: Role::Supervisor,
            extension: None,
            locale: crm_core::Locale::En,
            password_hash: "not a password".into(),
        })
        .await
        .unwrap();
    let (_, token) = db
        .store
        .create_token(user.id, TokenScope::Full)
        .await
        .unwrap();
    token.expose().to_owned()
}

async fn logged_linkedids(db: &TestDatabase) -> Vec<String> {
    let calls = db.store.list_calls(&CallFilter::default()).await.unwrap();
    calls.into_iter().map(|c| c.linkedid).collect()
}

/// Calls end while the database is locked; SIGTERM; the lock goes within the shutdown
/// window: every call that ended is in the call log, the abandon got its callback, the
/// process logged off and said what it drained, and exited successfully.
async fn queued_writes_are_drained(db: TestDatabase, dir: &std::path::Path) {
    let pbx = Pbx::start().await;
    let mut server = Server::start(&db, &pbx, 30, dir).await;
    server.wait_connected(&pbx).await;
    let token = supervisor_token(&db).await;
    let request = tungstenite::client::IntoClientRequest::into_client_request(format!(
        "ws://{}/ws",
        server.host
    ))
    .map(|mut request| {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        request
    })
    .unwrap();
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();

    let lock = Lock::take(&db).await;
    // All three agents are free: a caller gives up in the ring-all queue (6 s)…
    let abandoned = pbx
        .sim
        .place(CallSpec::new(Scenario::InboundAbandoned).customer("09121234567", "Caller"))
        .unwrap();
    let mut ended = vec![abandoned.linkedid.clone()];
    abandoned.finished().await;
    // …then two calls are answered (14 s each).
    let calls = [
        pbx.answered("09127654321", "1001"),
        pbx.answered("02144556677", "1002"),
    ];
    ended.extend(calls.iter().map(|c| c.linkedid.clone()));
    for call in calls {
        call.finished().await;
    }
    if db.url.starts_with("sqlite:") {
        // (PostgreSQL's lock keeps readers out too.)
        assert!(
            logged_linkedids(&db).await.is_empty(),
            "nothing written yet"
        );
    }

    server.sigterm();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    lock.release().await;
    let status = server.exited().await;
    let log = server.log();
    assert!(status.success(), "{status:?}: {log}");

    let mut written = logged_linkedids(&db).await;
    written.sort();
    ended.sort();
    assert_eq!(
        written, ended,
        "every call that ended is in the call log: {log}"
    );
    let alerts = db
        .store
        .list_alerts(&AlertFilter {
            kind: Some(AlertKind::AbandonedCallback),
            limit: 10,
            ..AlertFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(alerts.len(), 1, "the abandon got its callback: {log}");

    assert!(pbx.logged_off(), "the PBX received Logoff");
    assert!(log.contains("logged off the PBX"), "{log}");
    assert!(
        !log.contains("reconnecting") && !log.contains("AMI connection lost"),
        "a shutdown is not a lost connection: {log}"
    );
    assert!(
        log.contains("drained call log: 3 calls written; alerts: 3 written calls acted on"),
        "{log}"
    );
    // The supervisor's socket was closed by the server ("going away").
    let mut close = None;
    while let Some(Ok(message)) = socket.next().await {
        if let tungstenite::Message::Close(frame) = message {
            close = frame;
            break;
        }
    }
    assert_eq!(
        close.map(|f| u16::from(f.code)),
        Some(1001),
        "the WebSocket was closed going away"
    );
}

#[tokio::test]
async fn sigterm_drains_call_log_writes_queued_behind_a_locked_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::sqlite(dir.path()).await;
    queued_writes_are_drained(db, dir.path()).await;
}

#[tokio::test]
async fn sigterm_drains_call_log_writes_queued_behind_a_locked_postgres_table() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = TestDatabase::postgres("shutdown on PostgreSQL").await else {
        return;
    };
    queued_writes_are_drained(db, dir.path()).await;
}

/// The database stays locked past the deadline: the process still exits, with a failure
/// status, naming the call it could not write.
#[tokio::test]
async fn a_database_locked_past_the_deadline_does_not_hold_the_exit() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::sqlite(dir.path()).await;
    let pbx = Pbx::start().await;
    let mut server = Server::start(&db, &pbx, 2, dir.path()).await;
    server.wait_connected(&pbx).await;

    let lock = Lock::take(&db).await;
    let call = pbx.answered("09121234567", "1001");
    let linkedid = call.linkedid.clone();
    call.finished().await;
    server.sigterm();
    let status = server.exited().await;
    lock.release().await;
    let log = server.log();
    assert!(!status.success(), "abandoned work is a failed stop: {log}");
    assert!(log.contains("ABANDONED call log: 1 given up"), "{log}");
    assert!(
        log.lines()
            .any(|l| l.contains("call NOT written") && l.contains(&linkedid)),
        "the call left unwritten is named, with its record: {log}"
    );
    assert!(pbx.logged_off(), "it logged off all the same");
}
