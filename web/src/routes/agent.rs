//! `POST /api/agent/pause`: the signed-in agent pauses or unpauses themself in every queue
//! (AMI `QueuePause` for each of their member interfaces). The PBX confirms with
//! `QueueMemberPause` events, which come back to the agent's sockets as `agent.state`.
//! `POST /api/agents/{extension}/pause`: a supervisor does the same for an agent (from the
//! wallboard); it is audited.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use crm_core::{AuditEntry, Role};
use cti::ami::client::{ClientError, QueuePause};
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};

/// `POST /api/agent/pause`.
pub fn router() -> Routes {
    Routes::new()
        .post("/api/agent/pause", Access::Api(Role::Agent), pause)
        .post(
            "/api/agents/{extension}/pause",
            Access::Api(Role::Supervisor),
            pause_agent,
        )
}

/// Body of `POST /api/agent/pause`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PauseRequest {
    paused: bool,
    reason: Option<String>,
}

/// Answer of `POST /api/agent/pause`.
#[derive(Debug, Serialize)]
struct PauseAnswer {
    extension: String,
    paused: bool,
    /// The member interfaces the PBX changed.
    interfaces: Vec<String>,
}

#[tracing::instrument(skip_all, fields(user = %user.username()))]
async fn pause(
    user: CurrentUser,
    State(state): State<AppState>,
    body: Result<Json<PauseRequest>, JsonRejection>,
) -> Result<Json<PauseAnswer>, Error> {
    let Some(extension) = user
        .user()
        .extension
        .as_ref()
        .map(|e| e.as_str().to_owned())
    else {
        return Err(Error::Conflict("you have no extension".into()));
    };
    let Json(request) = body.map_err(|rejection| Error::BadRequest(rejection.body_text()))?;
    pause_extension(&state, extension, request).await.map(Json)
}

/// A supervisor pauses or unpauses an agent.
#[tracing::instrument(skip_all, fields(user = %user.username(), %extension))]
async fn pause_agent(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(extension): Path<String>,
    body: Result<Json<PauseRequest>, JsonRejection>,
) -> Result<Json<PauseAnswer>, Error> {
    user.require(Role::Supervisor)?;
    if extension.is_empty()
        || extension.len() > 20
        || !extension.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(Error::BadRequest("the extension must be digits".into()));
    }
    let Json(request) = body.map_err(|rejection| Error::BadRequest(rejection.body_text()))?;
    let paused = request.paused;
    let answer = pause_extension(&state, extension.clone(), request).await?;
    state
        .store
        .record_audit(&AuditEntry {
            at_ms: app::clock::now_ms(),
            actor: Some(user.user().id),
            action: if paused {
                "agent.pause"
            } else {
                "agent.unpause"
            }
            .into(),
            subject: format!("extension:{extension}"),
            detail: serde_json::json!({ "interfaces": answer.interfaces }),
        })
        .await?;
    Ok(Json(answer))
}

/// Sends `QueuePause` for each of `extension`'s member interfaces.
async fn pause_extension(
    state: &AppState,
    extension: String,
    request: PauseRequest,
) -> Result<PauseAnswer, Error> {
    let reason = request
        .reason
        .map(|r| {
            r.chars()
                .filter(|c| !c.is_control())
                .take(80)
                .collect::<String>()
        })
        .filter(|r| !r.trim().is_empty());
    let Some(pbx) = state.pbx.clone() else {
        return Err(Error::Unavailable("the PBX"));
    };
    let mut interfaces = member_interfaces(state, &extension);
    if interfaces.is_empty() {
        interfaces.push(format!("PJSIP/{extension}"));
    }
    let mut changed = Vec::new();
    let mut unreachable = false;
    for interface in interfaces {
        let action = QueuePause {
            interface: interface.clone(),
            queue: None,
            paused: request.paused,
            reason: reason.clone(),
        };
        match pbx.queue_member_pause(action).await {
            Ok(_) => changed.push(interface),
            Err(ClientError::Rejected { message, .. }) => {
                tracing::info!(%interface, %message, "QueuePause refused");
            }
            Err(err) => {
                tracing::warn!(%interface, error = %err, "QueuePause failed");
                unreachable = true;
            }
        }
    }
    if changed.is_empty() {
        return Err(if unreachable {
            Error::Unavailable("the PBX")
        } else {
            Error::Conflict(format!(
                "extension {extension} is not a member of any queue"
            ))
        });
    }
    Ok(PauseAnswer {
        extension,
        paused: request.paused,
        interfaces: changed,
    })
}

/// The agent's member interfaces in the PBX's queues, from the live queue board.
fn member_interfaces(state: &AppState, extension: &str) -> Vec<String> {
    let Some(queues) = &state.queues else {
        return Vec::new();
    };
    let Ok(board) = queues.read() else {
        return Vec::new();
    };
    let mut interfaces: Vec<String> = board
        .snapshot()
        .into_iter()
        .flat_map(|q| q.members)
        .map(|m| m.interface)
        .filter(|i| cti::live::queues::member_extension(i) == Some(extension))
        .collect();
    interfaces.sort();
    interfaces.dedup();
    interfaces
}
