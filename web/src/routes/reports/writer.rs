//! [`Writer`]: figures written for one reader — their language, digits, durations and
//! calendar.

use crm_core::Locale;
use crm_core::metrics::{FcrSummary, Summary};

use crate::i18n::{self, Arg, LocalClock, localize_digits};

/// Writes figures for one reader.
pub(super) struct Writer<'a> {
    pub(super) clock: &'a LocalClock,
}

impl Writer<'_> {
    pub(super) fn locale(&self) -> Locale {
        self.clock.locale
    }

    pub(super) fn t(&self, id: &str) -> String {
        i18n::t(self.locale(), id)
    }

    pub(super) fn ta(&self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        i18n::t_args(self.locale(), id, args)
    }

    pub(super) fn digits(&self, text: &str) -> String {
        localize_digits(text, self.locale())
    }

    pub(super) fn count(&self, n: u64) -> String {
        self.digits(&n.to_string())
    }

    pub(super) fn percent(&self, value: Option<f64>) -> String {
        value.map_or_else(
            || "—".to_owned(),
            |v| self.digits(&format!("{:.1}%", v * 100.0)),
        )
    }

    pub(super) fn duration(&self, ms: Option<i64>) -> String {
        self.clock.duration(ms)
    }

    pub(super) fn fcr(&self, fcr: &FcrSummary) -> String {
        let pending = self.ta(
            "reports-pending",
            &[("count", Arg::Number(to_i64(fcr.pending)))],
        );
        format!("{} ({pending})", self.percent(fcr.rate))
    }

    pub(super) fn abandoned(&self, s: &Summary) -> String {
        let short = self.ta(
            "reports-short",
            &[("count", Arg::Number(to_i64(s.short_abandoned)))],
        );
        format!("{} ({short})", self.count(s.abandoned))
    }

    /// A day's short label in the reader's calendar: `11-22` / `۰۹-۰۱`.
    pub(super) fn day_label(&self, day: i64) -> String {
        let (_, month, day) = self.clock.calendar_date(day);
        self.digits(&format!("{month:02}-{day:02}"))
    }

    pub(super) fn tick_count(&self, value: f64) -> String {
        if (value - value.round()).abs() < 1e-9 {
            self.digits(&format!("{value:.0}"))
        } else {
            String::new()
        }
    }
}

pub(super) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
