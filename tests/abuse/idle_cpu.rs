//! An idle server is idle: a real `tamas serve` on a simulated PBX (in this process, with
//! no traffic of its own) uses next to no CPU (`utime + stime` from `/proc/PID/stat`)
//! before anyone looks at the wallboard, and again after a supervisor opened `/wallboard`
//! (the page and its WebSocket, as a browser does), left, and a call ended meanwhile (the
//! wallboard's figures are then due again while nobody watches: the busy loop this probe
//! keeps from coming back).

use std::sync::Arc;
use std::time::Duration;

use super::endless_calls::server::Server;
use crate::support;
use cti::sim::{CallSpec, Scenario, SimHandle, SimSettings, Simulator};
use futures_util::{SinkExt as _, StreamExt as _};
use reqwest::cookie::CookieStore as _;
use tokio_tungstenite::tungstenite;

/// How long CPU time is measured.
const WINDOW: Duration = Duration::from_secs(10);
/// The most CPU an idle server may use, as a share of one core (a busy loop uses 1.0).
const IDLE_BOUND: f64 = 0.05;

#[tokio::test]
async fn the_server_is_idle_after_a_wallboard_visit() {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, _store) = support::seeded_database(dir.path()).await;
    let (sim, port) = simulated_pbx().await;
    let server = Server::start(&database_url, port, "", "", dir.path()).await;
    server.wait_connected().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = cpu_share(&server).await;

    visit_the_wallboard(&server.host).await;
    // A call ends while nobody watches: the figures are stale again.
    let call = sim
        .place(CallSpec::new(Scenario::InboundAbandoned).customer("09121234567", "Caller"))
        .unwrap();
    call.finished().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = cpu_share(&server).await;
    eprintln!(
        "idle CPU over {WINDOW:?}: {:.2} % of a core before the wallboard visit, {:.2} % after",
        before * 100.0,
        after * 100.0
    );
    assert!(before < IDLE_BOUND, "idle before: {before}");
    assert!(after < IDLE_BOUND, "idle after the visit: {after}");
    sim.shutdown();
}

/// The simulated lab PBX (no calls unless asked), listening on a free port.
async fn simulated_pbx() -> (SimHandle, u16) {
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
    (sim, port)
}

/// The server's CPU time over [`WINDOW`], as a share of one core.
async fn cpu_share(server: &Server) -> f64 {
    let start = server.cpu_time();
    let started = std::time::Instant::now();
    tokio::time::sleep(WINDOW).await;
    let used = server.cpu_time() - start;
    used.as_secs_f64() / started.elapsed().as_secs_f64()
}

/// Signs in as the supervisor, opens `/wallboard` and its WebSocket, subscribes to the
/// queues, waits for a snapshot, and leaves.
async fn visit_the_wallboard(host: &str) {
    let url = format!("http://{host}");
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(Arc::clone(&jar))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = client
        .post(format!("{url}/login"))
        .header("origin", &url)
        .form(&[
            ("username", "boss"),
            ("password", support::PASSWORD),
            ("next", "/wallboard"),
        ])
        .send()
        .await
        .unwrap();
    assert!(signed_in.status().is_redirection(), "{signed_in:?}");
    let page = client.get(format!("{url}/wallboard")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let cookies = jar
        .cookies(&url.parse().unwrap())
        .expect("a session cookie");
    let mut request =
        tungstenite::client::IntoClientRequest::into_client_request(format!("ws://{host}/ws"))
            .unwrap();
    request.headers_mut().insert("cookie", cookies);
    request.headers_mut().insert("origin", url.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket
        .send(tungstenite::Message::text(
            r#"{"type":"subscribe","queues":true}"#,
        ))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut snapshots = 0;
    while snapshots < 2 {
        let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, socket.next()).await else {
            break;
        };
        if let tungstenite::Message::Text(text) = message
            && text.contains("\"queue.snapshot\"")
        {
            snapshots += 1;
        }
    }
    assert!(snapshots >= 1, "the wallboard was shown");
    socket.close(None).await.unwrap();
}
