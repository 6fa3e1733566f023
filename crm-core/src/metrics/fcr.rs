//! First-call resolution, following the customer rather than the raw caller ID.
//!
//! An answered inbound call is a *first contact* when the same customer (its contact, else
//! its E.164 number, else its raw number) had no answered inbound call in the window
//! before it. It is *resolved at first contact* unless the customer calls again within the
//! window after it, or the agent's wrap-up marks it unresolved. A first contact younger
//! than the window with no repeat yet is *pending*: reported apart, never guessed.

use std::collections::HashMap;

use serde::Serialize;

use super::MetricsSettings;
use crate::domain::call_facts::CallFacts;
use crate::domain::customer::Customer;
use crate::domain::ids::CallId;
use crate::domain::vocabulary::{Direction, Disposition};

pub use crate::domain::vocabulary::FcrStatus;

/// The FCR figures of a set of calls.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FcrSummary {
    /// First contacts whose outcome is known (resolved, repeat or unresolved).
    pub settled_first_contacts: u64,
    /// Of those, resolved at first contact.
    pub resolved: u64,
    /// First contacts still inside their window.
    pub pending: u64,
    /// Resolved / settled first contacts.
    pub rate: Option<f64>,
    /// The window, in days.
    pub window_days: f64,
}

/// Classifies every answered inbound call of `history` (any order; it should reach one
/// window before and after the period reported) at time `now_ms`.
pub fn classify_fcr(
    history: &[CallFacts],
    now_ms: i64,
    settings: &MetricsSettings,
) -> HashMap<CallId, FcrStatus> {
    let mut by_customer: HashMap<Customer, Vec<&CallFacts>> = HashMap::new();
    for call in history.iter().filter(|c| c.direction == Direction::Inbound) {
        if let Some(key) = call.customer() {
            by_customer.entry(key).or_default().push(call);
        }
    }
    let window = settings.fcr_window_ms;
    let mut statuses = HashMap::new();
    for calls in by_customer.values_mut() {
        calls.sort_by_key(|c| (c.started_at_ms, c.id));
        for (i, call) in calls.iter().enumerate() {
            if call.disposition != Disposition::Answered {
                continue;
            }
            let at = call.started_at_ms;
            let answered_before = calls[..i]
                .iter()
                .any(|p| p.disposition == Disposition::Answered && at - p.started_at_ms < window);
            let status = if answered_before {
                FcrStatus::FollowUp
            } else if call.wrapup_resolved == Some(false) {
                FcrStatus::Unresolved
            } else if calls[i + 1..].iter().any(|n| n.started_at_ms - at < window) {
                FcrStatus::RepeatContact
            } else if now_ms - at < window {
                FcrStatus::Pending
            } else {
                FcrStatus::ResolvedFirstContact
            };
            statuses.insert(call.id, status);
        }
    }
    statuses
}

/// The FCR figures of the calls in `period` (ids), from their statuses.
pub fn summarize_fcr(
    statuses: &HashMap<CallId, FcrStatus>,
    period: impl IntoIterator<Item = CallId>,
    settings: &MetricsSettings,
) -> FcrSummary {
    let mut summary = FcrSummary {
        window_days: settings.fcr_window_ms as f64 / 86_400_000.0,
        ..FcrSummary::default()
    };
    for id in period {
        match statuses.get(&id) {
            Some(FcrStatus::ResolvedFirstContact) => {
                summary.settled_first_contacts += 1;
                summary.resolved += 1;
            }
            Some(FcrStatus::RepeatContact | FcrStatus::Unresolved) => {
                summary.settled_first_contacts += 1
            }
            Some(FcrStatus::Pending) => summary.pending += 1,
            Some(FcrStatus::FollowUp) | None => {}
        }
    }
    summary.rate = (summary.settled_first_contacts > 0)
        .then(|| summary.resolved as f64 / summary.settled_first_contacts as f64);
    summary
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::call::CallRow;
    use crate::domain::ids::ContactId;
    use crate::domain::vocabulary::{Direction, Disposition};

    const DAY: i64 = 86_400_000;

    /// A call-log row for tests.
    pub(crate) fn row(
        id: i64,
        direction: Direction,
        queue: Option<&str>,
        disposition: Disposition,
        wait_ms: Option<i64>,
        at: i64,
    ) -> CallRow {
        CallRow {
            queue: queue.map(str::to_owned),
            wait_ms,
            ..CallRow::fixture(id, direction, disposition, at)
        }
    }

    /// The facts of `calls`.
    pub(crate) fn facts(calls: &[CallRow]) -> Vec<CallFacts> {
        calls.iter().map(CallRow::facts).collect()
    }

    fn answered(id: i64, at: i64, number: &str) -> CallRow {
        let mut call = row(
            id,
            Direction::Inbound,
            Some("support"),
            Disposition::Answered,
            Some(1000),
            at,
        );
        call.customer_number_e164 = Some(number.into());
        call
    }

    #[test]
    fn repeats_inside_the_window_make_a_first_contact_unresolved() {
        let settings = MetricsSettings::default();
        let now = 100 * DAY;
        let calls = vec![
            answered(1, DAY, "+989121234567"),
            answered(2, 3 * DAY, "+989121234567"), // repeat within 7 days
            answered(3, 20 * DAY, "+989121234567"), // new first contact, no repeat
            answered(4, 20 * DAY, "+989350000000"),
            answered(5, 99 * DAY, "+989350000000"), // too young: pending
        ];
        let statuses = classify_fcr(&facts(&calls), now, &settings);
        assert_eq!(statuses[&CallId(1)], FcrStatus::RepeatContact);
        assert_eq!(statuses[&CallId(2)], FcrStatus::FollowUp);
        assert_eq!(statuses[&CallId(3)], FcrStatus::ResolvedFirstContact);
        assert_eq!(statuses[&CallId(4)], FcrStatus::ResolvedFirstContact);
        assert_eq!(statuses[&CallId(5)], FcrStatus::Pending);
        let summary = summarize_fcr(&statuses, calls.iter().map(|c| c.id), &settings);
        assert_eq!(summary.settled_first_contacts, 3);
        assert_eq!(summary.resolved, 2);
        assert_eq!(summary.pending, 1);
        assert_eq!(summary.rate, Some(2.0 / 3.0));
    }

    #[test]
    fn the_customer_is_the_contact_across_numbers_and_wrapups_count() {
        let settings = MetricsSettings::default();
        let mut first = answered(1, DAY, "+989121234567");
        first.contact = Some(ContactId(7));
        let mut second = answered(2, 2 * DAY, "+982144556677");
        second.contact = Some(ContactId(7));
        let mut marked = answered(3, 30 * DAY, "+989351111111");
        marked.wrapup_resolved = Some(false);
        let mut unknown = answered(4, 40 * DAY, "");
        unknown.customer_number_e164 = None;
        unknown.customer_number_raw = Some("anonymous".into());
        let statuses = classify_fcr(
            &facts(&[first, second, marked, unknown]),
            100 * DAY,
            &settings,
        );
        assert_eq!(
            statuses[&CallId(1)],
            FcrStatus::RepeatContact,
            "same contact, other number"
        );
        assert_eq!(statuses[&CallId(3)], FcrStatus::Unresolved);
        assert!(
            !statuses.contains_key(&CallId(4)),
            "a withheld number is no customer: no FCR status"
        );
    }
}
