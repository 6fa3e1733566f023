//! Service requests ("cases"), derived from the FCR chain: the CRM has no ticket table, so
//! a case is what the customer's calls say it is.
//!
//! - A case *opens* with a first contact: an answered inbound call that [`classify_fcr`]
//!   does not mark as a follow-up (the customer, contact else E.164 number, had no
//!   answered inbound call in the FCR window before it).
//! - The customer's later answered inbound calls, each within the FCR window of the
//!   previous one, belong to the same case (they are the follow-ups).
//! - A case is *closed* when its last call's wrap-up marked it resolved (at the wrap-up's
//!   time), or when the window passed after its last call without an unresolved wrap-up
//!   (at the end of that window). It is closed by the agent of that last call. A case
//!   whose last call was marked unresolved stays open.
//! - Figures: cases opened per local day and month, cases closed per agent, contacts per
//!   case (mean and maximum number of calls).
//!
//! [`classify_fcr`]: super::classify_fcr

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::summary::time_key;
use super::{Bucket, FcrStatus, MetricsSettings, Scope};
use crate::domain::call::CallRow;
use crate::domain::customer::Customer;
use crate::domain::ids::CallId;

/// How a case was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The last call's wrap-up marked it resolved.
    Resolved,
    /// The FCR window passed after the last call with no new call.
    WindowPassed,
}

/// When and by whom a case was closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Closure {
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// The extension of the agent of the last call (`None` when unknown).
    pub by: Option<String>,
    /// Why.
    pub reason: CloseReason,
}

/// One service request: a chain of a customer's answered inbound calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Case {
    /// Its calls, oldest first.
    pub calls: Vec<CallId>,
    /// The queue of the first call.
    pub queue: Option<String>,
    /// The extension of the agent who took the first call.
    pub opened_by: Option<String>,
    /// When the first call started, ms since the epoch.
    pub opened_at_ms: i64,
    /// Closed, or `None` while open.
    pub closed: Option<Closure>,
}

/// The case figures of a scope.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CaseSummary {
    /// Cases opened in the period.
    pub opened: u64,
    /// Of those, still open now.
    pub still_open: u64,
    /// Cases closed in the period (whenever they opened).
    pub closed: u64,
    /// Cases opened per local day, `YYYY-MM-DD`.
    pub opened_per_day: BTreeMap<String, u64>,
    /// Cases opened per local month, `YYYY-MM`.
    pub opened_per_month: BTreeMap<String, u64>,
    /// Cases closed in the period per agent extension (`-` when unknown).
    pub closed_per_agent: BTreeMap<String, u64>,
    /// Mean number of calls of the cases opened in the period.
    pub contacts_per_case: Option<f64>,
    /// The most calls one of those cases took.
    pub contacts_per_case_max: Option<u64>,
}

/// The agent (extension) of a call: who answered it, else who handled it.
fn agent_of(call: &CallRow) -> Option<String> {
    call.answered_by_extension
        .clone()
        .or_else(|| call.agent_extension.clone())
}

/// The agent who closes a case with `call`: who talked last on it (a transfer's target).
fn closer_of(call: &CallRow) -> Option<String> {
    call.agents().into_iter().next()
}

/// The cases of `history` (any order; it should reach one window before and after the
/// period reported), from the FCR `statuses` of its calls, at time `now_ms`.
pub fn build_cases(
    history: &[CallRow],
    statuses: &HashMap<CallId, FcrStatus>,
    now_ms: i64,
    settings: &MetricsSettings,
) -> Vec<Case> {
    let mut by_customer: HashMap<Customer, Vec<&CallRow>> = HashMap::new();
    for call in history.iter().filter(|c| statuses.contains_key(&c.id)) {
        if let Some(key) = Customer::of_call(call) {
            by_customer.entry(key).or_default().push(call);
        }
    }
    let mut cases = Vec::new();
    for calls in by_customer.values_mut() {
        calls.sort_by_key(|c| (c.started_at_ms, c.id));
        // (case, its last call) of the customer's chain so far.
        let mut current: Option<(Case, &CallRow)> = None;
        for &call in calls.iter() {
            let follow_up = statuses.get(&call.id) == Some(&FcrStatus::FollowUp);
            match current.as_mut() {
                Some((case, last)) if follow_up => {
                    case.calls.push(call.id);
                    *last = call;
                }
                _ => {
                    if let Some(done) = current.take() {
                        cases.push(close(done, now_ms, settings));
                    }
                    let case = Case {
                        calls: vec![call.id],
                        queue: call.queue.clone(),
                        opened_by: agent_of(call),
                        opened_at_ms: call.started_at_ms,
                        closed: None,
                    };
                    current = Some((case, call));
                }
            }
        }
        if let Some(done) = current {
            cases.push(close(done, now_ms, settings));
        }
    }
    cases.sort_by_key(|c| (c.opened_at_ms, c.calls.first().copied()));
    cases
}

/// Whether and when the case ending with `last` is closed at `now_ms`.
fn close((mut case, last): (Case, &CallRow), now_ms: i64, settings: &MetricsSettings) -> Case {
    let window_end = last.started_at_ms + settings.fcr_window_ms;
    case.closed = match last.wrapup_resolved {
        Some(true) => Some(Closure {
            at_ms: last
                .wrapup_at_ms
                .or(last.ended_at_ms)
                .unwrap_or(last.started_at_ms),
            by: closer_of(last),
            reason: CloseReason::Resolved,
        }),
        None if now_ms >= window_end => Some(Closure {
            at_ms: window_end,
            by: closer_of(last),
            reason: CloseReason::WindowPassed,
        }),
        Some(false) | None => None,
    };
    case
}

/// The case figures of `scope`: cases opened in the period (first call's queue and agent
/// filtered) and cases closed in it (queue and closing agent filtered).
pub fn summarize_cases(cases: &[Case], scope: &Scope, settings: &MetricsSettings) -> CaseSummary {
    let mut summary = CaseSummary::default();
    let mut calls_total = 0u64;
    for case in cases {
        if !scope.matches_queue(case.queue.as_deref()) {
            continue;
        }
        if scope.contains_time(case.opened_at_ms) && scope.matches_agent(case.opened_by.as_deref())
        {
            summary.opened += 1;
            if case.closed.is_none() {
                summary.still_open += 1;
            }
            for (bucket, counts) in [
                (Bucket::Day, &mut summary.opened_per_day),
                (Bucket::Month, &mut summary.opened_per_month),
            ] {
                *counts
                    .entry(time_key(case.opened_at_ms, bucket, settings))
                    .or_default() += 1;
            }
            let calls = case.calls.len() as u64;
            calls_total += calls;
            summary.contacts_per_case_max = summary.contacts_per_case_max.max(Some(calls));
        }
        if let Some(closure) = &case.closed
            && scope.contains_time(closure.at_ms)
            && scope.matches_agent(closure.by.as_deref())
        {
            summary.closed += 1;
            *summary
                .closed_per_agent
                .entry(closure.by.clone().unwrap_or_else(|| "-".into()))
                .or_default() += 1;
        }
    }
    summary.contacts_per_case =
        (summary.opened > 0).then(|| calls_total as f64 / summary.opened as f64);
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::vocabulary::{Direction, Disposition};
    use crate::metrics::classify_fcr;
    use crate::metrics::fcr::tests::row;

    const DAY: i64 = 86_400_000;

    fn answered(id: i64, at: i64, number: &str, agent: &str) -> CallRow {
        let mut call = row(
            id,
            Direction::Inbound,
            Some("support"),
            Disposition::Answered,
            Some(1000),
            at,
        );
        call.customer_number_e164 = Some(number.into());
        call.answered_by_extension = Some(agent.into());
        call
    }

    fn cases_of(calls: &[CallRow], now: i64, settings: &MetricsSettings) -> Vec<Case> {
        let facts: Vec<_> = calls.iter().map(CallRow::facts).collect();
        build_cases(calls, &classify_fcr(&facts, now, settings), now, settings)
    }

    #[test]
    fn a_case_follows_the_chain_and_closes_by_wrapup_or_window() {
        let settings = MetricsSettings::default();
        let now = 100 * DAY;
        let mut resolved = answered(6, 50 * DAY, "+989350000000", "1003");
        resolved.wrapup_resolved = Some(true);
        resolved.wrapup_at_ms = Some(50 * DAY + 120_000);
        let mut unresolved = answered(8, 60 * DAY, "+989360000000", "1001");
        unresolved.wrapup_resolved = Some(false);
        let calls = vec![
            answered(1, DAY, "+989121234567", "1001"),
            answered(2, 3 * DAY, "+989121234567", "1002"), // within 7 days of 1
            answered(3, 9 * DAY, "+989121234567", "1002"), // within 7 days of 2: same case
            answered(4, 30 * DAY, "+989121234567", "1001"), // a new case
            row(
                5,
                Direction::Inbound,
                Some("support"),
                Disposition::Abandoned,
                Some(9000),
                31 * DAY,
            ),
            resolved,
            answered(7, 99 * DAY, "+989370000000", "1001"), // window not passed: open
            unresolved,
        ];
        let cases = cases_of(&calls, now, &settings);
        assert_eq!(cases.len(), 5);
        assert_eq!(cases[0].calls, vec![CallId(1), CallId(2), CallId(3)]);
        assert_eq!(cases[0].opened_by.as_deref(), Some("1001"));
        let first = cases[0].closed.as_ref().unwrap();
        assert_eq!(
            (first.at_ms, first.by.as_deref(), first.reason),
            (16 * DAY, Some("1002"), CloseReason::WindowPassed)
        );
        assert_eq!(cases[1].calls, vec![CallId(4)], "the abandon is no contact");
        let by_wrapup = cases[2].closed.as_ref().unwrap();
        assert_eq!(
            (by_wrapup.at_ms, by_wrapup.reason),
            (50 * DAY + 120_000, CloseReason::Resolved)
        );
        assert_eq!(cases[3].calls, vec![CallId(8)]);
        assert_eq!(cases[3].closed, None, "marked unresolved: stays open");
        assert_eq!(cases[4].closed, None, "still inside its window");

        let all = Scope {
            from_ms: 0,
            to_ms: now,
            ..Scope::default()
        };
        let summary = summarize_cases(&cases, &all, &settings);
        assert_eq!(
            (summary.opened, summary.closed, summary.still_open),
            (5, 3, 2)
        );
        assert_eq!(summary.contacts_per_case, Some(7.0 / 5.0));
        assert_eq!(summary.contacts_per_case_max, Some(3));
        assert_eq!(summary.opened_per_day["1970-01-02"], 1);
        assert_eq!(summary.opened_per_month["1970-01"], 2);
        assert_eq!(summary.closed_per_agent["1002"], 1);
        assert_eq!(summary.closed_per_agent["1001"], 1);
        assert_eq!(summary.closed_per_agent["1003"], 1);

        // The first case opened in January, closed in the period from day 10 by 1002.
        let later = Scope {
            from_ms: 10 * DAY,
            to_ms: 20 * DAY,
            agent: Some("1002".into()),
            ..Scope::default()
        };
        let summary = summarize_cases(&cases, &later, &settings);
        assert_eq!((summary.opened, summary.closed), (0, 1));
        assert_eq!(summary.contacts_per_case, None);
    }

    #[test]
    fn a_contact_with_several_numbers_is_one_case_and_local_days_count() {
        let settings = MetricsSettings {
            utc_offset_minutes: 210,
            ..MetricsSettings::default()
        };
        // 21:00 UTC is the next local day in Tehran.
        let mut first = answered(1, DAY + 21 * 3_600_000, "+989121234567", "1001");
        first.contact = Some(crate::domain::ids::ContactId(3));
        let mut second = answered(2, 2 * DAY, "+982144556677", "1001");
        second.contact = Some(crate::domain::ids::ContactId(3));
        let cases = cases_of(&[first, second], 50 * DAY, &settings);
        assert_eq!(cases.len(), 1);
        let all = Scope {
            from_ms: 0,
            to_ms: 50 * DAY,
            ..Scope::default()
        };
        let summary = summarize_cases(&cases, &all, &settings);
        assert_eq!(
            summary.opened_per_day.keys().collect::<Vec<_>>(),
            vec!["1970-01-03"]
        );
        assert!(
            summarize_cases(&[], &all, &settings)
                .contacts_per_case
                .is_none()
        );
    }
}
