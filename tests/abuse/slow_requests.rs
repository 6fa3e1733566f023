//! Clients that hold connections without finishing anything, against a real `tamas serve`
//! with short `[http]` timeouts: half-sent requests (a few hundred) are closed by the
//! server after `header_read_timeout_s`; kept-alive connections after `idle_timeout_s`;
//! with a small `max_connections`, one more connection waits while slow ones hold every
//! place and `/healthz` answers as soon as they are cut (and the cap is logged); a
//! WebSocket stays open well past the idle timeout.

use std::time::Duration;

use crm_core::{Extension, Locale, NewUser, Role, TokenScope, Username};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::database_down::{Server, socket};

/// How long a test waits for what should happen after a timeout of a few seconds.
const PATIENCE: Duration = Duration::from_secs(20);

/// A server over a fresh SQLite database with `[http]` set to `http`; a full token of an
/// agent (extension 1001).
async fn start(http: &str) -> (Server, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("tamas.db").display());
    let store = crm_core::connect(&url, crm_core::PhoneNormalizer::new("IR"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
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
    let (_, token) = store.create_token(sara.id, TokenScope::Full).await.unwrap();
    let server = Server::start(&url, &format!("[http]\n{http}"), dir.path()).await;
    server.wait_ready(false).await;
    (server, token.expose().to_owned(), dir)
}

/// Opens a connection and sends the start of a request, never its end.
async fn half_sent(host: &str) -> TcpStream {
    let mut stream = TcpStream::connect(host).await.unwrap();
    stream
        .write_all(format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\nX-Slow: ").as_bytes())
        .await
        .unwrap();
    stream
}

/// Whether the server closes `stream` within `wait` (end of stream or a reset).
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // A response (408 or such) before the close is fine.
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_closed() {
    let (server, _, _dir) = start("header_read_timeout_s = 2\nidle_timeout_s = 30\n").await;
    let mut streams = Vec::new();
    for _ in 0..300 {
        streams.push(half_sent(&server.host).await);
    }
    // Meanwhile the server answers everybody else.
    let healthz = reqwest::get(format!("{}/healthz", server.url())).await;
    assert_eq!(healthz.unwrap().status(), 200);
    let mut still_open = 0;
    for stream in &mut streams {
        if !closed_within(stream, PATIENCE).await {
            still_open += 1;
        }
    }
    assert_eq!(still_open, 0, "half-sent requests left open");
    // A connection that sends nothing at all is closed too.
    let mut silent = TcpStream::connect(&server.host).await.unwrap();
    assert!(closed_within(&mut silent, PATIENCE).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_are_closed() {
    let (server, _, _dir) = start("header_read_timeout_s = 30\nidle_timeout_s = 2\n").await;
    let mut stream = TcpStream::connect(&server.host).await.unwrap();
    stream
        .write_all(format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", server.host).as_bytes())
        .await
        .unwrap();
    let mut answer = [0u8; 1024];
    let n = tokio::time::timeout(PATIENCE, stream.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(!answer.to_ascii_lowercase().contains("connection: close"));
    // Kept alive, then closed for idling (the header timeout is far longer).
    assert!(closed_within(&mut stream, PATIENCE).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_cap_holds_and_healthz_recovers() {
    let (server, _, _dir) =
        start("header_read_timeout_s = 3\nidle_timeout_s = 3\nmax_connections = 20\n").await;
    let mut slow = Vec::new();
    for _ in 0..20 {
        slow.push(half_sent(&server.host).await);
    }
    // Every place is held: one more connection is not served…
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = reqwest::Client::new();
    let blocked = client
        .get(format!("{}/healthz", server.url()))
        .timeout(Duration::from_millis(800))
        .send()
        .await;
    assert!(
        blocked.is_err(),
        "served past the connection cap: {blocked:?}"
    );
    // …until the slow ones are cut.
    let recovered = client
        .get(format!("{}/healthz", server.url()))
        .timeout(PATIENCE)
        .send()
        .await
        .unwrap();
    assert_eq!(recovered.status(), 200);
    for stream in &mut slow {
        assert!(closed_within(stream, PATIENCE).await);
    }
    let log = server.log();
    assert_eq!(
        log.matches("connection cap reached").count(),
        1,
        "logged once, not per connection: {log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_outlives_the_idle_timeout() {
    let (server, token, _dir) =
        start("header_read_timeout_s = 1\nidle_timeout_s = 1\nbody_timeout_s = 1\n").await;
    let mut ws = socket::Socket::connect(&server.host, Some(&token), &[])
        .await
        .unwrap();
    ws.next_of("hello").await;
    // Four idle timeouts with nothing said: the socket stays open.
    let (ending, _) = ws.read_to_end(Duration::from_secs(4)).await;
    assert!(ending.is_none(), "the WebSocket was closed: {ending:?}");
    // And still answers.
    ws.send(serde_json::json!({"type": "ping"})).await;
    assert_eq!(ws.next_of("pong").await["type"], "pong");
}
