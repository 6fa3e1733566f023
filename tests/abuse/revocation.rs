//! Revocation closes sockets: a WebSocket opened with a session or a token is closed
//! (1008, "access ended: …") within a bounded wait after sign-out, a token revocation (on
//! the admins' page, and with `tamas token revoke ID|--user U`), a password change, a role
//! change and disabling the user — the CLI ones from a separate process against the same
//! database — while another user's socket stays open throughout. On SQLite, and on
//! PostgreSQL when `TAMAS_TEST_DATABASE_URL` is set.

use std::sync::Arc;
use std::time::Duration;

use crm_core::{Extension, Locale, NewUser, Role, Store, TokenScope, User, Username};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::support::{
    AppOptions, Backend, TestApp, TestDatabase, on_both_backends, run_tamas, spawn_app_over,
};

/// The longest a test waits for a socket to close (the promise is one second).
const CLOSE_WAIT: Duration = Duration::from_secs(5);

on_both_backends!(every_revocation_closes_its_sockets);

/// A signed-in browser: the cookie and the CSRF token of a session made in the store.
struct Browser {
    cookie: String,
    csrf: String,
}

struct Server {
    base: String,
    host: String,
    store: Arc<dyn Store>,
    database_url: String,
    client: reqwest::Client,
    _app: TestApp,
}

impl Server {
    async fn browser(&self, user: &User) -> Browser {
        let expires = support_now_ms() + 3_600_000;
        let session = self.store.create_session(user.id, expires).await.unwrap();
        Browser {
            cookie: format!("tamas_session={}", session.token.expose()),
            csrf: session.csrf_token.clone(),
        }
    }

    async fn token(&self, user: &User) -> (crm_core::TokenId, String) {
        let (id, token) = self
            .store
            .create_token(user.id, TokenScope::Full)
            .await
            .unwrap();
        (id, token.expose().to_owned())
    }

    /// A signed-in POST from one of Tamas' pages.
    async fn post_form(&self, browser: &Browser, path: &str) -> reqwest::StatusCode {
        self.client
            .post(format!("{}{path}", self.base))
            .header("cookie", &browser.cookie)
            .header("origin", &self.base)
            .form(&[("csrf", browser.csrf.as_str())])
            .send()
            .await
            .unwrap()
            .status()
    }

    async fn socket(&self, header: (&'static str, String)) -> Ws {
        Ws::open(&self.host, header).await
    }

    fn cli(&self, args: &[&str], stdin: Option<&str>) {
        let out = run_tamas(&self.database_url, args, stdin);
        assert!(
            out.status.success(),
            "tamas {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn support_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn cookie(browser: &Browser) -> (&'static str, String) {
    ("cookie", browser.cookie.clone())
}

fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

/// An open `/ws` connection, past `hello`.
struct Ws {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Ws {
    async fn open(host: &str, (name, value): (&'static str, String)) -> Ws {
        let mut request = format!("ws://{host}/ws").into_client_request().unwrap();
        request
            .headers_mut()
            .insert(name, HeaderValue::from_str(&value).unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let mut socket = Ws { ws };
        let hello = socket.next_text(Duration::from_secs(10)).await;
        assert_eq!(hello.expect("hello")["type"], "hello");
        socket
    }

    async fn next_text(&mut self, wait: Duration) -> Option<Value> {
        loop {
            match tokio::time::timeout(wait, self.ws.next()).await.ok()?? {
                Ok(Message::Text(text)) => return serde_json::from_str(text.as_str()).ok(),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// Waits (at most `CLOSE_WAIT`) for the server to close the socket: its close code
    /// and reason.
    async fn closed_by_server(&mut self) -> (u16, String) {
        let asked = tokio::time::Instant::now();
        let deadline = asked + CLOSE_WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => panic!("the socket is still open {CLOSE_WAIT:?} later"),
                Ok(Some(Ok(Message::Close(Some(frame))))) => {
                    // Printed, never asserted: how long the close took on this machine.
                    eprintln!(
                        "closed {:?} after the change: {}",
                        asked.elapsed(),
                        frame.reason
                    );
                    return (u16::from(frame.code), frame.reason.to_string());
                }
                Ok(Some(Ok(Message::Close(None)))) => return (1005, String::new()),
                Ok(None | Some(Err(_))) => panic!("the connection dropped without a close frame"),
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// Proves the socket is open: a `ping` is answered with `pong`.
    async fn answers(&mut self) {
        self.ws
            .send(Message::Text(json!({"type": "ping"}).to_string().into()))
            .await
            .expect("the socket is open");
        loop {
            let message = self
                .next_text(Duration::from_secs(5))
                .await
                .expect("the socket answers");
            if message["type"] == "pong" {
                return;
            }
        }
    }
}

async fn user(store: &Arc<dyn Store>, name: &str, role: Role, extension: Option<&str>) -> User {
    store
        .create_user(&NewUser {
            username: Username::parse(name).unwrap(),
            display_name: name.to_owned(),
            role,
            extension: extension.map(|e| Extension::parse(e).unwrap()),
            locale: Locale::En,
            // Nobody signs in with a password here: sessions are made in the store.
            password_hash: "not a real hash".to_owned(),
        })
        .await
        .unwrap()
}

/// Tamas in this process over `database` (users made by the test).
async fn start(database: TestDatabase, dir: tempfile::TempDir) -> Server {
    let options = AppOptions {
        people: Vec::new(),
        ..AppOptions::default()
    };
    let app = spawn_app_over(database, dir, options).await;
    Server {
        host: app.host.clone(),
        base: app.base.clone(),
        store: Arc::clone(&app.store),
        database_url: app.database_url.clone(),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        _app: app,
    }
}

fn assert_ended(closed: (u16, String), reason: &str) {
    assert_eq!(closed.0, 1008, "{closed:?}");
    assert_eq!(closed.1, format!("access ended: {reason}"));
}

async fn every_revocation_closes_its_sockets(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let test = "every_revocation_closes_its_sockets";
    let database = TestDatabase::on(backend, dir.path(), test).await.unwrap();
    let store = Arc::clone(&database.store);
    let sara = user(&store, "sara", Role::Agent, Some("1001")).await;
    let reza = user(&store, "reza", Role::Agent, Some("1002")).await;
    let root = user(&store, "root", Role::Admin, None).await;
    let server = start(database, dir).await;
    let admin = server.browser(&root).await;
    // Another user's sockets, by session and by token: open until the end.
    let mut bystander = server.socket(cookie(&server.browser(&reza).await)).await;
    let (_, reza_token) = server.token(&reza).await;
    let mut bystander_token = server.socket(bearer(&reza_token)).await;

    let (mut other, other_tab) = sign_out_and_revoked_tokens(&server, &sara, &admin).await;
    changes_to_the_user(&server, &sara, &mut other, &other_tab).await;

    // The other user was never touched.
    bystander.answers().await;
    bystander_token.answers().await;
}

/// Sign-out and revoked tokens; returns another session of Sara's and its socket, still
/// open.
async fn sign_out_and_revoked_tokens(
    server: &Server,
    sara: &User,
    admin: &Browser,
) -> (Ws, Browser) {
    // Sign-out closes that session's socket, not another session's of the same user.
    let signed_in = server.browser(sara).await;
    let other_tab = server.browser(sara).await;
    let mut socket = server.socket(cookie(&signed_in)).await;
    let mut other = server.socket(cookie(&other_tab)).await;
    assert_eq!(
        server.post_form(&signed_in, "/logout").await,
        reqwest::StatusCode::SEE_OTHER
    );
    assert_ended(socket.closed_by_server().await, "signed out");
    other.answers().await;

    // A token revoked on the admins' page.
    let (id, token) = server.token(sara).await;
    let mut socket = server.socket(bearer(&token)).await;
    let path = format!("/admin/tokens/{}/revoke", id.0);
    assert_eq!(
        server.post_form(admin, &path).await,
        reqwest::StatusCode::SEE_OTHER
    );
    assert_ended(socket.closed_by_server().await, "token revoked");

    // A token revoked by the CLI, in another process: by id, then every token of a user.
    let (id, token) = server.token(sara).await;
    let mut socket = server.socket(bearer(&token)).await;
    server.cli(&["token", "revoke", &id.0.to_string()], None);
    assert_ended(socket.closed_by_server().await, "token revoked");
    let (_, token) = server.token(sara).await;
    let mut socket = server.socket(bearer(&token)).await;
    server.cli(&["token", "revoke", "--user", "sara"], None);
    assert_ended(socket.closed_by_server().await, "token revoked");
    (other, other_tab)
}

/// Password, role, disabling: every socket of the user closes.
async fn changes_to_the_user(server: &Server, sara: &User, other: &mut Ws, other_tab: &Browser) {
    // A password change (CLI) closes every socket of the user and ends her sessions.
    let (_, token) = server.token(sara).await;
    let mut by_token = server.socket(bearer(&token)).await;
    server.cli(
        &["user", "set-password", "sara", "--password-stdin"],
        Some("a brand new password\n"),
    );
    assert_ended(by_token.closed_by_server().await, "password changed");
    assert_ended(other.closed_by_server().await, "password changed");
    let status = server
        .client
        .get(format!("{}/console", server.base))
        .header("cookie", &other_tab.cookie)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, reqwest::StatusCode::SEE_OTHER, "the session ended");

    // A role change (CLI).
    let mut socket = server.socket(cookie(&server.browser(sara).await)).await;
    server.cli(&["user", "set-role", "sara", "supervisor"], None);
    assert_ended(socket.closed_by_server().await, "role changed");

    // Disabling the user (CLI): her sockets close and her credentials stop working.
    let browser = server.browser(sara).await;
    let mut socket = server.socket(cookie(&browser)).await;
    let (_, token) = server.token(sara).await;
    let mut by_token = server.socket(bearer(&token)).await;
    server.cli(&["user", "disable", "sara"], None);
    assert_ended(socket.closed_by_server().await, "user disabled");
    assert_ended(by_token.closed_by_server().await, "user disabled");
    let refused = server
        .client
        .get(format!("{}/api/calls", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(refused, reqwest::StatusCode::UNAUTHORIZED);
    server.cli(&["user", "enable", "sara"], None);
}
