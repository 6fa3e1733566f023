//! Alerts as people see them — on `/alerts`, `/api/alerts` and live over `/ws` as
//! `alert` messages: [`describe`] turns a stored alert into an [`AlertMessage`] (the
//! subject and the assignee's name looked up), [`publish`] pushes it to every supervisor
//! and admin, and to the agent a callback is assigned to.

use crm_core::{Alert, Role, Store, StoreError, TaskStatus, UserId};

use crate::hub::messages::AlertMessage;
use crate::hub::{Audience, Event, Hub};

/// The alert with its subject and assignee.
pub async fn describe(store: &dyn Store, alert: &Alert) -> Result<AlertMessage, StoreError> {
    let number = alert
        .detail
        .get("number")
        .and_then(|n| n.as_str())
        .map(|n| {
            let normalizer = store.normalizer();
            normalizer.display(&normalizer.normalize(n))
        });
    let contact_name = match alert.contact {
        Some(contact) => match store.get_contact(contact).await {
            Ok(contact) => Some(contact.name),
            Err(StoreError::NotFound) => None,
            Err(err) => return Err(err),
        },
        None => None,
    };
    let subject = contact_name
        .or(number)
        .or_else(|| alert.queue.clone())
        .unwrap_or_default();
    let mut assignee_id = None;
    if let Some(task) = alert.task {
        match store.get_task(task).await {
            Ok(task) if task.status == TaskStatus::Open => assignee_id = task.assignee,
            Ok(_) | Err(StoreError::NotFound) => {}
            Err(err) => return Err(err),
        }
    }
    let assignee = match assignee_id {
        Some(user) => match store.get_user(user).await {
            Ok(user) => Some(user.display_name),
            Err(StoreError::NotFound) => None,
            Err(err) => return Err(err),
        },
        None => None,
    };
    Ok(AlertMessage {
        id: alert.id,
        kind: alert.kind,
        state: alert.state,
        subject,
        queue: alert.queue.clone(),
        contact_id: alert.contact,
        task_id: alert.task,
        assignee_id,
        assignee,
        detail: alert.detail.clone(),
        created_at_ms: alert.created_at_ms,
        updated_at_ms: alert.updated_at_ms,
    })
}

/// The active supervisors and admins.
pub async fn supervisors(store: &dyn Store) -> Result<Vec<UserId>, StoreError> {
    Ok(store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.active && u.role >= Role::Supervisor)
        .map(|u| u.id)
        .collect())
}

/// Pushes `alert` as an `alert` message to the supervisors and admins and, for a
/// callback, to its assignee (also once it is closed, so their list drops it) and to the
/// users in `also` (a previous assignee). Failures are logged: a missed push shows on the
/// next page load.
pub async fn publish(hub: &Hub, store: &dyn Store, alert: &Alert, also: &[UserId]) {
    let message = match describe(store, alert).await {
        Ok(message) => message,
        Err(err) => {
            tracing::warn!(alert = %alert.id, error = %err, "cannot describe an alert");
            return;
        }
    };
    let mut users = match supervisors(store).await {
        Ok(users) => users,
        Err(err) => {
            tracing::warn!(error = %err, "cannot list the supervisors for an alert");
            Vec::new()
        }
    };
    if let Some(task) = alert.task
        && let Ok(task) = store.get_task(task).await
    {
        users.extend(task.assignee);
    }
    users.extend_from_slice(also);
    users.sort_unstable();
    users.dedup();
    hub.publish(&Audience::users(users), &Event::Alert(Box::new(message)));
}
