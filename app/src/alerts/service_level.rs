//! The service-level rule, without I/O: a queue whose service level today (the local
//! calendar day, `crm_core::metrics::Tallies` folded over today's calls) is under
//! target, once enough calls were offered to judge.

use std::collections::BTreeMap;

use crm_core::metrics::Summary;

use super::AlertRules;

/// What the rule says about one queue today.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Fewer calls offered than needed to judge: leave any alert as it is.
    TooFewCalls,
    /// Under target: alert.
    Under(Summary),
    /// At or above target: any alert is over.
    OnTarget(Summary),
}

/// The verdict for each queue of `today` (today's figures per queue).
pub fn verdicts(today: BTreeMap<String, Summary>, rules: &AlertRules) -> BTreeMap<String, Verdict> {
    today
        .into_iter()
        .map(|(queue, summary)| {
            let verdict = match summary.service_level {
                Some(_) if summary.offered < rules.service_level_min_offered => {
                    Verdict::TooFewCalls
                }
                Some(level) if level < rules.service_level_target => Verdict::Under(summary),
                Some(_) => Verdict::OnTarget(summary),
                None => Verdict::TooFewCalls,
            };
            (queue, verdict)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::callbacks::tests::call;
    use crm_core::metrics::{MetricsSettings, by_queue};
    use crm_core::{CallFacts, Direction, Disposition};

    fn day(answered_fast: usize, answered_slow: usize, abandoned: usize) -> Vec<CallFacts> {
        let mut calls = Vec::new();
        let mut id = 0;
        let mut push = |disposition: Disposition, wait: i64| {
            id += 1;
            let mut c = call(id, Direction::Inbound, disposition, id * 1000);
            c.queue = Some("support".into());
            c.wait_ms = Some(wait);
            calls.push(c.facts());
        };
        (0..answered_fast).for_each(|_| push(Disposition::Answered, 5_000));
        (0..answered_slow).for_each(|_| push(Disposition::Answered, 60_000));
        (0..abandoned).for_each(|_| push(Disposition::Abandoned, 30_000));
        calls
    }

    #[test]
    fn a_queue_under_target_alerts_only_with_enough_calls() {
        let rules = AlertRules::default();
        let metrics = MetricsSettings::default();
        // 7 of 10 within 20 s: 70 % < 80 %.
        let under = verdicts(by_queue(&day(7, 2, 1), &metrics), &rules);
        assert!(matches!(under.get("support"), Some(Verdict::Under(s)) if s.offered == 10));
        // Back on target: 9 of 11.
        let back = verdicts(by_queue(&day(9, 1, 1), &metrics), &rules);
        assert!(matches!(back.get("support"), Some(Verdict::OnTarget(_))));
        // Too few calls to judge: 1 of 4.
        let few = verdicts(by_queue(&day(1, 3, 0), &metrics), &rules);
        assert_eq!(few.get("support"), Some(&Verdict::TooFewCalls));
        // Outbound calls are no queue's.
        let outbound = verdicts(
            by_queue(
                &[call(1, Direction::Outbound, Disposition::Answered, 0).facts()],
                &metrics,
            ),
            &rules,
        );
        assert!(outbound.values().all(|v| *v == Verdict::TooFewCalls));
    }
}
