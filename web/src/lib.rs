//! The web side of Tamas: the HTTP server every user and integration talks to: HTTP,
//! pages and the socket protocol over the application services of the `app` crate.
//!
//! Map of the crate:
//! - [`state`]: [`AppState`], what every handler can reach (the CRM store, settings).
//! - [`error`]: [`Error`], one error type for every handler, answered as JSON.
//! - [`auth`]: [`auth::CurrentUser`], who is asking (bearer tokens).
//! - [`session`], [`csrf`] and [`sign_in_limit`]: session cookies, CSRF and origin checks on
//!   every state-changing request, rate-limited sign-in.
//! - [`i18n`] and [`pages`]: English and Persian messages, Jalali dates, and what every
//!   server-rendered page shares.
//! - [`token_use`]: API tokens' "last used", written in the background.
//! - [`security`]: response headers every page carries (a strict Content-Security-Policy).
//! - [`ws`]: `/ws`, the WebSocket side of the hub (`app::hub`): popups and live call
//!   events per user.
//! - [`routes`]: one module per resource, each with its routes and who may call them;
//!   [`routes::table()`] is every route, served by [`router`].
//! - [`recording_upload`]: streams an upload's files to disk under a size limit, for
//!   `app::recording_desk`.
//! - [`reports`]: the supervisors' report figures, SVG charts and CSV tables.
//! - [`server`]: [`serve`], the HTTP server with its limits (timeouts, connection cap).
//! - [`assets`]: the static files (CSS, the small plain-JavaScript client), embedded.

pub mod assets;
pub mod auth;
pub mod csrf;
pub mod error;
pub mod i18n;
pub mod pages;
pub mod recording_upload;
pub mod reports;
pub mod routes;
pub mod security;
pub mod server;
pub mod session;
pub mod sign_in_limit;
pub mod state;
pub mod token_use;
pub mod ws;

use axum::Router;

pub use error::Error;
pub use server::{HttpLimits, serve};
pub use state::AppState;

/// Every route of the service ([`routes::table()`], each behind its access rule), with
/// the session, CSRF and security headers applied.
pub fn router(state: AppState) -> Router {
    routes::table()
        .into_router(&state)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::protect,
        ))
        .layer(axum::middleware::map_response(security::add_headers))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
