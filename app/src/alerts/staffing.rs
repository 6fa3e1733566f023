//! A queue's members as the live queue board shows them, mapped to users: who can take a
//! callback now.

use std::sync::{Arc, RwLock};

use crm_core::Task;
use cti::live::queues::member_extension;
use cti::live::queues::{MemberState, QueueBoard};

use super::assignment::{Member, Readiness};
use crate::bridge::agent_users::AgentUsers;

/// The members of `queue` who are users, in the board's order, with what the board shows
/// them doing and how many of the `open` callbacks each has.
pub async fn members(
    board: &Arc<RwLock<QueueBoard>>,
    users: &AgentUsers,
    queue: &str,
    open: &[Task],
) -> Vec<Member> {
    let seen: Vec<(String, Readiness, Option<i64>)> = match board.read() {
        Ok(board) => board
            .snapshot()
            .into_iter()
            .filter(|q| q.name == queue)
            .flat_map(|q| q.members)
            .filter_map(|m| {
                member_extension(&m.interface)
                    .map(|ext| (ext.to_owned(), readiness(m.state), m.since_ms))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let mut members: Vec<Member> = Vec::with_capacity(seen.len());
    for (extension, readiness, since_ms) in seen {
        if let Some(user) = users.user(&extension).await
            && !members.iter().any(|m| m.user == user)
        {
            let open_callbacks = open.iter().filter(|t| t.assignee == Some(user)).count();
            members.push(Member {
                user,
                readiness,
                since_ms,
                open_callbacks,
            });
        }
    }
    members
}

fn readiness(state: MemberState) -> Readiness {
    match state {
        MemberState::Available => Readiness::Available,
        MemberState::Paused | MemberState::Unavailable => Readiness::Away,
        // Ringing, on a call, unknown (and any state the board learns later).
        _ => Readiness::Busy,
    }
}
