//! `GET /ws`: the WebSocket upgrade.
//!
//! In order: a browser's `Origin` must be this server's own (else 403: another site must
//! not ride on the user's cookie); the user is the signed-in one ([`CurrentUser`]: session
//! cookie or bearer token, checked here after taking the hub's access cursor) or the one
//! behind `?token=` (clients that cannot set headers);
//! the request must be a WebSocket upgrade; a user has at most
//! [`HubSettings::max_sockets_per_user`](app::hub::HubSettings) sockets (else 429).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use crm_core::{TokenScope, User};
use serde::Deserialize;

use super::socket;
use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};
use crm_core::Credential;

/// Largest message a client may send (its requests are tiny).
const MAX_CLIENT_MESSAGE: usize = 16 * 1024;
/// The socket's read buffer: small, because clients send little, and allocated up front
/// for every connection.
const READ_BUFFER: usize = 4 * 1024;

/// The `/ws` route.
pub fn router() -> Routes {
    Routes::new().get("/ws", Access::Socket, upgrade)
}

/// Query of `GET /ws`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WsQuery {
    /// A bearer token, for clients that cannot set the `Authorization` header.
    token: Option<String>,
    /// Replay what came after this seq before anything else.
    last_seq: Option<u64>,
}

#[tracing::instrument(skip_all)]
async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<WsQuery>, QueryRejection>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, Error> {
    if !origin_allowed(&headers) {
        tracing::warn!(
            origin = ?headers.get(header::ORIGIN),
            host = ?headers.get(header::HOST),
            "WebSocket from another origin refused"
        );
        return Err(Error::Forbidden);
    }
    let Query(query) = query.map_err(|rejection| Error::BadRequest(rejection.body_text()))?;
    // Taken before the credential is checked (again, for a session: the check before this
    // handler may be older than the cursor): a change after it is caught at registration.
    let checked_at = state.hub.access_cursor();
    let (user, credential) = match &query.token {
        Some(token) => token_user(&state, token).await?,
        None => signed_in(&state, &headers).await?,
    };
    let ws = ws.map_err(|rejection| Error::BadRequest(rejection.body_text()))?;
    let hub = state.hub.clone();
    if hub.sockets_of(user.id) >= hub.settings().max_sockets_per_user {
        let body = serde_json::json!({
            "error": "too_many_requests",
            "message": "too many open sockets for this user",
        });
        return Ok((StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response());
    }
    let opening = socket::Opening {
        user,
        credential,
        checked_at,
        last_seq: query.last_seq,
    };
    Ok(ws
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| socket::run(socket, hub, opening)))
}

/// The user of a bearer token (`Authorization`) or else of the session cookie.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<(User, Credential), Error> {
    if let Some(header) = headers.get(header::AUTHORIZATION) {
        let token = crate::auth::bearer_token(header).ok_or(Error::Unauthorized)?;
        return token_user(state, token).await;
    }
    let auth = crate::session::resolve(state, headers)
        .await?
        .ok_or(Error::Unauthorized)?;
    Ok((
        auth.session.user.clone(),
        crate::auth::session_credential(&auth),
    ))
}

/// The active user behind a full-scope API token, and the token.
async fn token_user(state: &AppState, token: &str) -> Result<(User, Credential), Error> {
    let found = state
        .store
        .verify_token(token)
        .await?
        .ok_or(Error::Unauthorized)?;
    if found.scope != TokenScope::Full {
        return Err(Error::Forbidden);
    }
    state.token_use.note(&state.store, &state.tasks, &found);
    Ok((found.user, Credential::Token(found.token)))
}

/// True without an `Origin` (not a browser: scripts and integrations authenticate with a
/// token), or when the `Origin`'s host and port are the `Host` the request was sent to
/// (default ports spelled out or not).
fn origin_allowed(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let (Ok(origin), Some(Ok(host))) = (
        origin.to_str(),
        headers.get(header::HOST).map(|h| h.to_str()),
    ) else {
        return false;
    };
    // `Origin: null` (sandboxed frames, files) has no scheme and is refused here.
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return false,
    };
    let canonical = |a: &str| {
        let a = a.trim().trim_end_matches('/').to_ascii_lowercase();
        match a.strip_suffix(default_port) {
            Some(bare) => bare.to_owned(),
            None => a,
        }
    };
    !authority.is_empty() && canonical(authority) == canonical(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static(host));
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_static(origin));
        }
        headers
    }

    #[test]
    fn only_the_servers_own_origin_passes() {
        assert!(origin_allowed(&headers(None, "127.0.0.1:8080")));
        assert!(origin_allowed(&headers(
            Some("http://127.0.0.1:8080"),
            "127.0.0.1:8080"
        )));
        assert!(!origin_allowed(&headers(
            Some("http://evil.example"),
            "127.0.0.1:8080"
        )));
        assert!(!origin_allowed(&headers(Some("null"), "127.0.0.1:8080")));
        assert!(origin_allowed(&headers(
            Some("https://CTI.example.com"),
            "cti.example.com:443"
        )));
        assert!(!origin_allowed(&headers(
            Some("http://127.0.0.1:8081"),
            "127.0.0.1:8080"
        )));
        assert!(!origin_allowed(&headers(
            Some("http://127.0.0.1:8080.evil.example"),
            "127.0.0.1:8080"
        )));
    }
}
