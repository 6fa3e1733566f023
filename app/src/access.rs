//! The access policy of `docs/security.md` for what a contact's history shows: one rule,
//! applied by the popup's contact card, the contact page and `GET /api/calls?contact=`.
//!
//! Supervisors and admins see a contact's whole history. Agents see it whole too by
//! default (`[access] agent_call_history = "all"`): the date, direction, agent, outcome
//! and note of every call, and every open task, because that is the context a popup
//! exists to give. With `"own"`, an agent sees only the calls they took part in and the
//! tasks assigned to them. Recordings are never part of this: an agent hears only the
//! recordings of calls they took part in, whatever the setting.

use crm_core::{CallRow, ContactCard, Role, Task, UserId};
use serde::Deserialize;

/// How much of a contact's history agents see (`[access] agent_call_history`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallHistory {
    /// Every call and open task of the contact.
    #[default]
    All,
    /// Only the calls they took part in and the tasks assigned to them.
    Own,
}

/// Who is looking at a contact's history.
#[derive(Clone, Copy, Debug)]
pub struct Viewer<'a> {
    /// The user.
    pub user: UserId,
    /// Their role.
    pub role: Role,
    /// Their extension, if they have one.
    pub extension: Option<&'a str>,
}

impl<'a> Viewer<'a> {
    /// A signed-in user.
    pub fn of(user: &'a crm_core::User) -> Self {
        Viewer {
            user: user.id,
            role: user.role,
            extension: user.extension.as_ref().map(|e| e.as_str()),
        }
    }
}

/// The access policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccessPolicy {
    /// How much of a contact's history agents see.
    pub agent_call_history: CallHistory,
}

impl AccessPolicy {
    /// The one rule: the extension whose calls and the user whose tasks `viewer` is
    /// limited to in a contact's history, or `None` when they see it whole. (An agent
    /// without an extension limited to their own calls sees none.)
    pub fn contact_history_limit(&self, viewer: Viewer<'_>) -> Option<(String, UserId)> {
        match (viewer.role, self.agent_call_history) {
            (Role::Agent, CallHistory::Own) => {
                Some((viewer.extension.unwrap_or("").to_owned(), viewer.user))
            }
            (Role::Agent, CallHistory::All) | (Role::Supervisor | Role::Admin, _) => None,
        }
    }

    /// Whether `viewer` sees `call` in a contact's history.
    pub fn shows_call(&self, viewer: Viewer<'_>, call: &CallRow) -> bool {
        self.contact_history_limit(viewer)
            .is_none_or(|(extension, _)| !extension.is_empty() && call.involves(&extension))
    }

    /// Whether `viewer` sees `task` among a contact's tasks.
    pub fn shows_task(&self, viewer: Viewer<'_>, task: &Task) -> bool {
        self.contact_history_limit(viewer)
            .is_none_or(|(_, user)| task.assignee == Some(user))
    }

    /// `card` as `viewer` may see it (the popup's contact card).
    pub fn card_for(&self, viewer: Viewer<'_>, card: &ContactCard) -> ContactCard {
        ContactCard {
            contact: card.contact.clone(),
            last_calls: card
                .last_calls
                .iter()
                .filter(|call| self.shows_call(viewer, call))
                .cloned()
                .collect(),
            open_tasks: card
                .open_tasks
                .iter()
                .filter(|task| self.shows_task(viewer, task))
                .cloned()
                .collect(),
        }
    }
}

/// Whether `viewer` may hear the recordings of `call`: supervisors and admins always,
/// agents only for calls they took part in.
pub fn hears_recordings_of(viewer: Viewer<'_>, call: &CallRow) -> bool {
    match viewer.role {
        Role::Supervisor | Role::Admin => true,
        Role::Agent => viewer
            .extension
            .is_some_and(|extension| !extension.is_empty() && call.involves(extension)),
    }
}

#[cfg(test)]
mod tests {
    use crm_core::{Direction, Disposition, TaskId, TaskKind, TaskStatus};

    use super::*;

    fn call(id: i64, agent: &str) -> CallRow {
        CallRow {
            pbx: "sim".into(),
            answered_by_extension: Some(agent.into()),
            agent_extension: Some(agent.into()),
            ..CallRow::fixture(id, Direction::Inbound, Disposition::Answered, id)
        }
    }

    fn task(id: i64, assignee: Option<i64>) -> Task {
        Task {
            id: TaskId(id),
            kind: TaskKind::FollowUp,
            title: "call back".into(),
            contact: None,
            call: None,
            assignee: assignee.map(UserId),
            due_at_ms: None,
            status: TaskStatus::Open,
            created_at_ms: 0,
            closed_at_ms: None,
            customer_number_raw: None,
            customer_number_e164: None,
            queue: None,
            assigned_at_ms: None,
        }
    }

    fn viewer(role: Role, extension: Option<&str>) -> Viewer<'_> {
        Viewer {
            user: UserId(1),
            role,
            extension,
        }
    }

    fn card() -> ContactCard {
        ContactCard {
            contact: crm_core::Contact {
                id: crm_core::ContactId(1),
                name: "Ali".into(),
                organisation: None,
                stage: crm_core::Stage::Customer,
                email: None,
                tags: Vec::new(),
                owner: None,
                phones: Vec::new(),
                created_at_ms: 0,
                updated_at_ms: 0,
                last_interaction_at_ms: None,
            },
            last_calls: vec![call(1, "1001"), call(2, "1002")],
            open_tasks: vec![task(1, Some(1)), task(2, Some(2)), task(3, None)],
        }
    }

    #[test]
    fn agents_see_the_whole_history_by_default() {
        let policy = AccessPolicy::default();
        let agent = viewer(Role::Agent, Some("1001"));
        assert_eq!(policy.contact_history_limit(agent), None);
        assert_eq!(policy.card_for(agent, &card()), card());
    }

    #[test]
    fn with_own_agents_see_their_calls_and_tasks_only() {
        let policy = AccessPolicy {
            agent_call_history: CallHistory::Own,
        };
        let agent = viewer(Role::Agent, Some("1001"));
        let seen = policy.card_for(agent, &card());
        assert_eq!(seen.last_calls, vec![call(1, "1001")]);
        assert_eq!(seen.open_tasks, vec![task(1, Some(1))]);
        let no_extension = policy.card_for(viewer(Role::Agent, None), &card());
        assert!(no_extension.last_calls.is_empty());
        for role in [Role::Supervisor, Role::Admin] {
            assert_eq!(policy.card_for(viewer(role, None), &card()), card());
        }
    }

    #[test]
    fn recordings_stay_with_the_agents_on_the_call() {
        let on_call = call(1, "1001");
        assert!(hears_recordings_of(
            viewer(Role::Agent, Some("1001")),
            &on_call
        ));
        assert!(!hears_recordings_of(
            viewer(Role::Agent, Some("1002")),
            &on_call
        ));
        assert!(!hears_recordings_of(
            viewer(Role::Agent, Some("")),
            &on_call
        ));
        assert!(hears_recordings_of(
            viewer(Role::Supervisor, None),
            &on_call
        ));
    }
}
