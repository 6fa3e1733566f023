//! The report's charts ([`Figure`]s): calls per hour of day, service level per day, and
//! the distribution of waiting times, each drawn by [`crate::reports::svg`].

use crm_core::Locale;
use crm_core::metrics::report::{Report, WAIT_BINS};
use crm_core::metrics::{MetricsSettings, Summary};

use super::view::{csv_link, threshold_seconds};
use super::writer::{Writer, to_i64};
use crate::i18n::Arg;
use crate::reports::csv::Table;
use crate::reports::svg::{self, Bar, Chart, Target};

/// A chart with its heading and explanation.
pub(super) struct Figure {
    pub(super) heading: String,
    pub(super) how: String,
    pub(super) svg: String,
    pub(super) csv: String,
}

/// The charts of `report`, in the page's order.
pub(super) fn figures(w: &Writer<'_>, report: &Report, settings: &MetricsSettings) -> Vec<Figure> {
    let period = &report.period;
    let count_tick = |v: f64| w.tick_count(v);
    let percent_tick = |v: f64| w.digits(&format!("{:.0}%", v * 100.0));
    let target = settings.service_level_target;
    vec![
        Figure {
            heading: w.t("reports-hours"),
            how: w.t("reports-hours-how"),
            svg: svg::bar_chart(&hours_chart(w, report), &count_tick),
            csv: csv_link(Table::Hours, period),
        },
        Figure {
            heading: w.t("reports-days"),
            how: w.ta(
                "reports-days-how",
                &[
                    ("seconds", Arg::Number(threshold_seconds(settings))),
                    ("target", Arg::Text(&w.percent(Some(target)))),
                ],
            ),
            svg: svg::bar_chart(&days_chart(w, report, target), &percent_tick),
            csv: csv_link(Table::Days, period),
        },
        Figure {
            heading: w.t("reports-waits"),
            how: w.t("reports-waits-how"),
            svg: svg::bar_chart(&waits_chart(w, report), &count_tick),
            csv: csv_link(Table::Waits, period),
        },
    ]
}

/// Calls answered and abandoned per local hour of day.
fn hours_chart(w: &Writer<'_>, report: &Report) -> Chart {
    Chart {
        title: w.t("reports-hours"),
        x_label: w.t("reports-axis-hour"),
        y_label: w.t("reports-axis-calls"),
        bars: report
            .hours
            .iter()
            .map(|(hour, s)| Bar {
                label: w.digits(hour),
                segments: vec![
                    (s.answered as f64, "seg-answered"),
                    (s.abandoned as f64, "seg-abandoned"),
                ],
                title: w.ta(
                    "reports-bar-hour",
                    &[
                        ("hour", Arg::Text(&w.digits(hour))),
                        ("answered", Arg::Number(to_i64(s.answered))),
                        ("abandoned", Arg::Number(to_i64(s.abandoned))),
                    ],
                ),
            })
            .collect(),
        empty_text: w.t("reports-no-calls"),
        rtl: w.locale() == Locale::Fa,
        ..Chart::default()
    }
}

/// The service level of every day, against the `target` line.
fn days_chart(w: &Writer<'_>, report: &Report, target: f64) -> Chart {
    Chart {
        title: w.t("reports-days"),
        x_label: w.t("reports-axis-day"),
        y_label: w.t("reports-service-level"),
        bars: report
            .days
            .iter()
            .map(|(day, _, s)| day_bar(w, *day, s, target))
            .collect(),
        y_max: Some(1.0),
        target: Some(Target {
            value: target,
            label: w.ta(
                "reports-target",
                &[("target", Arg::Text(&w.percent(Some(target))))],
            ),
        }),
        empty_text: w.t("reports-no-calls"),
        rtl: w.locale() == Locale::Fa,
    }
}

/// One day's bar: its service level, coloured by whether it met `target`.
fn day_bar(w: &Writer<'_>, day: i64, s: &Summary, target: f64) -> Bar {
    Bar {
        label: w.day_label(day),
        segments: s
            .service_level
            .map(|level| {
                let class = if level >= target {
                    "sl-met"
                } else {
                    "sl-missed"
                };
                // A day at 0% still shows a sliver, unlike a day without calls.
                vec![(level.max(0.005), class)]
            })
            .unwrap_or_default(),
        title: match s.service_level {
            Some(level) => w.ta(
                "reports-bar-day",
                &[
                    ("day", Arg::Text(&w.clock.day_input(day))),
                    ("level", Arg::Text(&w.percent(Some(level)))),
                    ("within", Arg::Number(to_i64(s.answered_within_threshold))),
                    (
                        "denominator",
                        Arg::Number(to_i64(s.service_level_denominator)),
                    ),
                ],
            ),
            None => w.ta(
                "reports-bar-day-empty",
                &[("day", Arg::Text(&w.clock.day_input(day)))],
            ),
        },
    }
}

/// Offered calls per waiting-time bin ([`WAIT_BINS`]).
fn waits_chart(w: &Writer<'_>, report: &Report) -> Chart {
    Chart {
        title: w.t("reports-waits"),
        x_label: w.t("reports-axis-wait"),
        y_label: w.t("reports-axis-calls"),
        bars: WAIT_BINS
            .iter()
            .zip(report.waits)
            .map(|((from, to), calls)| {
                let range = match to {
                    Some(to) => w.digits(&format!("{from}–{to}")),
                    None => w.digits(&format!("{from}+")),
                };
                Bar {
                    title: w.ta(
                        "reports-bar-wait",
                        &[
                            ("range", Arg::Text(&range)),
                            ("count", Arg::Number(to_i64(calls))),
                        ],
                    ),
                    label: range,
                    segments: vec![(calls as f64, "seg-wait")],
                }
            })
            .collect(),
        empty_text: w.t("reports-no-calls"),
        rtl: w.locale() == Locale::Fa,
        ..Chart::default()
    }
}
