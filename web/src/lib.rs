//! The web side of Tamas: the HTTP server every user and integration talks to.
//!
//! Map of the crate:
//! - [`state`]: [`AppState`], what every handler can reach (the CRM store, settings).
//! - [`error`]: [`Error`], one error type for every handler, answered as JSON.
//! - [`auth`]: [`auth::CurrentUser`], who is asking (bearer tokens).
//! - [`session`], [`csrf`] and [`sign_in_limit`]: session cookies, CSRF and origin checks on
//!   every state-changing request, rate-limited sign-in.
//! - [`i18n`] and [`pages`]: English and Persian messages, Jalali dates, and what every
//!   server-rendered page shares.
//! - [`clock`]: the time now.
//! - [`security`]: response headers every page carries (a strict Content-Security-Policy).
//! - [`hub`]: the WebSocket hub (`/ws`): popups and live call events per user.
//! - [`routes`]: one module per resource, each with a `router()`; merged in [`router`].
//! - [`recording_desk`]: the one way a recording comes in (upload or spool folder).
//! - [`reports`]: the supervisors' report figures, SVG charts and CSV tables.
//! - [`alert_feed`]: alerts described for people and pushed live to supervisors.
//! - [`assets`]: the static files (CSS, the small plain-JavaScript client), embedded.

pub mod alert_feed;
pub mod assets;
pub mod auth;
pub mod clock;
pub mod contact_picks;
pub mod csrf;
pub mod error;
pub mod hub;
pub mod i18n;
pub mod pages;
pub mod recording_desk;
pub mod reports;
pub mod routes;
pub mod security;
pub mod session;
pub mod sign_in_limit;
pub mod state;
pub mod wallboard;

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
        .merge(routes::call_contact::router())
        .merge(routes::queues::router())
        .merge(routes::click_to_call::router())
        .merge(routes::agent::router())
        .merge(hub::router())
        .merge(routes::console::router())
        .merge(routes::contacts::router())
        .merge(routes::contact_page::router())
        .merge(routes::locale::router())
        .merge(routes::audit::router())
        .merge(routes::alerts::router())
        .merge(routes::recordings::router())
        .merge(routes::call_page::router())
        .merge(routes::wallboard::router())
        .merge(routes::reports::router())
        .merge(assets::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::protect,
        ))
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
    use axum::serve::ListenerExt as _;
    // Popups are small frames: without TCP_NODELAY, Nagle's algorithm holds a frame back
    // until the client acknowledges the previous one (tens of ms behind delayed ACKs).
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::warn!(error = %err, "cannot set TCP_NODELAY on a connection");
        }
    });
    axum::serve(
        listener,
        // The peer address is what the sign-in rate limit counts per client.
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
