//! `POST /api/calls`: click-to-call. The signed-in user's own phone rings first (an
//! `Originate` from their extension, never another's), then the customer is dialled; the
//! request's id rides on the call as `__TAMAS_CLICK_ID` so the tracker ties the call to it.
//!
//! The answer is `202 Accepted` with the click id. What happens next reaches the user over
//! `/ws`: `call.ringing` for the outbound call, or `call.failed` with the reason. Requests
//! are rate-limited per user ([`DialerSettings::per_minute`](app::dialer::DialerSettings::per_minute)) and written to the audit log:
//! `call.originate` when accepted, `call.originate.rejected` (with the status and why)
//! when not.

use std::time::Duration;

use app::clock::now_ms;
use app::dialer::{FailedAttempt, new_click_id, place};
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use crm_core::{AuditEntry, ContactId, NormalizedNumber, PhoneId, Role};
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};

/// `POST /api/calls`.
pub fn router() -> Routes {
    Routes::new().post("/api/calls", Access::Api(Role::Agent), click_to_call)
}

/// Body of `POST /api/calls`: a contact's number (`contact_id` and `phone_id`), or any
/// `number` (with `contact_id` when calling that contact).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallRequest {
    contact_id: Option<ContactId>,
    phone_id: Option<PhoneId>,
    number: Option<String>,
}

/// Answer of `POST /api/calls`.
#[derive(Debug, Serialize)]
struct Accepted {
    /// The request's id: `click_id` on the socket's messages and on the call.
    click_id: String,
    /// The extension whose phone rings first.
    extension: String,
    /// The number called, E.164 when valid.
    number: String,
    /// What the PBX dials.
    dial: String,
    /// The contact called, when known.
    contact_id: Option<ContactId>,
}

/// Whom the request calls.
struct Target {
    number: NormalizedNumber,
    contact: Option<ContactId>,
    label: String,
}

/// The longest part of a rejected request's number kept in the audit log.
const AUDITED_NUMBER_CHARS: usize = 64;

#[tracing::instrument(skip_all, fields(user = %user.username()))]
async fn click_to_call(
    user: CurrentUser,
    State(state): State<AppState>,
    body: Result<Json<CallRequest>, JsonRejection>,
) -> Response {
    let actor = user.user().id;
    let asked = match &body {
        Ok(Json(request)) => serde_json::json!({
            "contact_id": request.contact_id,
            "phone_id": request.phone_id,
            "number": request
                .number
                .as_ref()
                .map(|n| n.chars().take(AUDITED_NUMBER_CHARS).collect::<String>()),
        }),
        Err(_) => serde_json::Value::Null,
    };
    let (response, why) = match originate_request(user, &state, body).await {
        Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS => {
            (response, Some("too many calls".to_owned()))
        }
        Ok(response) => (response, None),
        Err(err) => {
            let why = err.to_string();
            (err.into_response(), Some(why))
        }
    };
    if let Some(why) = why {
        let entry = AuditEntry {
            at_ms: now_ms(),
            actor: Some(actor),
            action: "call.originate.rejected".into(),
            subject: format!("user:{actor}"),
            detail: serde_json::json!({
                "status": response.status().as_u16(),
                "error": why,
                "request": asked,
            }),
        };
        if let Err(err) = state.store.record_audit(&entry).await {
            tracing::error!(error = %err, "a rejected click-to-call could not be audited");
        }
    }
    response
}

/// Checks and places one click-to-call request; `Err` (or a `429`) when it is refused.
async fn originate_request(
    user: CurrentUser,
    state: &AppState,
    body: Result<Json<CallRequest>, JsonRejection>,
) -> Result<Response, Error> {
    let user = user.user().clone();
    let Some(extension) = user.extension.as_ref().map(|e| e.as_str().to_owned()) else {
        return Err(Error::Conflict("you have no extension to call from".into()));
    };
    let Json(request) = body.map_err(|rejection| Error::BadRequest(rejection.body_text()))?;
    let target = resolve(state, &request).await?;
    let dial = state
        .dialer
        .settings()
        .dial_string(&target.number)
        .ok_or_else(|| Error::BadRequest("not a number that can be dialled".into()))?;
    let Some(pbx) = state.pbx.clone() else {
        return Err(Error::Unavailable("the PBX"));
    };
    if let Err(wait) = state.dialer.take(user.id) {
        return Ok(too_many(wait));
    }
    let click_id = new_click_id();
    let number = target
        .number
        .e164
        .as_ref()
        .map_or_else(|| target.number.raw.clone(), |e| e.as_str().to_owned());
    state
        .store
        .record_audit(&AuditEntry {
            at_ms: now_ms(),
            actor: Some(user.id),
            action: "call.originate".into(),
            subject: target
                .contact
                .map_or_else(|| format!("number:{number}"), |c| format!("contact:{c}")),
            detail: serde_json::json!({
                "click_id": click_id,
                "extension": extension,
                "number": number,
                "dial": dial,
            }),
        })
        .await?;
    let originate = state
        .dialer
        .settings()
        .originate(&extension, &dial, &click_id, &target.label);
    tracing::info!(%click_id, %extension, "click-to-call");
    let failed = FailedAttempt {
        pbx: state.dialer.pbx().to_owned(),
        click_id: click_id.clone(),
        extension: extension.clone(),
        number_raw: target.number.raw.clone(),
        number_e164: target.number.e164.as_ref().map(|e| e.as_str().to_owned()),
        started_at_ms: now_ms(),
    };
    // Ends with the outcome, or when the AMI client stops (the Originate then fails).
    state.tasks.spawn(place(
        pbx,
        state.hub.clone(),
        state.store.clone(),
        user.id,
        originate,
        failed,
        number.clone(),
    ));
    let accepted = Accepted {
        click_id,
        extension,
        number,
        dial,
        contact_id: target.contact,
    };
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}

/// The number (and contact) a request names.
async fn resolve(state: &AppState, request: &CallRequest) -> Result<Target, Error> {
    match (&request.phone_id, &request.number) {
        (Some(phone), None) => {
            let contact_id = request.contact_id.ok_or_else(|| {
                Error::BadRequest("phone_id needs the contact_id it belongs to".into())
            })?;
            let contact = state.store.get_contact(contact_id).await?;
            let phone = contact
                .phones
                .iter()
                .find(|p| p.id == *phone)
                .ok_or(Error::NotFound)?;
            Ok(Target {
                number: state.store.normalizer().normalize(&phone.raw),
                contact: Some(contact.id),
                label: contact.name.clone(),
            })
        }
        (None, Some(number)) => {
            let normalized = state.store.normalizer().normalize(number);
            let contact = match request.contact_id {
                Some(id) => Some(state.store.get_contact(id).await?),
                None => None,
            };
            Ok(Target {
                label: contact
                    .as_ref()
                    .map_or_else(|| normalized.raw.clone(), |c| c.name.clone()),
                contact: contact.map(|c| c.id),
                number: normalized,
            })
        }
        _ => Err(Error::BadRequest(
            "give either phone_id (with contact_id) or number".into(),
        )),
    }
}

fn too_many(wait: Duration) -> Response {
    let seconds = wait.as_secs() + 1;
    let body = serde_json::json!({
        "error": "too_many_requests",
        "message": format!("too many calls: try again in {seconds} s"),
    });
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(axum::http::header::RETRY_AFTER, seconds.to_string())],
        Json(body),
    )
        .into_response()
}
