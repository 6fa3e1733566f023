//! Contact-center figures computed from the call log, as `../shared/ARCHITECTURE.md`
//! defines them. Pure functions over [`CallFacts`](crate::CallFacts) (what the figures
//! read of a call; reports with per-agent figures start from whole
//! [`CallRow`](crate::CallRow)s): the store fetches, these count.
//!
//! - [`summary`]: offered / answered / abandoned, service level, ASA, wait percentiles,
//!   AHT, for any set of calls; [`group`] buckets calls by hour, day, month, queue or agent,
//!   [`by_queue`] the facts alone by queue.
//! - [`calendar`]: report dates, ISO or Jalali, to day numbers.
//! - [`periods`]: named periods (`today`, `last-week`, `this-month`, …), Gregorian or Jalali.
//! - [`fcr`]: first-call resolution, following the customer (contact, else E.164 number).
//! - [`per_call`]: the figures stored on each call (service-level flag, first contact,
//!   FCR status).
//! - [`cases`]: service requests derived from the FCR chain (opened, closed, contacts per
//!   case).
//! - [`scope`]: a report's period of local days and its queue and agent filters.
//! - [`report`]: a report's figures, for the reports page, its CSV and `tamas report`.

pub mod calendar;
pub mod cases;
pub mod fcr;
pub mod per_call;
pub mod periods;
pub mod report;
pub mod scope;
pub mod summary;

pub use cases::{Case, CaseSummary, CloseReason, Closure, build_cases, summarize_cases};
pub use fcr::{FcrStatus, FcrSummary, classify_fcr, summarize_fcr};
pub use per_call::call_metrics;
pub use scope::Scope;
pub use summary::{
    Bucket, Offered, Summary, Tallies, Tally, agent_parts, by_queue, group, summarize,
};

/// The thresholds the figures depend on; each figure states the one it used.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricsSettings {
    /// Service level: answered within this many ms (default 20 s).
    pub service_level_threshold_ms: i64,
    /// The service level aimed at, 0 to 1 (default 0.8): the reports' target line, the
    /// wallboard's colours.
    pub service_level_target: f64,
    /// Abandons shorter than this are short abandons, left out of the service-level
    /// denominator (default 5 s).
    pub short_abandon_ms: i64,
    /// FCR: a repeat within this window makes a first contact unresolved (default 7 days).
    pub fcr_window_ms: i64,
    /// Offset of local time from UTC, for hour/day/month buckets (Iran: +210 minutes).
    pub utc_offset_minutes: i32,
}

impl MetricsSettings {
    /// The local day containing `ms` (ms since the epoch), as days since 1970-01-01.
    pub fn local_day(&self, ms: i64) -> i64 {
        (ms + self.utc_offset_ms()).div_euclid(DAY_MS)
    }

    /// Local midnight (ms since the epoch) starting the day containing `ms`.
    pub fn local_midnight(&self, ms: i64) -> i64 {
        self.local_day(ms) * DAY_MS - self.utc_offset_ms()
    }

    fn utc_offset_ms(&self) -> i64 {
        i64::from(self.utc_offset_minutes) * 60_000
    }
}

/// A day, in ms.
const DAY_MS: i64 = 86_400_000;

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            service_level_threshold_ms: 20_000,
            service_level_target: 0.8,
            short_abandon_ms: 5_000,
            fcr_window_ms: 7 * 24 * 3_600_000,
            utc_offset_minutes: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MetricsSettings;

    #[test]
    fn the_day_is_the_local_calendar_day() {
        let iran = MetricsSettings {
            utc_offset_minutes: 210,
            ..MetricsSettings::default()
        };
        // 2026-12-04 00:10 in Tehran (+03:30) is 2026-12-03 20:40 UTC.
        let now = 1_796_330_400_000; // 2026-12-03T20:40:00Z
        let (midnight, day) = (iran.local_midnight(now), iran.local_day(now));
        assert_eq!(midnight, now - 10 * 60_000);
        assert_eq!(iran.local_day(midnight), day);
        assert_eq!(iran.local_day(midnight - 1), day - 1);
    }
}
