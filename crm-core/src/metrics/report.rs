//! A report: the figures of a period, one queue or agent optionally, from the call log.
//! The one computation behind the supervisors' `/reports` page, its CSV and `tamas
//! report`: the request's period and filters ([`resolve`]), the calls it needs ([`load`])
//! and the figures ([`compute`]): totals, per hour of day, per day, wait-time
//! distribution, per queue, per agent, service requests, and any other breakdown asked
//! for.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Deserialize;

use super::calendar::DayNumber;
use super::periods::{Calendar, iso_date, resolve_day};
use super::{
    Bucket, CaseSummary, FcrStatus, FcrSummary, MetricsSettings, Scope, Summary, agent_parts,
    build_cases, classify_fcr, group, summarize, summarize_cases, summarize_fcr,
};
use crate::domain::call::CallRow;
use crate::domain::ids::CallId;
use crate::domain::vocabulary::Direction;
use crate::{CallFilter, Store, StoreError};

/// The longest period one report covers, in days.
pub const MAX_DAYS: i64 = 366;
/// The most calls one report reads.
pub const MAX_CALLS: u32 = 1_000_000;
/// The wait-time distribution's bins: [from, to) in seconds, the last one open-ended.
pub const WAIT_BINS: [(i64, Option<i64>); 6] = [
    (0, Some(10)),
    (10, Some(20)),
    (20, Some(30)),
    (30, Some(60)),
    (60, Some(120)),
    (120, None),
];

/// The query string of `/reports` and `/reports.csv`, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ReportQuery {
    /// First day, ISO or Jalali; empty = 6 days before today.
    pub from: Option<String>,
    /// Last day (included); empty = today.
    pub to: Option<String>,
    /// Only this queue; empty = all.
    pub queue: Option<String>,
    /// Only this agent (extension); empty = all.
    pub agent: Option<String>,
}

/// Why a query cannot be answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryError {
    /// This text is no date.
    BadDate(String),
    /// The last day is before the first.
    Reversed,
    /// The period is longer than [`MAX_DAYS`].
    TooLong,
}

/// Why a report cannot be computed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The call log could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// More than [`MAX_CALLS`] calls: a shorter period is needed.
    #[error("more than {MAX_CALLS} calls: report a shorter period")]
    TooManyCalls,
}

/// A period of local days and its filters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    /// First day, days since 1970-01-01.
    pub from_day: DayNumber,
    /// Last day (included).
    pub to_day: DayNumber,
    /// The same as times and filters.
    pub scope: Scope,
    /// A breakdown asked for beside the report's own tables ([`Report::by`]).
    pub by: Option<Bucket>,
}

impl Period {
    /// The local days `from_day` to `to_day`, all queues and agents.
    pub fn days(from_day: DayNumber, to_day: DayNumber, settings: &MetricsSettings) -> Self {
        Period {
            from_day,
            to_day,
            scope: Scope::days(from_day, to_day, settings),
            by: None,
        }
    }
}

fn non_empty(value: Option<&String>) -> Option<String> {
    value
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The period a query asks for, `today` being the local day now. A named period
/// (`last-week`, …) is read in `calendar`: the first day of `from`'s, the last of `to`'s.
pub fn resolve(
    query: &ReportQuery,
    today: DayNumber,
    calendar: Calendar,
    settings: &MetricsSettings,
) -> Result<Period, QueryError> {
    let day = |text: Option<String>, default: DayNumber, end: bool| match text {
        None => Ok(default),
        // Years 1700 to about 2243: beyond that no call log reaches.
        Some(text) => match resolve_day(&text, today, calendar, end) {
            Ok(day) if (-99_000..=100_000).contains(&day) => Ok(day),
            _ => Err(QueryError::BadDate(text)),
        },
    };
    let from_day = day(non_empty(query.from.as_ref()), today - 6, false)?;
    let to_day = day(non_empty(query.to.as_ref()), today, true)?;
    if to_day < from_day {
        return Err(QueryError::Reversed);
    }
    if to_day - from_day >= MAX_DAYS {
        return Err(QueryError::TooLong);
    }
    let mut period = Period::days(from_day, to_day, settings);
    period.scope.queue = non_empty(query.queue.as_ref());
    period.scope.agent = non_empty(query.agent.as_ref());
    Ok(period)
}

/// A queue's line of the per-queue table.
#[derive(Clone, Debug)]
pub struct QueueLine {
    /// The queue.
    pub queue: String,
    /// Its figures.
    pub summary: Summary,
    /// Its first-call resolution.
    pub fcr: FcrSummary,
}

/// An agent's line of the per-agent table.
#[derive(Clone, Debug)]
pub struct AgentLine {
    /// The agent's extension.
    pub extension: String,
    /// The agent user's name, when a user has that extension.
    pub name: Option<String>,
    /// Figures of the queue calls the agent answered (`answered` = handled).
    pub summary: Summary,
    /// First-call resolution of the agent's calls.
    pub fcr: FcrSummary,
    /// Service requests the agent closed in the period.
    pub requests_closed: u64,
}

/// Every figure of the reports page.
#[derive(Clone, Debug)]
pub struct Report {
    /// What was reported.
    pub period: Period,
    /// The whole period.
    pub total: Summary,
    /// First-call resolution of the period.
    pub fcr: FcrSummary,
    /// Service requests.
    pub cases: CaseSummary,
    /// Per local hour of day, `00` to `23`, all 24.
    pub hours: Vec<(String, Summary)>,
    /// Per local day of the period, every day: (day number, `YYYY-MM-DD`, figures).
    pub days: Vec<(DayNumber, String, Summary)>,
    /// Offered calls per [`WAIT_BINS`] bin.
    pub waits: [u64; 6],
    /// Per queue.
    pub queues: Vec<QueueLine>,
    /// Per agent.
    pub agents: Vec<AgentLine>,
    /// Every queue seen in the calls read (for the queue filter).
    pub queue_names: Vec<String>,
    /// The breakdown asked for by [`Period::by`].
    pub by: Option<BTreeMap<String, Summary>>,
}

/// Reads the calls the period needs (one FCR window on each side) and computes.
pub async fn load(
    store: &dyn Store,
    period: Period,
    agent_names: &HashMap<String, String>,
    now_ms: i64,
    settings: &MetricsSettings,
) -> Result<Report, ReportError> {
    let history = store
        .list_calls(&CallFilter {
            from_ms: Some(period.scope.from_ms.saturating_sub(settings.fcr_window_ms)),
            to_ms: Some(period.scope.to_ms.saturating_add(settings.fcr_window_ms)),
            limit: MAX_CALLS,
            ..CallFilter::default()
        })
        .await?;
    if history.len() >= MAX_CALLS as usize {
        return Err(ReportError::TooManyCalls);
    }
    Ok(compute(&history, period, agent_names, now_ms, settings))
}

fn fcr_of<'a>(
    statuses: &HashMap<CallId, FcrStatus>,
    calls: impl Iterator<Item = &'a CallRow>,
    settings: &MetricsSettings,
) -> FcrSummary {
    summarize_fcr(statuses, calls.map(|c| c.id), settings)
}

/// The bin of [`WAIT_BINS`] a wait falls in.
pub fn wait_bin(wait_ms: i64) -> usize {
    WAIT_BINS
        .iter()
        .position(|(_, to)| to.is_none_or(|to| wait_ms < to * 1000))
        .unwrap_or(WAIT_BINS.len() - 1)
}

/// The figures of `period` from `history` (calls from one FCR window before the period to
/// one after), at time `now_ms`.
pub fn compute(
    history: &[CallRow],
    period: Period,
    agent_names: &HashMap<String, String>,
    now_ms: i64,
    settings: &MetricsSettings,
) -> Report {
    let calls = period.scope.select(history);
    let facts: Vec<_> = history.iter().map(CallRow::facts).collect();
    let statuses = classify_fcr(&facts, now_ms, settings);
    let cases = summarize_cases(
        &build_cases(history, &statuses, now_ms, settings),
        &period.scope,
        settings,
    );
    let hours = hour_lines(&calls, settings);
    let days = day_lines(&calls, &period, settings);
    let waits = wait_distribution(&calls);
    let queues = queue_lines(&calls, &statuses, settings);
    let agents = agent_lines(&calls, &statuses, &cases, agent_names, settings);
    let queue_names: BTreeSet<String> = history.iter().filter_map(|c| c.queue.clone()).collect();
    let by = period.by.map(|bucket| group(&calls, bucket, settings));
    Report {
        by,
        total: summarize(
            &calls.iter().map(CallRow::facts).collect::<Vec<_>>(),
            settings,
        ),
        fcr: fcr_of(&statuses, calls.iter(), settings),
        cases,
        hours,
        days,
        waits,
        queues,
        agents,
        queue_names: queue_names.into_iter().collect(),
        period,
    }
}

/// The figures per local hour of day, all 24 ([`Report::hours`]).
fn hour_lines(calls: &[CallRow], settings: &MetricsSettings) -> Vec<(String, Summary)> {
    let by_hour = group(calls, Bucket::HourOfDay, settings);
    (0..24)
        .map(|h| {
            let key = format!("{h:02}");
            let summary = by_hour
                .get(&key)
                .cloned()
                .unwrap_or_else(|| summarize(&[], settings));
            (key, summary)
        })
        .collect()
}

/// The figures of every day of the period ([`Report::days`]).
fn day_lines(
    calls: &[CallRow],
    period: &Period,
    settings: &MetricsSettings,
) -> Vec<(DayNumber, String, Summary)> {
    let by_day = group(calls, Bucket::Day, settings);
    (period.from_day..=period.to_day)
        .map(|day| {
            let key = iso_date(day);
            let summary = by_day
                .get(&key)
                .cloned()
                .unwrap_or_else(|| summarize(&[], settings));
            (day, key, summary)
        })
        .collect()
}

/// Offered calls per [`WAIT_BINS`] bin ([`Report::waits`]).
fn wait_distribution(calls: &[CallRow]) -> [u64; 6] {
    let mut waits = [0u64; 6];
    for call in calls
        .iter()
        .filter(|c| c.direction == Direction::Inbound && c.queue.is_some())
    {
        if let Some(wait) = call.wait_ms {
            waits[wait_bin(wait)] += 1;
        }
    }
    waits
}

/// The per-queue table: queues with calls offered ([`Report::queues`]).
fn queue_lines(
    calls: &[CallRow],
    statuses: &HashMap<CallId, FcrStatus>,
    settings: &MetricsSettings,
) -> Vec<QueueLine> {
    group(calls, Bucket::Queue, settings)
        .into_iter()
        .filter(|(_, summary)| summary.offered > 0)
        .map(|(queue, summary)| QueueLine {
            fcr: fcr_of(
                statuses,
                calls.iter().filter(|c| c.queue.as_deref() == Some(&queue)),
                settings,
            ),
            queue,
            summary,
        })
        .collect()
}

/// The per-agent table: agents who handled a call or closed a request
/// ([`Report::agents`]).
fn agent_lines(
    calls: &[CallRow],
    statuses: &HashMap<CallId, FcrStatus>,
    cases: &CaseSummary,
    agent_names: &HashMap<String, String>,
    settings: &MetricsSettings,
) -> Vec<AgentLine> {
    let by_agent = group(calls, Bucket::Agent, settings);
    let extensions: BTreeSet<String> = by_agent
        .iter()
        .filter(|(_, s)| s.answered > 0)
        .map(|(ext, _)| ext.clone())
        .chain(cases.closed_per_agent.keys().cloned())
        .filter(|ext| ext != "-")
        .collect();
    extensions
        .into_iter()
        .map(|extension| AgentLine {
            name: agent_names.get(&extension).cloned(),
            summary: by_agent
                .get(&extension)
                .cloned()
                .unwrap_or_else(|| summarize(&[], settings)),
            fcr: fcr_of(
                statuses,
                calls
                    .iter()
                    .filter(|c| agent_parts(c).iter().any(|(agent, _)| *agent == extension)),
                settings,
            ),
            requests_closed: cases.closed_per_agent.get(&extension).copied().unwrap_or(0),
            extension,
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests;
