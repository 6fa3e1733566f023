//! Cross-site request forgery protection, and finding the session of every request.
//!
//! One middleware ([`protect`]) in front of every route:
//! 1. It resolves the session cookie (once per request) and leaves the [`SessionAuth`] in
//!    the request's extensions, where [`CurrentUser`](crate::auth::CurrentUser) finds it.
//! 2. A state-changing request (any method but `GET`, `HEAD`, `OPTIONS`, `TRACE`) without
//!    an `Authorization` header must come from one of Tamas' own pages: its `Origin` (or,
//!    when a browser sends none, its `Referer`) must name this server's host. That covers
//!    the sign-in form too, which has no session yet.
//! 3. If such a request is signed in by the session cookie, it must also carry the
//!    session's CSRF token: in the `X-CSRF-Token` header (scripts) or in a `csrf` field of
//!    a urlencoded form. Requests with a bearer token are exempt: a browser never adds an
//!    `Authorization` header on another site's behalf.
//!
//! The `SameSite=Strict` cookie already keeps other sites' requests unauthenticated in
//! current browsers; the token and the origin check are the defence in depth the
//! architecture asks for. Refusals are `403` with a JSON message.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST, ORIGIN, REFERER};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::session::{self, SessionAuth};
use crate::{AppState, Error};

/// The header scripts send the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The largest form body read to find its `csrf` field.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// Paths that never need the session (static files, health checks): not looked up.
fn is_public_asset(path: &str) -> bool {
    path.starts_with("/static/") || path == "/healthz" || path == "/readyz"
}

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The middleware (use with `axum::middleware::from_fn_with_state`).
pub async fn protect(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match check(&state, request).await {
        Ok(request) => next.run(request).await,
        Err(err) => err.into_response(),
    }
}

async fn check(state: &AppState, mut request: Request) -> Result<Request, Error> {
    if is_public_asset(request.uri().path()) {
        return Ok(request);
    }
    let bearer = request.headers().contains_key(AUTHORIZATION);
    let auth = if bearer {
        None
    } else {
        session::resolve(state, request.headers()).await?
    };
    if !is_safe(request.method()) && !bearer {
        if !same_origin(request.headers()) {
            tracing::warn!(path = %request.uri().path(), "cross-origin request refused");
            return Err(Error::Forbidden);
        }
        // The sign-in form replaces whatever session the browser had.
        if let Some(auth) = &auth
            && request.uri().path() != "/login"
        {
            let (checked, token) = csrf_token(request).await?;
            request = checked;
            if !token.is_some_and(|token| constant_time_eq(&token, &auth.session.csrf_token)) {
                tracing::warn!(path = %request.uri().path(), "missing or wrong CSRF token");
                return Err(Error::Forbidden);
            }
        }
    }
    if let Some(auth) = auth {
        request.extensions_mut().insert::<SessionAuth>(auth);
    }
    Ok(request)
}

/// Whether a request's `Origin` (else `Referer`) names the host it was sent to. Also what
/// the WebSocket upgrade checks: a page of another site must not open a socket with the
/// user's cookie.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let source = headers
        .get(ORIGIN)
        .or_else(|| headers.get(REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(source) = source else {
        return false;
    };
    let Some((_, rest)) = source.split_once("://") else {
        return false; // includes `Origin: null`
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    !authority.is_empty() && authority.eq_ignore_ascii_case(host.trim())
}

#[derive(Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

/// The CSRF token a request carries (header first, then a urlencoded form field), and the
/// request with its body put back.
async fn csrf_token(request: Request) -> Result<(Request, Option<String>), Error> {
    if let Some(token) = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        let token = token.to_owned();
        return Ok((request, Some(token)));
    }
    let is_form = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((request, None));
    }
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| Error::BadRequest("the form is too large".into()))?;
    let token = serde_urlencoded::from_bytes::<CsrfField>(&bytes)
        .ok()
        .and_then(|field| field.csrf);
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}

/// Compares two tokens in time independent of where they differ.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn origin_must_name_this_host() {
        assert!(same_origin(&headers(&[
            ("host", "tamas.example:8080"),
            ("origin", "http://tamas.example:8080"),
        ])));
        // TLS ended at a proxy: the scheme differs, the host does not.
        assert!(same_origin(&headers(&[
            ("host", "tamas.example"),
            ("origin", "https://tamas.example"),
        ])));
        assert!(same_origin(&headers(&[
            ("host", "tamas.example"),
            ("referer", "https://tamas.example/contacts/3?x=1"),
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "tamas.example"),
            ("origin", "https://evil.example"),
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "tamas.example"),
            ("origin", "https://tamas.example.evil.example"),
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "tamas.example"),
            ("origin", "null")
        ])));
        assert!(!same_origin(&headers(&[("host", "tamas.example")])));
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
