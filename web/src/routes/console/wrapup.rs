//! Saving the wrap-up form (`POST /console/wrapup`): each agent's own wrap-up of their
//! part of a call (a transferred call gets one per agent; the call's own is its last
//! talker's), the note onto the call's contact, an optional follow-up task, and — for a
//! call from a number several contacts share — the contact the agent picks.

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use crm_core::{AuditEntry, ContactId, NewTask, TaskKind, WrapUp};
use serde::Deserialize;
use serde_json::json;

use super::{MAX_WRAPUP_MS, OUTCOMES, WrapupView, console_page, my_calls};
use crate::auth::PageUser;
use crate::pages::Page;
use crate::{AppState, Error};

/// The wrap-up form as posted.
#[derive(Debug, Deserialize)]
pub(super) struct WrapupForm {
    call: String,
    outcome: String,
    resolved: Option<String>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    task_title: String,
    #[serde(default)]
    task_due: String,
    /// The contact picked for a shared number's call (empty: not picked).
    #[serde(default)]
    contact: String,
}

/// `POST /console/wrapup`: saves, then back to the console; the form again with a message
/// when something is wrong.
#[tracing::instrument(skip_all, fields(user = %user.user.username, call = %form.call))]
pub(super) async fn save_wrapup(
    user: PageUser,
    State(state): State<AppState>,
    Form(form): Form<WrapupForm>,
) -> Response {
    let page = Page::for_user(&user, &state, "/console");
    let mut view = WrapupView {
        call: form.call.clone(),
        outcome: form.outcome.clone(),
        resolved: form.resolved.as_deref() != Some("no"),
        note: form.note.clone(),
        task_title: form.task_title.clone(),
        task_due: form.task_due.clone(),
        ..WrapupView::default()
    };
    match store_wrapup(&state, &user, &page, &form).await {
        Ok(()) => Redirect::to("/console?saved=1").into_response(),
        Err(Error::BadRequest(message)) => {
            view.error = Some(message);
            match console_page(&state, &user, page.clone(), view, false).await {
                Ok(response) => {
                    (axum::http::StatusCode::UNPROCESSABLE_ENTITY, response).into_response()
                }
                Err(err) => page.error_response(err),
            }
        }
        Err(err) => page.error_response(err),
    }
}

/// Validates and saves a wrap-up; a `BadRequest` carries a message for the form.
async fn store_wrapup(
    state: &AppState,
    user: &PageUser,
    page: &Page,
    form: &WrapupForm,
) -> Result<(), Error> {
    if !OUTCOMES.contains(&form.outcome.as_str()) {
        return Err(Error::BadRequest(page.t("wrapup-outcome-missing")));
    }
    let Some(extension) = user.user.extension.as_ref().map(|e| e.as_str().to_owned()) else {
        return Err(Error::BadRequest(page.t("wrapup-not-found")));
    };
    let now = app::clock::now_ms();
    let mut call = my_calls(state, user, now - 86_400_000)
        .await?
        .into_iter()
        .find(|call| call.linkedid == form.call)
        .ok_or_else(|| Error::BadRequest(page.t("wrapup-not-found")))?;
    let due_at_ms = match form.task_due.trim() {
        "" => None,
        due => Some(
            page.clock
                .parse_input(due)
                .ok_or_else(|| Error::BadRequest(page.t("wrapup-due-invalid")))?,
        ),
    };
    if let Some(contact) = picked_contact(page, &form.contact)?
        && call.contact != Some(contact)
    {
        call = crate::routes::call_contact::link(state, user.user.id, &call, contact)
            .await
            .map_err(|err| match err {
                Error::BadRequest(_) => Error::BadRequest(page.t("wrapup-contact-invalid")),
                other => other,
            })?;
    }
    let note = Some(form.note.trim().to_owned()).filter(|n| !n.is_empty());
    let wrapup = WrapUp {
        outcome: form.outcome.clone(),
        resolved: Some(form.resolved.as_deref() != Some("no")),
        note: note.clone(),
        wrapup_ms: call
            .ended_at_ms
            .map(|ended| now - ended)
            .filter(|ms| (0..MAX_WRAPUP_MS).contains(ms)),
    };
    let saved = state
        .store
        .save_agent_wrapup(call.id, &extension, &wrapup)
        .await?;
    // Nobody listening is fine.
    let _ = state.calls_edited.send(saved.id);
    state.wrapups.done(&extension);
    if let (Some(contact), Some(note)) = (saved.contact, &note) {
        state
            .store
            .add_note(contact, Some(saved.id), Some(user.user.id), note)
            .await?;
    }
    create_follow_up(state, user, form, &saved, due_at_ms).await?;
    state
        .store
        .record_audit(&AuditEntry {
            at_ms: now,
            actor: Some(user.user.id),
            action: "call.wrapup".into(),
            subject: format!("call:{}", saved.id),
            detail: json!({
                "outcome": wrapup.outcome,
                "resolved": wrapup.resolved,
                "extension": extension,
            }),
        })
        .await?;
    Ok(())
}

/// The follow-up task the form asks for, if any (a callback when the outcome says so).
async fn create_follow_up(
    state: &AppState,
    user: &PageUser,
    form: &WrapupForm,
    saved: &crm_core::CallRow,
    due_at_ms: Option<i64>,
) -> Result<(), Error> {
    let title = form.task_title.trim();
    if !title.is_empty() {
        state
            .store
            .create_task(&NewTask {
                kind: if form.outcome == "callback" {
                    TaskKind::Callback
                } else {
                    TaskKind::FollowUp
                },
                title: title.to_owned(),
                contact: saved.contact,
                call: Some(saved.id),
                assignee: Some(user.user.id),
                due_at_ms,
            })
            .await?;
    }
    Ok(())
}

/// The contact id picked in the form, if any.
fn picked_contact(page: &Page, value: &str) -> Result<Option<ContactId>, Error> {
    match value.trim() {
        "" => Ok(None),
        id => id
            .parse::<i64>()
            .map(|id| Some(ContactId(id)))
            .map_err(|_| Error::BadRequest(page.t("wrapup-contact-invalid"))),
    }
}

/// Fills the form for the call `wrapup.call` names (if any): its heading, the agent's own
/// wrap-up saved before, and the contacts to pick from when several have its number.
pub(super) async fn fill_form(
    state: &AppState,
    user: &PageUser,
    page: &Page,
    wrapup: &mut WrapupView,
) -> Result<(), Error> {
    if wrapup.call.is_empty() {
        return Ok(());
    }
    let now = app::clock::now_ms();
    let Some(call) = my_calls(state, user, now - 86_400_000)
        .await?
        .into_iter()
        .find(|call| call.linkedid == wrapup.call)
    else {
        if wrapup.error.is_none() {
            wrapup.error = Some(page.t("wrapup-not-found"));
        }
        return Ok(());
    };
    let number = page.number(
        state.store.as_ref(),
        call.customer_number_raw.as_deref().unwrap_or(""),
    );
    wrapup.heading = crate::i18n::t_args(
        page.locale(),
        "wrapup-call",
        &[
            ("number", crate::i18n::Arg::Text(&number)),
            (
                "time",
                crate::i18n::Arg::Text(&page.time(call.started_at_ms)),
            ),
        ],
    );
    if wrapup.outcome.is_empty() {
        let extension = user.user.extension.as_ref().map(|e| e.as_str());
        let own = state
            .store
            .agent_wrapups(call.id)
            .await?
            .into_iter()
            .find(|part| Some(part.extension.as_str()) == extension)
            .map(|part| part.wrapup)
            // Saved before agents' own wrap-ups were kept: the call's is theirs.
            .or_else(|| {
                (call.agents().len() <= 1)
                    .then(|| call.wrapup_outcome.clone())
                    .flatten()
                    .map(|outcome| WrapUp {
                        outcome,
                        resolved: call.wrapup_resolved,
                        note: call.wrapup_note.clone(),
                        wrapup_ms: None,
                    })
            });
        if let Some(own) = own {
            wrapup.outcome = own.outcome;
            wrapup.resolved = own.resolved.unwrap_or(true);
            wrapup.note = own.note.unwrap_or_default();
        }
    }
    let candidates = state.store.call_candidates(call.id).await?;
    if candidates.len() > 1 {
        for id in candidates {
            let name = match state.store.get_contact(id).await {
                Ok(contact) => contact.name,
                Err(crm_core::StoreError::NotFound) => continue,
                Err(err) => return Err(err.into()),
            };
            wrapup.candidates.push((id.0, name));
        }
        wrapup.picked = call.contact.map(|c| c.0);
    }
    Ok(())
}

/// The outcome of the agent's own wrap-up of `call`: for a call several agents talked on,
/// theirs (the call's own is its last talker's), else the call's.
pub(super) async fn own_outcome(
    state: &AppState,
    user: &PageUser,
    call: &crm_core::CallRow,
) -> Result<Option<String>, Error> {
    if call.agents().len() <= 1 {
        return Ok(call.wrapup_outcome.clone());
    }
    let extension = user.user.extension.as_ref().map(|e| e.as_str());
    Ok(state
        .store
        .agent_wrapups(call.id)
        .await?
        .into_iter()
        .find(|part| Some(part.extension.as_str()) == extension)
        .map(|part| part.wrapup.outcome))
}
