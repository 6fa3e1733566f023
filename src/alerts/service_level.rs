//! The service-level rule, without I/O: a queue whose service level today (the local
//! calendar day, `crm_core::metrics::summarize` over today's calls of the queue) is under
//! target, once enough calls were offered to judge.

use std::collections::BTreeMap;

use crm_core::CallRow;
use crm_core::metrics::{Bucket, MetricsSettings, Summary, group};

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

/// The verdict for each queue with calls in `today` (today's calls, any queue).
pub fn verdicts(
    today: &[CallRow],
    metrics: &MetricsSettings,
    rules: &AlertRules,
) -> BTreeMap<String, Verdict> {
    group(today, Bucket::Queue, metrics)
        .into_iter()
        .filter(|(queue, _)| queue != "-")
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

/// Local midnight (ms since the epoch) of the day containing `now_ms`, and that day's
/// number since 1970-01-01 (local).
pub fn local_day(now_ms: i64, utc_offset_minutes: i32) -> (i64, i64) {
    let offset = i64::from(utc_offset_minutes) * 60_000;
    let day = (now_ms + offset).div_euclid(86_400_000);
    (day * 86_400_000 - offset, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::callbacks::tests::call;

    fn day(answered_fast: usize, answered_slow: usize, abandoned: usize) -> Vec<CallRow> {
        let mut calls = Vec::new();
        let mut id = 0;
        let mut push = |disposition: &str, wait: i64| {
            id += 1;
            let mut c = call(id, "inbound", disposition, id * 1000);
            c.queue = Some("support".into());
            c.wait_ms = Some(wait);
            calls.push(c);
        };
        (0..answered_fast).for_each(|_| push("answered", 5_000));
        (0..answered_slow).for_each(|_| push("answered", 60_000));
        (0..abandoned).for_each(|_| push("abandoned", 30_000));
        calls
    }

    #[test]
    fn a_queue_under_target_alerts_only_with_enough_calls() {
        let rules = AlertRules::default();
        let metrics = MetricsSettings::default();
        // 7 of 10 within 20 s: 70 % < 80 %.
        let under = verdicts(&day(7, 2, 1), &metrics, &rules);
        assert!(matches!(under.get("support"), Some(Verdict::Under(s)) if s.offered == 10));
        // Back on target: 9 of 11.
        let back = verdicts(&day(9, 1, 1), &metrics, &rules);
        assert!(matches!(back.get("support"), Some(Verdict::OnTarget(_))));
        // Too few calls to judge: 1 of 4.
        let few = verdicts(&day(1, 3, 0), &metrics, &rules);
        assert_eq!(few.get("support"), Some(&Verdict::TooFewCalls));
        // Outbound calls are no queue's.
        let outbound = verdicts(&[call(1, "outbound", "answered", 0)], &metrics, &rules);
        assert!(outbound.values().all(|v| *v == Verdict::TooFewCalls));
    }

    #[test]
    fn the_day_is_the_local_calendar_day() {
        // 2026-12-04 00:10 in Tehran (+03:30) is 2026-12-03 20:40 UTC.
        let now = 1_796_330_400_000; // 2026-12-03T20:40:00Z
        let (midnight, day) = local_day(now, 210);
        assert_eq!(midnight, now - 10 * 60_000);
        assert_eq!(local_day(midnight, 210).1, day);
        assert_eq!(local_day(midnight - 1, 210).1, day - 1);
    }
}
