//! Session cookies: how a signed-in browser is recognised.
//!
//! The cookie `tamas_session` holds the session id the store handed out at sign-in (the
//! store keeps only its hash). It is `HttpOnly` (page scripts cannot read it),
//! `SameSite=Strict` (other sites' pages never send it), `Path=/`, and `Secure` when the
//! page was served over HTTPS. Tamas itself speaks plain HTTP and expects TLS to end at a
//! reverse proxy: a request is HTTPS when the proxy says so with `X-Forwarded-Proto: https`,
//! or always when [`SessionSettings::secure_cookies`] is set. (A client forging that header
//! only makes its own cookie `Secure`.)
//!
//! [`resolve`] finds the session of a request once; the [`csrf`](crate::csrf) middleware
//! calls it and leaves the result in the request's extensions for
//! [`CurrentUser`](crate::auth::CurrentUser).

use std::time::Duration;

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use crm_core::Session;

use crate::{AppState, Error};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "tamas_session";

/// How sessions behave (the `[session]` section of the configuration).
#[derive(Clone, Debug)]
pub struct SessionSettings {
    /// How long a sign-in lasts (default 12 hours: a long shift).
    pub ttl: Duration,
    /// Mark cookies `Secure` on every response, not only when a proxy reports HTTPS.
    pub secure_cookies: bool,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(12 * 3600),
            secure_cookies: false,
        }
    }
}

impl SessionSettings {
    /// Whether cookies set in answer to a request with these headers get `Secure`.
    pub fn secure_for(&self, headers: &HeaderMap) -> bool {
        self.secure_cookies
            || headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
    }
}

/// The signed-in session of a request, put in its extensions by the
/// [`csrf`](crate::csrf) middleware.
#[derive(Clone, Debug)]
pub struct SessionAuth {
    /// The session (user and CSRF token).
    pub session: Session,
    /// The cookie's value, to end the session at sign-out.
    pub token: String,
}

/// The session cookie's value in a request, if any.
pub fn cookie_value(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE && !value.is_empty()).then_some(value)
        })
}

/// A `Set-Cookie` header value giving the browser `token` for `max_age`.
pub fn set_cookie(token: &str, max_age: Duration, secure: bool) -> Result<HeaderValue, Error> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        max_age.as_secs()
    ))
    .map_err(|err| Error::Internal(Box::new(err)))
}

/// A `Set-Cookie` header value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    if secure {
        HeaderValue::from_static(
            "tamas_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure",
        )
    } else {
        HeaderValue::from_static("tamas_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
    }
}

/// Adds a `Set-Cookie` header to `headers`.
pub fn append_set_cookie(headers: &mut HeaderMap, value: HeaderValue) {
    headers.append(SET_COOKIE, value);
}

/// The valid session behind a request's cookie, if any.
pub async fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Option<SessionAuth>, Error> {
    let Some(token) = cookie_value(headers) else {
        return Ok(None);
    };
    let session = state.store.get_session(token, app::clock::now_ms()).await?;
    Ok(session.map(|session| SessionAuth {
        session,
        token: token.to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("a=1; tamas_session=abc; b=2"),
        );
        assert_eq!(cookie_value(&headers), Some("abc"));
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("tamas_session_x=1; tamas_session="),
        );
        assert_eq!(cookie_value(&headers), None);
    }

    #[test]
    fn cookies_are_strict_http_only_and_secure_behind_tls() {
        let settings = SessionSettings::default();
        let cookie = set_cookie("abc", settings.ttl, false).unwrap();
        let cookie = cookie.to_str().unwrap();
        assert!(cookie.starts_with("tamas_session=abc; Path=/; HttpOnly; SameSite=Strict"));
        assert!(!cookie.contains("Secure"));
        let mut headers = HeaderMap::new();
        assert!(!settings.secure_for(&headers));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(settings.secure_for(&headers));
        assert!(
            set_cookie("abc", settings.ttl, true)
                .unwrap()
                .to_str()
                .unwrap()
                .ends_with("; Secure")
        );
        assert!(clear_cookie(true).to_str().unwrap().contains("Max-Age=0"));
    }
}
