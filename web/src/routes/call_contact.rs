//! `POST /api/calls/contact`: somebody picks which contact a call was with, when its number
//! belongs to several (the popup's cards and the wrap-up form use it; the call log never
//! links such a call by itself).
//!
//! The call is named by its Linkedid (what the popup and the socket carry); an agent finds
//! only the calls they took part in (rung, answered, talked on or handled), a supervisor
//! or admin any. The contact must have the call's number. A call already in the log is
//! linked at once; a call still in progress has the pick remembered in the database
//! (`call_contact_picks`), and the call log links it when it writes the call, so a pick
//! survives a restart. The pick is audited (`call.contact`); an answered call's pick
//! closes the picked contact's open callback at once (through [`AppState::contact_picks`]).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use crm_core::{AuditEntry, CallRow, ContactId, UserId};
use cti::live::LiveCall;
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

/// Links the call to the contact picked: `200` with the call as the log now has it, or
/// `202 {"call", "contact", "pending": true}` for a call in progress (linked when it is
/// written). `404` when the call is neither in the log nor in progress, or not the
/// agent's; `400` when the contact does not have the call's number.
#[tracing::instrument(skip_all, fields(user = %user.username()))]
async fn pick(
    user: CurrentUser,
    State(state): State<AppState>,
    body: Result<Json<PickRequest>, JsonRejection>,
) -> Result<Response, Error> {
    let Json(request) = body.map_err(|rejection| Error::BadRequest(rejection.body_text()))?;
    if request.call.is_empty() || request.call.len() > 128 {
        return Err(Error::BadRequest("call must be a Linkedid".into()));
    }
    let contact = ContactId(request.contact);
    let logged = state
        .store
        .call_by_linkedid(state.dialer.pbx(), &request.call)
        .await?;
    if let Some(call) = logged {
        if !may_pick(&user, |extension| call.involves(extension)) {
            return Err(Error::NotFound);
        }
        let linked = link(&state, user.user().id, &call, contact).await?;
        return Ok(Json(linked).into_response());
    }
    let live = live_call(&state, &request.call).ok_or(Error::NotFound)?;
    if !may_pick(&user, |extension| {
        live.agent_extension.as_deref() == Some(extension)
            || live.ringing.iter().any(|e| e == extension)
    }) {
        return Err(Error::NotFound);
    }
    pick_live(&state, user.user().id, &live, contact).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "call": live.linkedid, "contact": contact.0, "pending": true })),
    )
        .into_response())
}

/// Whether `user` may pick for a call that `involves` tells about: supervisors and admins
/// any, an agent one they are on.
fn may_pick(user: &CurrentUser, involves: impl Fn(&str) -> bool) -> bool {
    user.agent_extension()
        .is_none_or(|extension| !extension.is_empty() && involves(extension))
}

/// The call in progress with `linkedid`, if the PBX is connected and has it.
fn live_call(state: &AppState, linkedid: &str) -> Option<LiveCall> {
    let live = state.live.as_ref()?.read().ok()?;
    live.snapshot().into_iter().find(|c| c.linkedid == linkedid)
}

/// Remembers the pick of `contact` for the call in progress `live` (`400` unless the
/// contact has its number); audited.
async fn pick_live(
    state: &AppState,
    user: UserId,
    live: &LiveCall,
    contact: ContactId,
) -> Result<(), Error> {
    let raw = live.customer_number_raw.as_deref().unwrap_or("");
    let number = state.store.normalizer().normalize(raw);
    let key = number
        .e164
        .as_ref()
        .map_or(number.lookup_key.as_str(), |e| e.as_str());
    let has_number = !crm_core::is_withheld(raw)
        && !key.is_empty()
        && state
            .store
            .get_contact(contact)
            .await?
            .phones
            .iter()
            .any(|phone| phone.lookup_key == key);
    if !has_number {
        return Err(Error::BadRequest(
            "the contact does not have the call's number".into(),
        ));
    }
    let linked = state
        .store
        .remember_contact_pick(state.dialer.pbx(), &live.linkedid, contact)
        .await?;
    let subject = format!("linkedid:{}", live.linkedid);
    audit(state, user, &subject, contact, None).await?;
    tracing::info!(linkedid = %live.linkedid, contact = %contact, "contact picked during the call");
    if let Some(call) = linked {
        // It ended and was written meanwhile: it is linked now.
        notify(state, &call);
    }
    Ok(())
}

/// Links the logged `call` to `contact` (`400` unless the contact has its number),
/// audits it and, for an answered call, has the contact's open callback closed.
pub(crate) async fn link(
    state: &AppState,
    user: UserId,
    call: &CallRow,
    contact: ContactId,
) -> Result<CallRow, Error> {
    let linked = state.store.link_call_contact(call.id, contact).await?;
    // Nobody listening is fine.
    let _ = state.calls_edited.send(linked.id);
    audit(
        state,
        user,
        &format!("call:{}", linked.id),
        contact,
        Some(call.contact.map(|c| c.0)),
    )
    .await?;
    tracing::info!(call = %linked.id, contact = %contact, "contact picked for the call");
    notify(state, &linked);
    Ok(linked)
}

/// The audit entry of a pick: `subject` is `call:ID`, or the Linkedid of a call in
/// progress (`linkedid:…`); `before` the contact it was linked to (for a logged call).
async fn audit(
    state: &AppState,
    user: UserId,
    subject: &str,
    contact: ContactId,
    before: Option<Option<i64>>,
) -> Result<(), Error> {
    let detail = match before {
        Some(before) => json!({ "contact": contact.0, "before": before }),
        None => json!({ "contact": contact.0, "in_progress": true }),
    };
    state
        .store
        .record_audit(&AuditEntry {
            at_ms: app::clock::now_ms(),
            actor: Some(user),
            action: "call.contact".into(),
            subject: subject.to_owned(),
            detail,
        })
        .await?;
    Ok(())
}

/// Tells whoever listens (the alert engine) that an answered call was linked to its
/// contact, so that the contact's callback closes now.
fn notify(state: &AppState, call: &CallRow) {
    if call.disposition == crm_core::Disposition::Answered {
        state.contact_picks.picked(call.id);
    }
}
