//! `/healthz` (the process answers) and `/readyz` (its dependencies answer too, within
//! [`READY_TIMEOUT`]: a database that does not answer makes `/readyz` a 503 at once, not
//! a request that hangs).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};

/// The longest `/readyz` waits for the database.
pub const READY_TIMEOUT: Duration = Duration::from_millis(500);

/// `/healthz` and `/readyz`.
pub fn router() -> Routes {
    Routes::new()
        .get("/healthz", Access::Public, healthz)
        .get("/readyz", Access::Public, readyz)
}

/// Liveness: answers as long as the process serves HTTP.
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers a query within [`READY_TIMEOUT`]. 503 with a JSON
/// error otherwise.
#[tracing::instrument(skip_all)]
async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, Error> {
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => {
            tracing::warn!(error = %app::DisplayChain(&err), "readiness check failed");
            return Err(Error::Unavailable("the database"));
        }
        Err(_) => {
            tracing::warn!(
                "readiness check failed: the database did not answer within {READY_TIMEOUT:?}"
            );
            return Err(Error::Unavailable("the database"));
        }
    }
    Ok(Json(json!({ "status": "ready", "database": "ok" })))
}
