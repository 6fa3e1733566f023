//! `POST /api/calls/contact`: somebody picks which contact a call was with, when its number
//! belongs to several (the popup's cards and the wrap-up form use it; the call log never
//! links such a call by itself).
//!
//! The call is named by its Linkedid (what the popup and the socket carry); an agent finds
//! only the calls they took part in (rung, answered, talked on or handled), a supervisor
//! or admin any. The contact must have the
//! call's number. The pick is audited (`call.contact`).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use crm_core::{AuditEntry, CallRow, ContactId};
use serde::Deserialize;
use serde_json::json;

use crate::auth::CurrentUser;
use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};
use crm_core::Role;

/// `/api/calls/contact`.
pub fn router() -> Routes {
    Routes::new().post("/api/calls/contact", Access::Api(Role::Agent), pick)
}

/// Body of `POST /api/calls/contact`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PickRequest {
    /// The call's Linkedid.
    call: String,
    /// The contact picked.
    contact: i64,
}

/// Links the call to the contact picked; answers the call as the log now has it. `404`
/// when the call is not (yet) in the log or not the agent's, `400` when the contact does
/// not have the call's number.
#[tracing::instrument(skip_all, fields(user = %user.username()))]
async fn pick(
    user: CurrentUser,
    State(state): State<AppState>,
    body: Result<Json<PickRequest>, JsonRejection>,
) -> Result<Json<CallRow>, Error> {
    let Json(request) = body.map_err(|rejection| Error::BadRequest(rejection.body_text()))?;
    let call = find_call(&state, &user, &request.call).await?;
    let contact = ContactId(request.contact);
    let linked = state.store.link_call_contact(call.id, contact).await?;
    state
        .store
        .record_audit(&AuditEntry {
            at_ms: crate::clock::now_ms(),
            actor: Some(user.user().id),
            action: "call.contact".into(),
            subject: format!("call:{}", linked.id),
            detail: json!({ "contact": contact.0, "before": call.contact.map(|c| c.0) }),
        })
        .await?;
    tracing::info!(call = %linked.id, contact = %contact, "contact picked for the call");
    Ok(Json(linked))
}

/// The finished call with `linkedid` that `user` may pick a contact for: any for a
/// supervisor or admin, one they took part in for an agent (else `404`, as for a call not
/// in the log).
async fn find_call(state: &AppState, user: &CurrentUser, linkedid: &str) -> Result<CallRow, Error> {
    if linkedid.is_empty() || linkedid.len() > 128 {
        return Err(Error::BadRequest("call must be a Linkedid".into()));
    }
    let call = state
        .store
        .call_by_linkedid(state.dialer.pbx(), linkedid)
        .await?
        .ok_or(Error::NotFound)?;
    match user.agent_extension() {
        Some(extension) if extension.is_empty() || !call.involves(extension) => {
            Err(Error::NotFound)
        }
        _ => Ok(call),
    }
}
