//! The call detail page (`/calls/{id}`): the call's facts, its recordings (player,
//! waveform, duration, download) and, for supervisors and admins, the "keep" switch that
//! exempts its recordings from retention (`POST /calls/{id}/keep`, CSRF-protected, audited).
//! Agents see only calls they took part in. Each agent's own wrap-up (outcome, note) is
//! listed: a transferred call has one per agent.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use crm_core::{AgentWrapUp, AuditEntry, CallId, CallRow, Role};
use serde::Deserialize;

use crate::auth::PageUser;
use crate::pages::player::PlayerView;
use crate::pages::{Page, render};
use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};

/// `/calls/{id}` and `/calls/{id}/keep`.
pub fn router() -> Routes {
    Routes::new()
        .get("/calls/{id}", Access::Page(Role::Agent), show)
        .post("/calls/{id}/keep", Access::Page(Role::Supervisor), keep)
}

#[derive(Template)]
#[template(path = "call.html")]
struct CallPage {
    page: Page,
    call: CallRow,
    number: String,
    contact_name: String,
    recordings: Vec<PlayerView>,
    /// Each agent's own wrap-up (a transferred call has one per agent who saved it).
    wrapups: Vec<AgentWrapUp>,
    kept: bool,
    can_keep: bool,
}

/// Whether `user` may see `call`: supervisors and admins always, agents when they
/// answered, placed, talked on (a transfer's target) or were rung for it.
fn may_see(user: &PageUser, call: &CallRow) -> bool {
    let Some(extension) = user.agent_extension() else {
        return true;
    };
    !extension.is_empty() && call.involves(extension)
}

#[tracing::instrument(skip_all, fields(user = %user.user.username, call = id))]
async fn show(
    user: PageUser,
    State(state): State<AppState>,
    uri: Uri,
    Path(id): Path<i64>,
) -> Response {
    let page = Page::for_user(&user, &state, &uri.to_string());
    match call_page(&state, &user, page.clone(), CallId(id)).await {
        Ok(response) => response,
        Err(err) => page.error_response(err),
    }
}

async fn call_page(
    state: &AppState,
    user: &PageUser,
    page: Page,
    id: CallId,
) -> Result<Response, Error> {
    let store = state.store.as_ref();
    let call = store.get_call(id).await?;
    if !may_see(user, &call) {
        return Err(Error::Forbidden);
    }
    let recordings = store
        .recordings_of_call(id)
        .await?
        .iter()
        .map(PlayerView::of)
        .collect();
    let contact_name = match call.contact {
        Some(contact) => store.get_contact(contact).await?.name,
        None => String::new(),
    };
    Ok(render(&CallPage {
        contact_name,
        number: page.number(store, call.customer_number_raw.as_deref().unwrap_or("")),
        kept: store.call_kept(id).await?,
        wrapups: store.agent_wrapups(id).await?,
        can_keep: user.require(Role::Supervisor).is_ok(),
        page,
        call,
        recordings,
    }))
}

#[derive(Debug, Deserialize)]
struct KeepForm {
    #[serde(default)]
    keep: String,
}

#[tracing::instrument(skip_all, fields(user = %user.user.username, call = id))]
async fn keep(
    user: PageUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<KeepForm>,
) -> Response {
    let page = Page::for_user(&user, &state, &format!("/calls/{id}"));
    let keep = form.keep == "1";
    let done = async {
        user.require(Role::Supervisor)?;
        state.store.set_call_keep(CallId(id), keep).await?;
        state
            .store
            .record_audit(&AuditEntry {
                at_ms: app::clock::now_ms(),
                actor: Some(user.user.id),
                action: if keep { "call.keep" } else { "call.unkeep" }.to_owned(),
                subject: format!("call:{id}"),
                detail: serde_json::json!({}),
            })
            .await?;
        Ok::<_, Error>(())
    }
    .await;
    match done {
        Ok(()) => Redirect::to(&format!("/calls/{id}")).into_response(),
        Err(err) => page.error_response(err),
    }
}
