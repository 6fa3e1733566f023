//! The agent console (`/console`): the live popup area (filled by `static/console.js`
//! from the `/ws` socket), the agent's state with a pause button, "my calls today" from
//! the call log, and the wrap-up form (`POST /console/wrapup`).
//!
//! A wrap-up is saved for the agent's own part of the call (outcome, resolved, note, time
//! spent wrapping up; see `wrapup`); the note also goes onto the call's contact, and an
//! optional follow-up task is created for the agent. For a call from a number several
//! contacts share, the form also asks whose call it was. The call is named by its Linkedid (what the socket's `call.ended` carries)
//! and looked up among the calls the agent took part in during the last day, which is
//! also what keeps an agent to their own calls.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::Response;
use crm_core::{CallFilter, CallRow, ContactId, TaskId, TaskKind};
use cti::live::queues::MemberState;
use serde::Deserialize;
use serde_json::{Map, Value};

mod wrapup;

use crate::auth::PageUser;
use crate::pages::{Page, display_number, render};
use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};
use crm_core::Role;

/// The outcomes an agent picks from (each has an `outcome-…` message).
pub const OUTCOMES: [&str; 8] = [
    "info",
    "support",
    "sale",
    "complaint",
    "escalated",
    "callback",
    "wrong_number",
    "other",
];

/// A wrap-up saved this long after the call ended or later is not counted as wrap-up
/// time (the agent did something else in between).
const MAX_WRAPUP_MS: i64 = 30 * 60 * 1000;

/// `/console`, `/console/wrapup`.
pub fn router() -> Routes {
    Routes::new()
        .get("/console", Access::Page(Role::Agent), console)
        .post(
            "/console/wrapup",
            Access::Page(Role::Agent),
            wrapup::save_wrapup,
        )
}

/// The messages `console.js` shows, handed to it as JSON in a data attribute.
const SCRIPT_MESSAGES: [&str; 51] = [
    "callbacks-done",
    "popup-withheld",
    "popup-lookup-unavailable",
    "popup-pick-this",
    "popup-picked",
    "popup-pick-failed",
    "callbacks-queue",
    "popup-ringing",
    "popup-answered",
    "popup-ended",
    "popup-outbound",
    "popup-unknown",
    "popup-queue",
    "popup-waited",
    "popup-pick",
    "popup-create",
    "popup-open",
    "popup-last-calls",
    "popup-open-tasks",
    "popup-no-history",
    "popup-owner",
    "popup-wrapup",
    "popup-call-failed",
    "reason-agent_no_answer",
    "reason-busy",
    "reason-pbx_unreachable",
    "reason-failed",
    "connection-online",
    "connection-offline",
    "connection-gap",
    "state-unknown",
    "state-available",
    "state-paused",
    "state-ringing",
    "state-on_call",
    "state-wrap_up",
    "state-unavailable",
    "console-pause",
    "console-unpause",
    "console-pause-failed",
    "stage-lead",
    "stage-customer",
    "direction-inbound",
    "direction-outbound",
    "direction-internal",
    "disposition-answered",
    "disposition-abandoned",
    "disposition-no_answer",
    "disposition-busy",
    "disposition-failed",
    "wrapup-title",
];

/// One row of "my calls today".
struct CallLine {
    linkedid: String,
    started_at_ms: i64,
    direction: crm_core::Direction,
    number: String,
    caller_name: String,
    contact: Option<(ContactId, String)>,
    queue: String,
    wait_ms: Option<i64>,
    talk_ms: Option<i64>,
    disposition: crm_core::Disposition,
    outcome: Option<String>,
}

/// The wrap-up form's values.
#[derive(Default)]
struct WrapupView {
    call: String,
    heading: String,
    outcome: String,
    resolved: bool,
    note: String,
    task_title: String,
    task_due: String,
    /// The contacts that have the call's number, when several do: (id, name).
    candidates: Vec<(i64, String)>,
    /// The contact the call is linked to.
    picked: Option<i64>,
    error: Option<String>,
}

/// One of the agent's open callbacks.
struct CallbackLine {
    task: TaskId,
    /// The contact's name, else the number (untrusted text).
    subject: String,
    contact: Option<ContactId>,
    queue: String,
    created_at_ms: i64,
}

#[derive(Template)]
#[template(path = "console.html")]
struct ConsolePage {
    page: Page,
    /// The agent's user id: `alert` messages about callbacks name their assignee by it.
    user_id: i64,
    extension: String,
    /// The agent's open callbacks (new ones arrive live as `alert`).
    callbacks: Vec<CallbackLine>,
    /// The agent's state when the page was made (`agent.state` updates it live).
    agent_state: &'static str,
    script_messages: String,
    calls: Vec<CallLine>,
    outcomes: [&'static str; 8],
    wrapup: WrapupView,
    saved: bool,
}

#[derive(Debug, Deserialize)]
struct ConsoleQuery {
    /// Open the wrap-up form for this call (Linkedid).
    wrapup: Option<String>,
    /// A wrap-up was just saved.
    saved: Option<String>,
}

#[tracing::instrument(skip_all, fields(user = %user.user.username))]
async fn console(
    user: PageUser,
    State(state): State<AppState>,
    uri: Uri,
    Query(query): Query<ConsoleQuery>,
) -> Response {
    let page = Page::for_user(&user, &state, &uri.to_string());
    let mut wrapup = WrapupView {
        resolved: true,
        ..WrapupView::default()
    };
    if let Some(linkedid) = &query.wrapup {
        wrapup.call.clone_from(linkedid);
    }
    match console_page(&state, &user, page.clone(), wrapup, query.saved.is_some()).await {
        Ok(response) => response,
        Err(err) => page.error_response(err),
    }
}

async fn console_page(
    state: &AppState,
    user: &PageUser,
    page: Page,
    mut wrapup: WrapupView,
    saved: bool,
) -> Result<Response, Error> {
    let now = app::clock::now_ms();
    let calls = my_calls(state, user, page.clock.start_of_day(now)).await?;
    wrapup::fill_form(state, user, &page, &mut wrapup).await?;
    let mut names: HashMap<ContactId, String> = HashMap::new();
    for id in calls.iter().filter_map(|call| call.contact) {
        if let Entry::Vacant(slot) = names.entry(id) {
            slot.insert(match state.store.get_contact(id).await {
                Ok(contact) => contact.name,
                Err(crm_core::StoreError::NotFound) => String::new(),
                Err(err) => return Err(err.into()),
            });
        }
    }
    let mut lines = Vec::with_capacity(calls.len());
    for call in calls {
        let contact = call.contact.and_then(|id| {
            names
                .get(&id)
                .filter(|n| !n.is_empty())
                .map(|n| (id, n.clone()))
        });
        let outcome = wrapup::own_outcome(state, user, &call).await?;
        lines.push(CallLine {
            number: page.number(
                state.store.as_ref(),
                call.customer_number_raw.as_deref().unwrap_or(""),
            ),
            caller_name: call.customer_name.unwrap_or_default(),
            contact,
            queue: call.queue.unwrap_or_default(),
            linkedid: call.linkedid,
            started_at_ms: call.started_at_ms,
            direction: call.direction,
            wait_ms: call.wait_ms,
            talk_ms: call.talk_ms,
            disposition: call.disposition,
            outcome,
        });
    }
    let messages: Map<String, Value> = SCRIPT_MESSAGES
        .iter()
        .map(|id| ((*id).to_owned(), Value::String(page.t(id))))
        .collect();
    let callbacks = my_callbacks(state, user).await?;
    Ok(render(&ConsolePage {
        user_id: user.user.id.0,
        callbacks,
        extension: user
            .user
            .extension
            .as_ref()
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
        script_messages: Value::Object(messages).to_string(),
        agent_state: agent_state(state, user),
        page,
        calls: lines,
        outcomes: OUTCOMES,
        wrapup,
        saved,
    }))
}

/// The agent's open callbacks, oldest first.
async fn my_callbacks(state: &AppState, user: &PageUser) -> Result<Vec<CallbackLine>, Error> {
    let mut lines = Vec::new();
    for task in state.store.tasks_of_assignee(user.user.id, true).await? {
        if task.kind != TaskKind::Callback {
            continue;
        }
        let name = match task.contact {
            Some(id) => match state.store.get_contact(id).await {
                Ok(contact) => Some(contact.name),
                Err(crm_core::StoreError::NotFound) => None,
                Err(err) => return Err(err.into()),
            },
            None => None,
        };
        let number = task
            .customer_number_e164
            .as_deref()
            .or(task.customer_number_raw.as_deref())
            .unwrap_or("");
        lines.push(CallbackLine {
            task: task.id,
            subject: name.unwrap_or_else(|| display_number(state.store.as_ref(), number)),
            contact: task.contact,
            queue: task.queue.unwrap_or_default(),
            created_at_ms: task.created_at_ms,
        });
    }
    lines.sort_by_key(|l| l.created_at_ms);
    Ok(lines)
}

/// The agent's state from the PBX's queue members (paused in any queue counts as
/// paused); `unknown` when the agent is in no queue or no PBX is connected.
fn agent_state(state: &AppState, user: &PageUser) -> &'static str {
    let (Some(extension), Some(board)) = (&user.user.extension, &state.queues) else {
        return "unknown";
    };
    let Ok(board) = board.read() else {
        return "unknown";
    };
    let states: Vec<MemberState> = board
        .snapshot()
        .into_iter()
        .flat_map(|queue| queue.members)
        .filter(|m| interface_extension(&m.interface) == Some(extension.as_str()))
        .map(|m| m.state)
        .collect();
    [
        (MemberState::Paused, "paused"),
        (MemberState::OnCall, "on_call"),
        (MemberState::Ringing, "ringing"),
        (MemberState::Available, "available"),
        (MemberState::Unavailable, "unavailable"),
    ]
    .into_iter()
    .find(|(wanted, _)| states.contains(wanted))
    .map_or("unknown", |(_, name)| name)
}

/// The extension behind a queue member interface: `PJSIP/1001`, `SIP/1001`, or
/// `Local/1001@agents/n` (members reached through Local channels).
fn interface_extension(interface: &str) -> Option<&str> {
    let (tech, rest) = interface.split_once('/')?;
    let resource = if tech.eq_ignore_ascii_case("local") {
        rest.split_once('@').map_or(rest, |(exten, _)| exten)
    } else {
        rest
    };
    (!resource.is_empty() && resource.bytes().all(|b| b.is_ascii_digit())).then_some(resource)
}

/// The calls the user took part in since `from_ms`, newest first. Everyone's console
/// shows their own calls (a supervisor's too, by their extension); none without one.
async fn my_calls(state: &AppState, user: &PageUser, from_ms: i64) -> Result<Vec<CallRow>, Error> {
    let Some(extension) = &user.user.extension else {
        return Ok(Vec::new());
    };
    Ok(state
        .store
        .list_calls(&CallFilter {
            from_ms: Some(from_ms),
            agent_extension: Some(extension.as_str().to_owned()),
            limit: 500,
            ..CallFilter::default()
        })
        .await?)
}
