//! Queue figures for a set of calls: offered, answered, abandoned, service level, ASA,
//! wait percentiles, AHT.
//!
//! Definitions (ARCHITECTURE.md, "Metrics"):
//! - *offered*: inbound calls that joined a queue; *answered* / *abandoned* among them.
//! - *wait*: queue join → agent connect (answered) or → hang-up (abandoned).
//! - *service level*: answered within T / (offered − short abandons).
//! - *ASA*: mean wait of answered calls; *AHT*: mean talk + hold + wrap-up time of answered
//!   calls (wrap-up counts once the agent's wrap-up recorded how long it took).

use std::collections::BTreeMap;

use serde::Serialize;

use super::MetricsSettings;
use crate::domain::call::CallRow;
use crate::domain::call_facts::CallFacts;
use crate::domain::vocabulary::{Direction, Disposition};

/// Figures for one set of calls.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Inbound calls that joined a queue.
    pub offered: u64,
    /// Of those, answered by an agent.
    pub answered: u64,
    /// Of those, abandoned (the caller hung up while waiting), short ones included.
    pub abandoned: u64,
    /// Abandoned within the short-abandon threshold.
    pub short_abandoned: u64,
    /// Answered within the threshold.
    pub answered_within_threshold: u64,
    /// The service-level denominator: offered minus short abandons.
    pub service_level_denominator: u64,
    /// The service-level threshold, seconds.
    pub service_level_threshold_s: i64,
    /// Answered within the threshold / the denominator; `None` without calls.
    pub service_level: Option<f64>,
    /// Abandoned / offered.
    pub abandon_rate: Option<f64>,
    /// Average speed of answer: mean wait of answered calls, ms.
    pub asa_ms: Option<i64>,
    /// Median wait of all offered calls with a known wait, ms.
    pub wait_median_ms: Option<i64>,
    /// 90th percentile of that wait, ms.
    pub wait_p90_ms: Option<i64>,
    /// Longest wait, ms.
    pub wait_max_ms: Option<i64>,
    /// Average handling time of answered calls: talk + hold + wrap-up, ms.
    pub aht_ms: Option<i64>,
}

/// How calls are bucketed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    /// `YYYY-MM-DDTHH` in local time.
    Hour,
    /// `YYYY-MM-DD` in local time.
    Day,
    /// `YYYY-MM` in local time.
    Month,
    /// The local hour of the day, `00` to `23`, whatever the date.
    HourOfDay,
    /// The queue's name (`-` for none).
    Queue,
    /// The handling agent's extension (`-` for none); a transferred call counts for each
    /// agent who talked on it, with their own part ([`agent_parts`]).
    Agent,
}

/// What a queue's figures read of a call offered to it: a few words, so that a day of
/// them stays small ([`Offered::of`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offered {
    outcome: Outcome,
    wait_ms: Option<i64>,
    /// Talk + hold + wrap-up.
    handling_ms: i64,
    /// An agent's part of a call transferred to them ([`agent_parts`]): no queue join,
    /// answer or wait of theirs (no call of the log looks like that). It counts as handled
    /// (answered, AHT) but not in their service level or ASA: the caller's queue wait was
    /// the answering agent's.
    transferred_in: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Answered,
    Abandoned,
    Other,
}

impl Offered {
    /// What the figures read of `call`; `None` when it was not offered to a queue (not an
    /// inbound call that joined one).
    pub fn of(call: &CallFacts) -> Option<Self> {
        if call.direction != Direction::Inbound || call.queue.is_none() {
            return None;
        }
        let outcome = match call.disposition {
            Disposition::Answered => Outcome::Answered,
            Disposition::Abandoned => Outcome::Abandoned,
            Disposition::NoAnswer | Disposition::Busy | Disposition::Failed => Outcome::Other,
        };
        Some(Offered {
            outcome,
            wait_ms: call.wait_ms,
            handling_ms: call.talk_ms.unwrap_or(0)
                + call.hold_ms.unwrap_or(0)
                + call.wrapup_ms.unwrap_or(0),
            transferred_in: call.queued_at_ms.is_none()
                && call.answered_at_ms.is_none()
                && call.wait_ms.is_none(),
        })
    }
}

/// Figures for `calls` (any order).
pub fn summarize<'a>(
    calls: impl IntoIterator<Item = &'a CallFacts>,
    settings: &MetricsSettings,
) -> Summary {
    let mut tally = Tally::default();
    for call in calls {
        tally.add(call, settings);
    }
    tally.summary(settings)
}

/// A [`Summary`] counted a call at a time, so that a period's figures can be folded over
/// its calls as they are read, without holding them ([`summarize`] counts a whole set).
#[derive(Clone, Debug, Default)]
pub struct Tally {
    summary: Summary,
    waits: Vec<i64>,
    answered_waits: Vec<i64>,
    handling: Vec<i64>,
    /// Agents' parts of calls transferred to them: handled, not taken from the queue.
    transferred_in: u64,
}

impl Tally {
    /// Counts `call` (nothing when it was not offered to a queue).
    pub fn add(&mut self, call: &CallFacts, settings: &MetricsSettings) {
        if let Some(offered) = Offered::of(call) {
            self.count(offered, settings);
        }
    }

    /// Counts a call offered to the queue.
    pub fn count(&mut self, call: Offered, settings: &MetricsSettings) {
        let summary = &mut self.summary;
        summary.offered += 1;
        match call.outcome {
            Outcome::Answered => {
                summary.answered += 1;
                if call.transferred_in {
                    self.transferred_in += 1;
                }
                if let Some(wait) = call.wait_ms {
                    self.answered_waits.push(wait);
                    if wait <= settings.service_level_threshold_ms {
                        summary.answered_within_threshold += 1;
                    }
                }
                self.handling.push(call.handling_ms);
            }
            Outcome::Abandoned => {
                summary.abandoned += 1;
                if call.wait_ms.is_some_and(|w| w < settings.short_abandon_ms) {
                    summary.short_abandoned += 1;
                }
            }
            Outcome::Other => {}
        }
        if let Some(wait) = call.wait_ms {
            self.waits.push(wait);
        }
    }

    /// The figures of the calls counted.
    pub fn summary(self, settings: &MetricsSettings) -> Summary {
        let Tally {
            mut summary,
            mut waits,
            answered_waits,
            handling,
            transferred_in,
        } = self;
        summary.service_level_threshold_s = settings.service_level_threshold_ms / 1000;
        summary.service_level_denominator =
            summary.offered - summary.short_abandoned - transferred_in;
        summary.service_level = ratio(
            summary.answered_within_threshold,
            summary.service_level_denominator,
        );
        summary.abandon_rate = ratio(summary.abandoned, summary.offered);
        summary.asa_ms = mean(&answered_waits);
        summary.aht_ms = mean(&handling);
        waits.sort_unstable();
        summary.wait_median_ms = percentile(&waits, 50);
        summary.wait_p90_ms = percentile(&waits, 90);
        summary.wait_max_ms = waits.last().copied();
        summary
    }
}

/// [`Tally`]s per bucket (a queue, an agent, a day…): each bucket's figures, counted a call
/// at a time.
#[derive(Clone, Debug, Default)]
pub struct Tallies(BTreeMap<String, Tally>);

impl Tallies {
    /// Counts `call` in the figures of bucket `key` (a bucket with no call offered to a
    /// queue is still there, with zero figures).
    pub fn add(&mut self, key: &str, call: &CallFacts, settings: &MetricsSettings) {
        self.in_bucket(key, |tally| tally.add(call, settings));
    }

    /// Counts a call offered to a queue in the figures of bucket `key`.
    pub fn count(&mut self, key: &str, call: Offered, settings: &MetricsSettings) {
        self.in_bucket(key, |tally| tally.count(call, settings));
    }

    fn in_bucket(&mut self, key: &str, count: impl FnOnce(&mut Tally)) {
        match self.0.get_mut(key) {
            Some(tally) => count(tally),
            None => {
                let mut tally = Tally::default();
                count(&mut tally);
                self.0.insert(key.to_owned(), tally);
            }
        }
    }

    /// The figures per bucket, buckets in order.
    pub fn summaries(self, settings: &MetricsSettings) -> BTreeMap<String, Summary> {
        self.0
            .into_iter()
            .map(|(key, tally)| (key, tally.summary(settings)))
            .collect()
    }
}

/// Figures per bucket, buckets in order. By queue, calls without a queue are left out: they
/// are not queue calls (there is no pseudo-queue for them).
pub fn group(
    calls: &[CallRow],
    bucket: Bucket,
    settings: &MetricsSettings,
) -> BTreeMap<String, Summary> {
    let mut tallies = Tallies::default();
    for call in calls {
        if bucket == Bucket::Agent {
            for (agent, part) in agent_parts(call) {
                tallies.add(&agent, &part.facts(), settings);
            }
        } else if let Some(key) = bucket_key(call, bucket, settings) {
            tallies.add(&key, &call.facts(), settings);
        }
    }
    tallies.summaries(settings)
}

/// Figures per queue of `calls`, queues in order; calls without a queue are left out
/// ([`group`] by [`Bucket::Queue`], from the facts alone).
pub fn by_queue<'a>(
    calls: impl IntoIterator<Item = &'a CallFacts>,
    settings: &MetricsSettings,
) -> BTreeMap<String, Summary> {
    let mut queues = Tallies::default();
    for call in calls {
        if let Some(queue) = &call.queue {
            queues.add(queue, call, settings);
        }
    }
    queues.summaries(settings)
}

/// Each agent's part of `call`, as that agent's call: one per agent who talked on it. A
/// transferred call is handled by every agent in it, each with their own talk (their
/// segments); the answering agent keeps the queue wait (their service level and ASA) and
/// the hold, the agent who talked last the wrap-up time. A target agent's part has no
/// queue join: handled by them, but outside their service level and ASA (docs/metrics.md). A call without segments is its answering (else handling) agent's
/// whole (`-` for none).
pub fn agent_parts(call: &CallRow) -> Vec<(String, CallRow)> {
    if call.agent_segments.is_empty() {
        let agent = call
            .answered_by_extension
            .clone()
            .or_else(|| call.agent_extension.clone())
            .unwrap_or_else(|| "-".into());
        return vec![(agent, call.clone())];
    }
    let first = call
        .answered_by_extension
        .clone()
        .unwrap_or_else(|| call.agent_segments[0].extension.clone());
    let last = call.agents().into_iter().next();
    let mut parts: Vec<(String, CallRow)> = Vec::new();
    for segment in &call.agent_segments {
        if parts.iter().any(|(agent, _)| *agent == segment.extension) {
            continue;
        }
        let mine = call
            .agent_segments
            .iter()
            .filter(|s| s.extension == segment.extension);
        let talk = mine.filter_map(|s| s.talk_ms).reduce(|a, b| a + b);
        let answering = segment.extension == first;
        let mut part = call.clone();
        part.talk_ms = talk;
        if !answering {
            // Not taken from the queue: out of this agent's service level and ASA.
            part.queued_at_ms = None;
            part.answered_at_ms = None;
            part.wait_ms = None;
            part.hold_ms = Some(0);
        }
        if last.as_ref() != Some(&segment.extension) {
            part.wrapup_ms = None;
        }
        parts.push((segment.extension.clone(), part));
    }
    parts
}

fn bucket_key(call: &CallRow, bucket: Bucket, settings: &MetricsSettings) -> Option<String> {
    Some(match bucket {
        Bucket::Hour | Bucket::Day | Bucket::Month | Bucket::HourOfDay => {
            time_key(call.started_at_ms, bucket, settings)
        }
        Bucket::Queue => call.queue.clone()?,
        Bucket::Agent => agent_parts(call)
            .into_iter()
            .next()
            .map_or_else(|| "-".into(), |(agent, _)| agent),
    })
}

/// The local-time key of `at_ms` (ms since the epoch) for a time bucket; the queue and
/// agent buckets have no time key and give the day.
pub(crate) fn time_key(at_ms: i64, bucket: Bucket, settings: &MetricsSettings) -> String {
    let local_ms = at_ms + i64::from(settings.utc_offset_minutes) * 60_000;
    let (year, month, day) = civil_from_days(local_ms.div_euclid(86_400_000));
    let hour = local_ms.rem_euclid(86_400_000) / 3_600_000;
    match bucket {
        Bucket::Hour => format!("{year:04}-{month:02}-{day:02}T{hour:02}"),
        Bucket::Month => format!("{year:04}-{month:02}"),
        Bucket::HourOfDay => format!("{hour:02}"),
        Bucket::Day | Bucket::Queue | Bucket::Agent => {
            format!("{year:04}-{month:02}-{day:02}")
        }
    }
}

/// Gregorian (year, month, day) of a day count since 1970-01-01 (H. Hinnant's algorithm).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

fn mean(values: &[i64]) -> Option<i64> {
    let count = i64::try_from(values.len()).ok().filter(|&n| n > 0)?;
    Some(values.iter().sum::<i64>() / count)
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests;
