//! Who gets a callback, without I/O: the members of the queue the call was abandoned in,
//! as the live queue board shows them, mapped to users.

use crm_core::UserId;

/// How ready a queue member is to take a callback, most ready first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Readiness {
    /// Available: idle, not paused, reachable.
    Available,
    /// Ringing, on a call, or not known: there, but busy.
    Busy,
    /// Paused or unreachable.
    Away,
}

/// A queue member who is a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    /// The member's user.
    pub user: UserId,
    /// What the board shows the member doing.
    pub readiness: Readiness,
}

/// The agent for a new callback: the first available member of the queue, else any
/// member (a busy one before a paused or unreachable one), else nobody (the callback
/// waits unassigned until a member is available).
pub fn choose_assignee(members: &[Member]) -> Option<UserId> {
    members.iter().min_by_key(|m| m.readiness).map(|m| m.user)
}

/// The agent a callback not done in time goes to: an available member other than the
/// current assignee; `None` keeps it where it is.
pub fn choose_reassignee(members: &[Member], current: Option<UserId>) -> Option<UserId> {
    members
        .iter()
        .find(|m| m.readiness == Readiness::Available && Some(m.user) != current)
        .map(|m| m.user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(user: i64, available: bool) -> Member {
        Member {
            user: UserId(user),
            readiness: if available {
                Readiness::Available
            } else {
                Readiness::Busy
            },
        }
    }

    #[test]
    fn a_new_callback_goes_to_an_available_member_else_any_member() {
        let members = [member(1, false), member(2, true), member(3, true)];
        assert_eq!(choose_assignee(&members), Some(UserId(2)));
        let busy = [member(1, false), member(2, false)];
        assert_eq!(choose_assignee(&busy), Some(UserId(1)));
        let away = Member {
            user: UserId(4),
            readiness: Readiness::Away,
        };
        assert_eq!(choose_assignee(&[away, member(5, false)]), Some(UserId(5)));
        assert_eq!(choose_assignee(&[away]), Some(UserId(4)));
        assert_eq!(choose_assignee(&[]), None);
    }

    #[test]
    fn a_late_callback_goes_to_another_available_member() {
        let members = [member(1, true), member(2, false), member(3, true)];
        assert_eq!(
            choose_reassignee(&members, Some(UserId(1))),
            Some(UserId(3))
        );
        assert_eq!(choose_reassignee(&members, None), Some(UserId(1)));
        let only_current = [member(1, true), member(2, false)];
        assert_eq!(choose_reassignee(&only_current, Some(UserId(1))), None);
    }
}
