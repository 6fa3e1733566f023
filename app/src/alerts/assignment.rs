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
    /// PBX time (ms since the epoch) the member has been in that state since; `None` when
    /// it was so before Tamas looked (the longest).
    pub since_ms: Option<i64>,
    /// Open callbacks the member already has.
    pub open_callbacks: usize,
}

impl Member {
    /// The order callbacks are handed out in: most ready first, then the fewest open
    /// callbacks, then the longest in that state (idle longest, for available members).
    fn turn(&self) -> (Readiness, usize, Option<i64>) {
        (self.readiness, self.open_callbacks, self.since_ms)
    }
}

/// The agent for a new callback: the available member of the queue with the fewest open
/// callbacks (ties: the one idle longest), else any member (a busy one before a paused or
/// unreachable one), else nobody (the callback waits unassigned until a member is
/// available). A burst of abandons is so spread over the available members.
pub fn choose_assignee(members: &[Member]) -> Option<UserId> {
    members.iter().min_by_key(|m| m.turn()).map(|m| m.user)
}

/// The agent a callback not done in time goes to: an available member other than the
/// current assignee (the fewest open callbacks, then idle longest); `None` keeps it where
/// it is.
pub fn choose_reassignee(members: &[Member], current: Option<UserId>) -> Option<UserId> {
    members
        .iter()
        .filter(|m| m.readiness == Readiness::Available && Some(m.user) != current)
        .min_by_key(|m| m.turn())
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
            since_ms: Some(1_000),
            open_callbacks: 0,
        }
    }

    #[test]
    fn callbacks_go_to_the_fewest_open_then_the_idle_longest() {
        let with = |user, open, since| Member {
            open_callbacks: open,
            since_ms: since,
            ..member(user, true)
        };
        let members = [
            with(1, 2, Some(100)),
            with(2, 1, Some(500)),
            with(3, 1, Some(300)),
            Member {
                open_callbacks: 0,
                ..member(4, false)
            },
        ];
        assert_eq!(choose_assignee(&members), Some(UserId(3)));
        assert_eq!(
            choose_reassignee(&members, Some(UserId(3))),
            Some(UserId(2))
        );
        // Idle since before Tamas looked: the longest.
        let members = [with(1, 0, Some(100)), with(2, 0, None)];
        assert_eq!(choose_assignee(&members), Some(UserId(2)));

        // A burst of six abandons over three available members: two each.
        let mut members = [
            with(1, 0, Some(300)),
            with(2, 0, Some(100)),
            with(3, 0, Some(200)),
        ];
        let mut order = Vec::new();
        for _ in 0..6 {
            let user = choose_assignee(&members).unwrap();
            order.push(user.0);
            let chosen = members.iter_mut().find(|m| m.user == user).unwrap();
            chosen.open_callbacks += 1;
        }
        assert_eq!(order, vec![2, 3, 1, 2, 3, 1]);
    }

    #[test]
    fn a_new_callback_goes_to_an_available_member_else_any_member() {
        let members = [member(1, false), member(2, true), member(3, true)];
        assert_eq!(choose_assignee(&members), Some(UserId(2)));
        let busy = [member(1, false), member(2, false)];
        assert_eq!(choose_assignee(&busy), Some(UserId(1)));
        let away = Member {
            readiness: Readiness::Away,
            ..member(4, false)
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
