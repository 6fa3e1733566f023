//! The load test's agents on `/ws`: one WebSocket each, noting when every `call.ringing`
//! frame arrives and whether it came to the agent whose phone rang; and a supervisor's
//! wallboard, noting when each waiting caller first shows on it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use futures_util::{SinkExt as _, StreamExt as _};
use serde::Deserialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::population::Agent;

/// Sockets opened at the same time while connecting.
const CONNECTING_AT_ONCE: usize = 64;

/// A popup as it arrived.
#[derive(Clone, Copy, Debug)]
pub struct Arrival {
    /// When the frame was read.
    pub at: Instant,
    /// Whether it named the receiving agent's extension.
    pub right_agent: bool,
}

/// What the agents received.
#[derive(Debug, Default)]
pub struct Received {
    popups: Mutex<HashMap<String, Arrival>>,
    /// Every frame read, all types.
    pub frames: AtomicU64,
    /// Popups for another agent's phone (must stay 0).
    pub misdirected: AtomicU64,
    /// Sockets that ended while the test ran.
    pub dropped: AtomicU64,
    /// When each waiting caller (by Uniqueid) first showed on the wallboard.
    wallboard: Mutex<HashMap<String, Instant>>,
    /// Wallboard snapshots received.
    pub snapshots: AtomicU64,
}

impl Received {
    /// The first popup of `call`.
    pub fn popup(&self, call: &str) -> Option<Arrival> {
        self.popups.lock().ok()?.get(call).copied()
    }

    /// When the caller with this Uniqueid first showed on the wallboard.
    pub fn on_wallboard(&self, uniqueid: &str) -> Option<Instant> {
        self.wallboard.lock().ok()?.get(uniqueid).copied()
    }
}

/// A supervisor's socket subscribed to the queues (`token` is theirs): notes when each
/// waiting caller first shows in a `queue.snapshot`.
pub async fn watch_wallboard(
    ws_url: &str,
    token: &str,
    received: Arc<Received>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut socket = open(ws_url, "supervisor", token).await?;
    socket
        .send(Message::text(r#"{"type":"subscribe","queues":true}"#))
        .await
        .context("cannot subscribe to the queues")?;
    Ok(tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            let at = Instant::now();
            let Message::Text(text) = message else {
                continue;
            };
            let Ok(snapshot) = serde_json::from_str::<serde_json::Value>(text.as_str()) else {
                continue;
            };
            if snapshot["type"] != "queue.snapshot" {
                continue;
            }
            received.snapshots.fetch_add(1, Ordering::Relaxed);
            let callers = snapshot["queues"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|q| q["waiting"].as_array().into_iter().flatten())
                .filter_map(|c| c["uniqueid"].as_str());
            if let Ok(mut seen) = received.wallboard.lock() {
                for uniqueid in callers {
                    seen.entry(uniqueid.to_owned()).or_insert(at);
                }
            }
        }
    }))
}

#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(default)]
    call_id: Option<&'a str>,
    #[serde(default)]
    extension: Option<&'a str>,
}

/// Opens one socket per agent at `ws_url`; returns once every one got its `hello`.
pub async fn connect_all(
    ws_url: &str,
    agents: &[Agent],
    received: Arc<Received>,
) -> anyhow::Result<JoinSet<()>> {
    let gate = Arc::new(Semaphore::new(CONNECTING_AT_ONCE));
    let mut connecting = JoinSet::new();
    for agent in agents {
        let permit = Arc::clone(&gate).acquire_owned().await?;
        let url = ws_url.to_owned();
        let agent = agent.clone();
        connecting.spawn(async move {
            let socket = open(&url, &agent.extension, &agent.token).await;
            drop(permit);
            socket.map(|s| (s, agent))
        });
    }
    let mut running = JoinSet::new();
    while let Some(done) = connecting.join_next().await {
        let (socket, agent) = done??;
        let received = Arc::clone(&received);
        running.spawn(read(socket, agent.extension, received));
    }
    Ok(running)
}

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(url: &str, who: &str, token: &str) -> anyhow::Result<Stream> {
    let mut request = url.into_client_request()?;
    request.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}"))?,
    );
    // Small buffers: thousands of these live in the load test's own process.
    let config = WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0);
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), true)
        .await
        .with_context(|| format!("{who} cannot open a socket"))?;
    match socket.next().await {
        Some(Ok(Message::Text(text))) if text.as_str().contains("\"type\":\"hello\"") => Ok(socket),
        other => anyhow::bail!("{who}: no hello but {other:?}",),
    }
}

async fn read(mut socket: Stream, extension: String, received: Arc<Received>) {
    while let Some(Ok(message)) = socket.next().await {
        let at = Instant::now();
        let Message::Text(text) = message else {
            continue;
        };
        received.frames.fetch_add(1, Ordering::Relaxed);
        let Ok(frame) = serde_json::from_str::<Frame<'_>>(text.as_str()) else {
            continue;
        };
        if frame.kind != "call.ringing" {
            continue;
        }
        let right_agent = frame.extension == Some(extension.as_str());
        if !right_agent {
            received.misdirected.fetch_add(1, Ordering::Relaxed);
        }
        if let (Some(call), Ok(mut popups)) = (frame.call_id, received.popups.lock()) {
            popups
                .entry(call.to_owned())
                .or_insert(Arrival { at, right_agent });
        }
    }
    received.dropped.fetch_add(1, Ordering::Relaxed);
}
