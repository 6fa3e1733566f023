//! A report written for one reader ([`View`]): the period, then the headline figures, the
//! charts and the tables, each with how it is computed and a link to its CSV.

use crm_core::metrics::MetricsSettings;
use crm_core::metrics::periods::iso_date;
use crm_core::metrics::report::{Period, Report};

use super::charts::{Figure, figures};
use super::headlines::{Headline, headlines};
use super::tables::{TableView, tables};
use super::writer::Writer;
use crate::i18n::{Arg, LocalClock};
use crate::reports::csv::Table;

/// The figures of a period, written for one reader.
pub(super) struct View {
    pub(super) period: String,
    pub(super) headlines: Vec<Headline>,
    pub(super) figures: Vec<Figure>,
    pub(super) tables: Vec<TableView>,
}

/// `report` written for the reader of `clock`.
pub(super) fn view(clock: &LocalClock, report: &Report, settings: &MetricsSettings) -> View {
    let w = Writer { clock };
    let period = &report.period;
    let headlines = headlines(&w, report, settings);
    let figures = figures(&w, report, settings);
    let tables = tables(&w, report, settings);
    View {
        period: w.ta(
            "reports-period",
            &[
                ("from", Arg::Text(&clock.day_input(period.from_day))),
                ("to", Arg::Text(&clock.day_input(period.to_day))),
            ],
        ),
        headlines,
        figures,
        tables,
    }
}

/// The service-level threshold, in whole seconds.
pub(super) fn threshold_seconds(settings: &MetricsSettings) -> i64 {
    settings.service_level_threshold_ms / 1000
}

/// The first-call-resolution window, in whole days.
pub(super) fn fcr_window_days(settings: &MetricsSettings) -> i64 {
    settings.fcr_window_ms / 86_400_000
}

/// The address of `table` as CSV, for the period and scope of `period`.
pub(super) fn csv_link(table: Table, period: &Period) -> String {
    let query = serde_urlencoded::to_string([
        ("table", table.name()),
        ("from", iso_date(period.from_day).as_str()),
        ("to", iso_date(period.to_day).as_str()),
        ("queue", period.scope.queue.as_deref().unwrap_or("")),
        ("agent", period.scope.agent.as_deref().unwrap_or("")),
    ])
    .unwrap_or_default();
    format!("/reports.csv?{query}")
}
