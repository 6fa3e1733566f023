//! `/api/queues`: the live queues for supervisors (waiting callers, members' states), and
//! `/api/queues/today`: today's figures per queue from the call log.

use axum::Json;
use axum::extract::State;
use std::collections::BTreeMap;

use crm_core::metrics::{Bucket, Summary, group};
use crm_core::{CallFilter, Role};
use cti::live::queues::QueueView;

use crate::auth::CurrentUser;
use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};

/// `/api/queues`, `/api/queues/today`.
pub fn router() -> Routes {
    Routes::new()
        .get("/api/queues", Access::Api(Role::Supervisor), queues)
        .get("/api/queues/today", Access::Api(Role::Supervisor), today)
}

/// Every queue with its waiting callers and members. Supervisors and admins only.
#[tracing::instrument(skip_all, fields(user = %user.username()))]
async fn queues(
    user: CurrentUser,
    State(state): State<AppState>,
) -> Result<Json<Vec<QueueView>>, Error> {
    user.require(Role::Supervisor)?;
    let Some(board) = &state.queues else {
        return Ok(Json(Vec::new()));
    };
    let snapshot = board
        .read()
        .map_err(|_| Error::Unavailable("the live queue view"))?
        .snapshot();
    Ok(Json(snapshot))
}

/// Today's figures per queue (offered, answered, abandoned, service level, ASA…), since
/// local midnight: no reset problem for 24-hour centres, the day is the local calendar
/// day. Supervisors and admins only.
#[tracing::instrument(skip_all, fields(user = %user.username()))]
async fn today(
    user: CurrentUser,
    State(state): State<AppState>,
) -> Result<Json<BTreeMap<String, Summary>>, Error> {
    user.require(Role::Supervisor)?;
    let midnight = state.metrics.local_midnight(app::clock::now_ms());
    let calls = state
        .store
        .list_calls(&CallFilter {
            from_ms: Some(midnight),
            limit: 1_000_000,
            ..CallFilter::default()
        })
        .await?;
    Ok(Json(group(&calls, Bucket::Queue, &state.metrics)))
}
