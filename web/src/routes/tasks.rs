//! `POST /tasks/{id}/done`: closing a task (the contact page's and the console's "done").
//!
//! Only the assignee, the contact's owner, supervisors and admins may close a task (else
//! 403). Every close is audited (`task.done`: who, which task); a callback's alert still
//! live is resolved at once, naming who closed the task.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use crm_core::{AlertFilter, AlertKind, AuditEntry, Role, Task, TaskId, TaskStatus, User};

use crate::auth::PageUser;
use crate::pages::Page;
use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};

/// `/tasks/{id}/done`.
pub fn router() -> Routes {
    Routes::new().post("/tasks/{id}/done", Access::Page(Role::Agent), close_task)
}

#[tracing::instrument(skip_all, fields(user = %user.user.username, task = id))]
async fn close_task(
    user: PageUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Response {
    let page = Page::for_user(&user, &state, "/console");
    match close(&state, &user.user, TaskId(id)).await {
        Ok(task) => match task.contact {
            Some(contact) => Redirect::to(&format!("/contacts/{contact}#tasks")).into_response(),
            None => Redirect::to("/console").into_response(),
        },
        Err(err) => page.error_response(err),
    }
}

/// Closes `id` as `user` if they may; audits it and resolves its live alert.
async fn close(state: &AppState, user: &User, id: TaskId) -> Result<Task, Error> {
    let store = state.store.as_ref();
    let task = store.get_task(id).await?;
    if !may_close(state, user, &task).await? {
        tracing::warn!(task = %id, "closing another user's task refused");
        return Err(Error::Forbidden);
    }
    let task = store.set_task_status(id, TaskStatus::Done).await?;
    store
        .record_audit(&AuditEntry {
            at_ms: app::clock::now_ms(),
            actor: Some(user.id),
            action: "task.done".into(),
            subject: format!("task:{id}"),
            detail: serde_json::json!({
                "kind": task.kind.as_str(),
                "assignee": task.assignee,
                "contact": task.contact,
            }),
        })
        .await?;
    let live = store
        .list_alerts(&AlertFilter {
            kind: Some(AlertKind::AbandonedCallback),
            ..AlertFilter::default()
        })
        .await?;
    for alert in live.iter().filter(|alert| alert.task == Some(id)) {
        let alert = store.resolve_alert(alert.id, Some(user.id)).await?;
        app::alert_feed::publish(&state.hub, store, &alert, &[]).await;
    }
    Ok(task)
}

/// The assignee, the contact's owner, supervisors and admins.
async fn may_close(state: &AppState, user: &User, task: &Task) -> Result<bool, Error> {
    if user.role >= Role::Supervisor || task.assignee == Some(user.id) {
        return Ok(true);
    }
    Ok(match task.contact {
        Some(contact) => state.store.get_contact(contact).await?.owner == Some(user.id),
        None => false,
    })
}
