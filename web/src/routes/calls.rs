//! `/api/calls`: calls in progress (the live view) and finished calls (the call log).

use axum::Json;
use axum::extract::{Query, State};
use crm_core::CallFilter;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};
use app::access::Viewer;
use crm_core::Role;

/// `/api/calls`, `/api/calls/active`.
pub fn router() -> Routes {
    Routes::new()
        .get("/api/calls", Access::Api(Role::Agent), list_calls)
        .get("/api/calls/active", Access::Api(Role::Agent), active_calls)
}

/// Calls in progress on the PBX, oldest first. Agents see only the calls they are on.
#[tracing::instrument(skip_all, fields(user = %user.username()))]
async fn active_calls(
    user: CurrentUser,
    State(state): State<AppState>,
) -> Result<Json<Vec<cti::live::LiveCall>>, Error> {
    let Some(live) = &state.live else {
        return Ok(Json(Vec::new()));
    };
    let mut calls = live
        .read()
        .map_err(|_| Error::Unavailable("the live call view"))?
        .snapshot();
    if let Some(extension) = user.agent_extension() {
        calls.retain(|call| {
            call.agent_extension.as_deref() == Some(extension)
                || call.ringing.iter().any(|e| e == extension)
        });
    }
    Ok(Json(calls))
}

/// Query of `GET /api/calls`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// Only calls of this contact.
    contact: Option<i64>,
    /// From this time (ms since the epoch, inclusive).
    from: Option<i64>,
    /// Until this time (ms since the epoch, exclusive).
    to: Option<i64>,
    /// At most this many (default 100, at most 1000).
    limit: Option<u32>,
}

/// Finished calls, newest first. Agents see only the calls they took part in, except in a
/// contact's history (`?contact=`), which follows the access policy.
#[tracing::instrument(skip_all, fields(user = %user.username()))]
async fn list_calls(
    user: CurrentUser,
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<crm_core::CallRow>>, Error> {
    let Query(query) = query.map_err(|rejection| Error::BadRequest(rejection.body_text()))?;
    let limit = query.limit.unwrap_or(100);
    if limit == 0 || limit > 1000 {
        return Err(Error::BadRequest("limit must be between 1 and 1000".into()));
    }
    let agent_extension = match query.contact {
        Some(_) => state
            .access
            .contact_history_limit(Viewer::of(user.user()))
            .map(|(extension, _)| extension),
        None => user.agent_extension().map(str::to_owned),
    };
    let filter = CallFilter {
        contact: query.contact.map(crm_core::ContactId),
        from_ms: query.from,
        to_ms: query.to,
        agent_extension,
        limit,
    };
    Ok(Json(state.store.list_calls(&filter).await?))
}
