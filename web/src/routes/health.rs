//! `/healthz` (the process answers) and `/readyz` (its dependencies answer too).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};

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

/// Readiness: the database answers a query. 503 with a JSON error otherwise.
#[tracing::instrument(skip_all)]
async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, Error> {
    state.store.ping().await.map_err(|err| {
        tracing::warn!(error = %crate::error::DisplayChain(&err), "readiness check failed");
        Error::Unavailable("the database")
    })?;
    Ok(Json(json!({ "status": "ready", "database": "ok" })))
}
