//! The HTTP server: [`serve`] runs [`crate::router`] on hyper directly (axum's `serve`
//! bounds nothing), with the limits of [`HttpLimits`]:
//!
//! - at most `max_connections` open at once (WebSockets included: a connection's permit
//!   lives as long as its socket); past that, new connections wait in the kernel's
//!   backlog, and one line a minute says the cap was reached (`accept`);
//! - a request's head must arrive within `header_read_timeout`, a connection that waits
//!   for its next request is closed after `idle_timeout` (`watchdog`);
//! - a request body that sends nothing for `body_timeout` fails (tower-http's
//!   `RequestBodyTimeoutLayer`).
//!
//! A WebSocket is no longer an HTTP connection once upgraded: none of these timeouts
//! apply to it (the hub pings it). Graceful shutdown is as before: on `shutdown`, no new
//! connections; connections between requests close, requests in progress finish.

mod accept;
mod watchdog;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt as _;

use crate::AppState;
use watchdog::{Activity, TrackedIo};

/// Bounds on what one client can hold of the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// The longest a request's head (request line and headers) may take to arrive,
    /// counted from the connection's accept or from the request's first byte.
    pub header_read_timeout: Duration,
    /// A kept-alive connection waiting for its next request is closed after this long.
    pub idle_timeout: Duration,
    /// A request body that sends nothing for this long fails.
    pub body_timeout: Duration,
    /// Connections open at once (HTTP and WebSocket); more wait to be accepted.
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            max_connections: 10_000,
        }
    }
}

/// Serves [`crate::router`] on an already-bound listener within `limits` until
/// `shutdown` completes, then until the connections still serving a request are done.
///
/// Taking the listener (rather than an address) lets tests and the demo bind port 0
/// and learn the port before the server starts.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = crate::router(state).layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        limits.body_timeout,
    ));
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let stopping = CancellationToken::new();
    let connections = TaskTracker::new();
    let mut accepter = accept::Accepter::new(listener, permits, limits);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer, permit) = tokio::select! {
            () = &mut shutdown => break,
            accepted = accepter.next() => accepted,
        };
        // Popups are small frames: without TCP_NODELAY, Nagle's algorithm holds a frame
        // back until the client acknowledges the previous one.
        if let Err(err) = stream.set_nodelay(true) {
            tracing::warn!(error = %err, "cannot set TCP_NODELAY on a connection");
        }
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(TrackedIo::new(stream, Arc::clone(&activity), permit));
        let service = handler(router.clone(), peer, Arc::clone(&activity));
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(None)
            .serve_connection(io, service)
            .with_upgrades();
        connections.spawn(serve_connection(
            connection,
            activity,
            limits,
            stopping.clone(),
            peer,
        ));
    }
    drop(accepter);
    stopping.cancel();
    connections.close();
    connections.wait().await;
    Ok(())
}

/// The hyper service of one connection: the router, told the peer's address (what the
/// sign-in rate limit counts per client), each request counted as in progress.
fn handler(
    router: axum::Router,
    peer: SocketAddr,
    activity: Arc<Activity>,
) -> impl hyper::service::Service<
    hyper::Request<hyper::body::Incoming>,
    Response = axum::response::Response,
    Error = Infallible,
    Future = impl Future<Output = Result<axum::response::Response, Infallible>> + Send,
> + Clone {
    let router = router.layer(axum::Extension(ConnectInfo(peer)));
    hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
        let router = router.clone();
        let busy = activity.request_started();
        async move {
            let response = router.oneshot(request.map(axum::body::Body::new)).await;
            drop(busy);
            response
        }
    })
}

/// Runs one connection until it ends; when `stopping`, it closes between requests; its
/// [`watchdog`] drops it (closing the socket) when its next request is too long in coming.
async fn serve_connection<I, S>(
    connection: hyper::server::conn::http1::UpgradeableConnection<I, S>,
    activity: Arc<Activity>,
    limits: HttpLimits,
    stopping: CancellationToken,
    peer: SocketAddr,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::HttpService<hyper::body::Incoming>,
    S::ResBody: 'static,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    tokio::pin!(connection);
    let watch = watchdog::watch(&activity, limits);
    tokio::pin!(watch);
    let mut told_to_stop = false;
    loop {
        tokio::select! {
            served = connection.as_mut() => {
                if let Err(err) = served {
                    tracing::debug!(%peer, error = %err, "connection ended with an error");
                }
                return;
            }
            () = stopping.cancelled(), if !told_to_stop => {
                told_to_stop = true;
                connection.as_mut().graceful_shutdown();
            }
            cut = &mut watch => {
                tracing::debug!(%peer, reason = cut, "connection closed");
                return;
            }
        }
    }
}
