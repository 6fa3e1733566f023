//! `/api/queues`: the live queues for supervisors (waiting callers, members' states).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use crm_core::Role;
use cti::live::queues::QueueView;

use crate::auth::CurrentUser;
use crate::{AppState, Error};

/// `/api/queues`.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/queues", get(queues))
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
