//! The lead rules, without I/O.
//!
//! - *Not contacted*: a lead with no call at all (any direction, any outcome) once
//!   `lead_first_contact_hours` have passed since it was created; resolved by its first
//!   call.
//! - *Few attempts*: a lead with fewer than `lead_min_attempts` calls (any direction, any
//!   outcome, those linked to it from before it was created included) started before the
//!   end of its first `lead_attempt_window_days`; judged once that window has passed,
//!   raised once.

use crm_core::LeadActivity;

use super::AlertRules;

/// What the not-contacted rule says about a lead now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contacted {
    /// Too early to say.
    Pending,
    /// Not called within the first-contact time: alert.
    Overdue,
    /// Called: any alert is over.
    Yes,
}

/// The not-contacted rule for `lead` at `now_ms`.
pub fn contacted(lead: &LeadActivity, now_ms: i64, rules: &AlertRules) -> Contacted {
    if !lead.calls_started_at_ms.is_empty() {
        Contacted::Yes
    } else if now_ms - lead.created_at_ms >= rules.lead_first_contact_ms {
        Contacted::Overdue
    } else {
        Contacted::Pending
    }
}

/// The few-attempts rule: `Some(attempts)` when the lead's window has passed with fewer
/// attempts than required.
pub fn too_few_attempts(lead: &LeadActivity, now_ms: i64, rules: &AlertRules) -> Option<usize> {
    let window_end = lead.created_at_ms + rules.lead_attempt_window_ms;
    if now_ms < window_end {
        return None;
    }
    let attempts = lead
        .calls_started_at_ms
        .iter()
        .filter(|&&at| at < window_end)
        .count();
    (attempts < rules.lead_min_attempts).then_some(attempts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_core::ContactId;

    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;

    fn lead(created: i64, calls: &[i64]) -> LeadActivity {
        LeadActivity {
            contact: ContactId(1),
            name: "Lead".into(),
            created_at_ms: created,
            calls_started_at_ms: calls.to_vec(),
        }
    }

    #[test]
    fn a_lead_not_called_within_a_day_is_overdue_until_called() {
        let rules = AlertRules::default();
        let fresh = lead(0, &[]);
        assert_eq!(contacted(&fresh, 23 * HOUR, &rules), Contacted::Pending);
        assert_eq!(contacted(&fresh, 24 * HOUR, &rules), Contacted::Overdue);
        // Called late: the alert is resolved.
        assert_eq!(
            contacted(&lead(0, &[30 * HOUR]), 31 * HOUR, &rules),
            Contacted::Yes
        );
        assert_eq!(
            contacted(&lead(0, &[HOUR]), 2 * HOUR, &rules),
            Contacted::Yes
        );
    }

    #[test]
    fn attempts_are_counted_over_the_first_two_weeks_once_they_passed() {
        let rules = AlertRules::default();
        // A generated history: one call a day for the first `n` days, then more later.
        let history =
            |n: i64| -> Vec<i64> { (0..n).map(|d| d * DAY + HOUR).chain([20 * DAY]).collect() };
        let four = lead(0, &history(4));
        assert_eq!(too_few_attempts(&four, 13 * DAY, &rules), None, "too early");
        assert_eq!(too_few_attempts(&four, 14 * DAY, &rules), Some(4));
        let five = lead(0, &history(5));
        assert_eq!(too_few_attempts(&five, 30 * DAY, &rules), None);
        // A call from before the lead was created (linked when it was) counts.
        let early = lead(DAY, &[0, DAY + 1, DAY + 2, DAY + 3, DAY + 4]);
        assert_eq!(too_few_attempts(&early, 20 * DAY, &rules), None);
        assert_eq!(too_few_attempts(&lead(0, &[]), 15 * DAY, &rules), Some(0));
    }
}
