//! One error type for every handler, answered as JSON with the right status code.
//!
//! The cause chain is logged on the server; the client gets a short, clear message and
//! never an internal detail such as a SQL error.

use app::DisplayChain;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use crm_core::StoreError;
use crm_core::metrics::report::ReportError;
use serde::Serialize;

/// An error a handler returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed or invalid; the message says why.
    #[error("{0}")]
    BadRequest(String),
    /// Not signed in, or the credentials are wrong.
    #[error("sign-in required")]
    Unauthorized,
    /// Signed in, but not allowed to do this.
    #[error("not allowed")]
    Forbidden,
    /// The thing asked for does not exist (or may not be seen).
    #[error("not found")]
    NotFound,
    /// The request was understood but its content cannot be used (e.g. a recording that
    /// is not a readable WAV); the message says why.
    #[error("{0}")]
    Unprocessable(String),
    /// The request conflicts with what exists.
    #[error("{0}")]
    Conflict(String),
    /// The request (or a part of it) is larger than allowed; the message says the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A dependency (the database, the PBX) is not reachable right now.
    #[error("{0} is unavailable")]
    Unavailable(&'static str),
    /// Anything else: logged, answered as a generic 500.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    message: String,
}

impl Error {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Error::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Error::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Error::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            Error::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Error::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable"),
            Error::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Error::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            tracing::error!(error = %DisplayChain(&self), "request failed");
        }
        let body = Body {
            error: code,
            message: self.to_string(),
        };
        (status, Json(body)).into_response()
    }
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Error::NotFound,
            StoreError::Conflict(msg) => Error::Conflict(msg),
            StoreError::Invalid(msg) => Error::BadRequest(msg),
            StoreError::Unavailable(_) => Error::Unavailable("the database"),
            other => Error::Internal(Box::new(other)),
        }
    }
}

impl From<ReportError> for Error {
    fn from(err: ReportError) -> Self {
        match err {
            ReportError::Store(err) => err.into(),
            // A shorter period is needed.
            too_many @ ReportError::TooManyCalls => Error::BadRequest(too_many.to_string()),
        }
    }
}
