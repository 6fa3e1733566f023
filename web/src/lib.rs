//! The web side of Tamas: the HTTP server every user and integration talks to.
//!
//! Map of the crate:
//! - [`state`]: [`AppState`], what every handler can reach (the CRM store, settings).
//! - [`error`]: [`Error`], one error type for every handler, answered as JSON.
//! - [`auth`]: [`auth::CurrentUser`], who is asking (bearer tokens).
//! - [`security`]: response headers every page carries (a strict Content-Security-Policy).
//! - [`routes`]: one module per resource, each with a `router()`; merged in [`router`].
//! - [`assets`]: the static files (CSS, the small plain-JavaScript client), embedded.

pub mod assets;
pub mod auth;
pub mod error;
pub mod routes;
pub mod security;
pub mod state;

use std::future::Future;

use axum::Router;

pub use error::Error;
pub use state::AppState;

/// Every route of the service, with the security headers applied.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(routes::health::router())
        .merge(routes::login::router())
        .merge(routes::calls::router())
        .merge(routes::queues::router())
        .merge(assets::router())
        .layer(axum::middleware::map_response(security::add_headers))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves [`router`] on an already-bound listener until `shutdown` completes.
///
/// Taking the listener (rather than an address) lets tests and the demo bind port 0
/// and learn the port before the server starts.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
