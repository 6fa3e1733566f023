//! The contact page (`/contacts/{id}`): the contact's numbers, each with a call button
//! (`static/contact.js` posts to `/api/calls`), the timeline of calls (direction, time,
//! agent, queue, wait, talk, result, wrap-up outcome and note), notes (add) and tasks (add;
//! done is [`tasks`](super::tasks)). What an agent's timeline and tasks show follows the
//! access policy ([`app::access`]); an agent hears only the recordings of calls they
//! took part in.
//! A call from a number this contact shares with others, that nobody linked to one of them
//! yet, is listed as "one of N contacts".

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use crm_core::{
    CallFilter, Contact, ContactId, NewTask, PhoneId, TaskId, TaskKind, TaskStatus, UserId,
};
use serde::Deserialize;

use crate::auth::PageUser;
use crate::pages::player::PlayerView;
use crate::pages::{Page, display_number, render};
use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};
use app::access::{Viewer, hears_recordings_of};
use crm_core::Role;

/// `/contacts/{id}`, its notes and tasks.
pub fn router() -> Routes {
    Routes::new()
        .get("/contacts/{id}", Access::Page(Role::Agent), show)
        .post("/contacts/{id}/notes", Access::Page(Role::Agent), add_note)
        .post("/contacts/{id}/tasks", Access::Page(Role::Agent), add_task)
}

/// Each agent's own wrap-up of the calls several agents talked on, by call.
async fn agents_notes(
    store: &dyn crm_core::Store,
    rows: &[(crm_core::CallRow, Option<usize>)],
) -> Result<HashMap<crm_core::CallId, Vec<crm_core::AgentWrapUp>>, crate::Error> {
    let mut notes = HashMap::new();
    for (call, _) in rows {
        if call.agents().len() > 1 {
            notes.insert(call.id, store.agent_wrapups(call.id).await?);
        }
    }
    Ok(notes)
}

/// A call's notes on the timeline: each agent's own (named) when several talked on it,
/// else the call's.
fn call_notes(
    parts: Option<Vec<crm_core::AgentWrapUp>>,
    note: Option<String>,
    name: impl Fn(&String) -> String,
) -> Vec<(String, String)> {
    match parts {
        Some(parts) => parts
            .into_iter()
            .filter_map(|part| Some((name(&part.extension), part.wrapup.note?)))
            .collect(),
        None => note.map(|note| (String::new(), note)).into_iter().collect(),
    }
}

struct TimelineLine {
    id: crm_core::CallId,
    recordings: Vec<PlayerView>,
    started_at_ms: i64,
    direction: crm_core::Direction,
    number: String,
    /// From a number shared by this many contacts, linked to none yet.
    one_of: Option<usize>,
    caller_name: String,
    agent: String,
    queue: String,
    wait_ms: Option<i64>,
    talk_ms: Option<i64>,
    disposition: crm_core::Disposition,
    /// Why a click-to-call could not be placed.
    failure_reason: Option<String>,
    outcome: Option<String>,
    /// The call's note, or (a transferred call) each agent's own: (agent, note).
    notes: Vec<(String, String)>,
}

struct NoteLine {
    created_at_ms: i64,
    author: String,
    body: String,
}

struct TaskLine {
    id: TaskId,
    title: String,
    kind: TaskKind,
    due_at_ms: Option<i64>,
    status: TaskStatus,
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage {
    page: Page,
    contact: Contact,
    numbers: Vec<(PhoneId, String, String)>,
    owner: String,
    calls: Vec<TimelineLine>,
    notes: Vec<NoteLine>,
    tasks: Vec<TaskLine>,
}

#[tracing::instrument(skip_all, fields(user = %user.user.username, contact = id))]
async fn show(
    user: PageUser,
    State(state): State<AppState>,
    uri: Uri,
    Path(id): Path<i64>,
) -> Response {
    let page = Page::for_user(&user, &state, &uri.to_string());
    match contact_page(&state, &user, page.clone(), ContactId(id)).await {
        Ok(response) => response,
        Err(err) => page.error_response(err),
    }
}

/// The contact's calls, newest first (at most 100): those linked to her, and those from a
/// number she shares that nobody has picked a contact for yet; an agent sees what the
/// access policy lets them see, and hears the recordings of the calls they were on.
async fn timeline(
    state: &AppState,
    user: &PageUser,
    page: &Page,
    id: ContactId,
    by_extension: &HashMap<String, String>,
) -> Result<Vec<TimelineLine>, Error> {
    let store = state.store.as_ref();
    let viewer = Viewer::of(&user.user);
    let filter = CallFilter {
        contact: Some(id),
        agent_extension: state
            .access
            .contact_history_limit(viewer)
            .map(|(extension, _)| extension),
        limit: 100,
        ..CallFilter::default()
    };
    let mut rows: Vec<(crm_core::CallRow, Option<usize>)> = store
        .list_calls(&filter)
        .await?
        .into_iter()
        .map(|call| (call, None))
        .collect();
    // Calls from a number this contact shares, nobody having picked whose they were.
    rows.extend(
        store
            .undecided_calls(id, &filter)
            .await?
            .into_iter()
            .map(|undecided| (undecided.call, Some(undecided.candidates.len()))),
    );
    rows.sort_by_key(|(call, _)| std::cmp::Reverse((call.started_at_ms, call.id)));
    rows.truncate(100);
    let mut players = HashMap::new();
    let mut agent_notes = agents_notes(store, &rows).await?;
    for (call, _) in rows
        .iter()
        .filter(|(call, _)| hears_recordings_of(viewer, call))
    {
        let recordings = store.recordings_of_call(call.id).await?;
        players.insert(call.id, recordings.iter().map(PlayerView::of).collect());
    }
    let name = |extension: &String| {
        by_extension
            .get(extension)
            .cloned()
            .unwrap_or_else(|| extension.clone())
    };
    Ok(rows
        .into_iter()
        .map(|(call, one_of)| {
            // Every agent who talked on the call, whoever talked last first.
            let agent = call
                .agents()
                .into_iter()
                .map(|extension| name(&extension))
                .collect::<Vec<_>>()
                .join(", ");
            let notes = call_notes(agent_notes.remove(&call.id), call.wrapup_note.clone(), name);
            TimelineLine {
                id: call.id,
                recordings: players.remove(&call.id).unwrap_or_default(),
                started_at_ms: call.started_at_ms,
                direction: call.direction,
                number: page.number(store, call.customer_number_raw.as_deref().unwrap_or("")),
                one_of,
                caller_name: call.customer_name.unwrap_or_default(),
                agent,
                queue: call.queue.unwrap_or_default(),
                wait_ms: call.wait_ms,
                talk_ms: call.talk_ms,
                disposition: call.disposition,
                failure_reason: call.failure_reason,
                outcome: call.wrapup_outcome,
                notes,
            }
        })
        .collect())
}

async fn contact_page(
    state: &AppState,
    user: &PageUser,
    page: Page,
    id: ContactId,
) -> Result<Response, Error> {
    let store = state.store.as_ref();
    let contact = store.get_contact(id).await?;
    let users = store.list_users().await?;
    let by_id: HashMap<UserId, String> = users
        .iter()
        .map(|u| (u.id, u.display_name.clone()))
        .collect();
    let by_extension: HashMap<String, String> = users
        .iter()
        .filter_map(|u| {
            Some((
                u.extension.as_ref()?.as_str().to_owned(),
                u.display_name.clone(),
            ))
        })
        .collect();
    let calls = timeline(state, user, &page, id, &by_extension).await?;
    let viewer = Viewer::of(&user.user);
    let notes = store
        .notes(id)
        .await?
        .into_iter()
        .map(|note| NoteLine {
            created_at_ms: note.created_at_ms,
            author: note
                .author
                .and_then(|a| by_id.get(&a).cloned())
                .unwrap_or_default(),
            body: note.body,
        })
        .collect();
    let tasks = store
        .tasks_of_contact(id, false)
        .await?
        .into_iter()
        .filter(|task| state.access.shows_task(viewer, task))
        .map(|task| TaskLine {
            id: task.id,
            title: task.title,
            kind: task.kind,
            due_at_ms: task.due_at_ms,
            status: task.status,
        })
        .collect();
    Ok(render(&ContactPage {
        page,
        numbers: contact
            .phones
            .iter()
            .map(|p| (p.id, display_number(store, &p.raw), p.label.clone()))
            .collect(),
        owner: contact
            .owner
            .and_then(|o| by_id.get(&o).cloned())
            .unwrap_or_default(),
        contact,
        calls,
        notes,
        tasks,
    }))
}

#[derive(Debug, Deserialize)]
struct NoteForm {
    #[serde(default)]
    body: String,
}

#[tracing::instrument(skip_all, fields(user = %user.user.username, contact = id))]
async fn add_note(
    user: PageUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
) -> Response {
    let page = Page::for_user(&user, &state, &format!("/contacts/{id}"));
    match state
        .store
        .add_note(ContactId(id), None, Some(user.user.id), &form.body)
        .await
    {
        Ok(_) => Redirect::to(&format!("/contacts/{id}#notes")).into_response(),
        Err(err) => page.error_response(err.into()),
    }
}

#[derive(Debug, Deserialize)]
struct TaskForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    due: String,
}

#[tracing::instrument(skip_all, fields(user = %user.user.username, contact = id))]
async fn add_task(
    user: PageUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<TaskForm>,
) -> Response {
    let page = Page::for_user(&user, &state, &format!("/contacts/{id}"));
    let due_at_ms = match form.due.trim() {
        "" => None,
        due => match page.clock.parse_input(due) {
            Some(ms) => Some(ms),
            None => {
                let message = page.t("wrapup-due-invalid");
                return page.error_response(Error::BadRequest(message));
            }
        },
    };
    let task = NewTask {
        kind: TaskKind::parse(&form.kind).unwrap_or(TaskKind::FollowUp),
        title: form.title,
        contact: Some(ContactId(id)),
        call: None,
        assignee: Some(user.user.id),
        due_at_ms,
    };
    match state.store.create_task(&task).await {
        Ok(_) => Redirect::to(&format!("/contacts/{id}#tasks")).into_response(),
        Err(err) => page.error_response(err.into()),
    }
}
