//! Security headers on every response.
//!
//! Caller-ID names and numbers come from the outside world; besides escaping them
//! everywhere, every page forbids inline script and foreign origins, so an injected
//! `<script>` could not run even if escaping were ever missed.

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// The Content-Security-Policy of every page: same-origin only, no inline script.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; \
object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Adds the security headers a handler has not set itself (use with
/// `axum::middleware::map_response`).
pub async fn add_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    response
}
