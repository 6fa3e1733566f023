//! The headline figures of a period: calls offered, answered and abandoned, service level,
//! waiting and handling times, first-call resolution and service requests.

use crm_core::metrics::report::Report;
use crm_core::metrics::{CaseSummary, FcrSummary, MetricsSettings, Summary};

use super::view::{fcr_window_days, threshold_seconds};
use super::writer::{Writer, to_i64};
use crate::i18n::Arg;

/// A headline figure: what, how much, and how it is computed.
pub(super) struct Headline {
    pub(super) label: String,
    pub(super) value: String,
    pub(super) how: String,
}

/// The headline figures of `report`, in the page's order.
pub(super) fn headlines(
    w: &Writer<'_>,
    report: &Report,
    settings: &MetricsSettings,
) -> Vec<Headline> {
    let total = &report.total;
    let short_s = settings.short_abandon_ms / 1000;
    vec![
        Headline {
            label: w.t("reports-offered"),
            value: w.count(total.offered),
            how: w.t("reports-offered-how"),
        },
        Headline {
            label: w.t("reports-answered"),
            value: w.count(total.answered),
            how: w.t("reports-answered-how"),
        },
        Headline {
            label: w.t("reports-abandoned"),
            value: w.abandoned(total),
            how: w.ta(
                "reports-abandoned-how",
                &[("seconds", Arg::Number(short_s))],
            ),
        },
        service_level(w, total, settings),
        Headline {
            label: w.t("reports-asa"),
            value: w.duration(total.asa_ms),
            how: w.t("reports-asa-how"),
        },
        Headline {
            label: w.t("reports-wait"),
            value: format!(
                "{} / {} / {}",
                w.duration(total.wait_median_ms),
                w.duration(total.wait_p90_ms),
                w.duration(total.wait_max_ms)
            ),
            how: w.t("reports-wait-how"),
        },
        Headline {
            label: w.t("reports-aht"),
            value: w.duration(total.aht_ms),
            how: w.t("reports-aht-how"),
        },
        first_call_resolution(w, &report.fcr, settings),
        requests(w, &report.cases, settings),
    ]
}

/// The service level of `total`, with the threshold and the calls it counts.
fn service_level(w: &Writer<'_>, total: &Summary, settings: &MetricsSettings) -> Headline {
    Headline {
        label: w.t("reports-service-level"),
        value: w.percent(total.service_level),
        how: w.ta(
            "reports-service-level-how",
            &[
                ("seconds", Arg::Number(threshold_seconds(settings))),
                (
                    "within",
                    Arg::Number(to_i64(total.answered_within_threshold)),
                ),
                (
                    "denominator",
                    Arg::Number(to_i64(total.service_level_denominator)),
                ),
            ],
        ),
    }
}

/// The first-call resolution rate, with the first contacts settled and the window.
fn first_call_resolution(w: &Writer<'_>, fcr: &FcrSummary, settings: &MetricsSettings) -> Headline {
    Headline {
        label: w.t("reports-fcr"),
        value: w.fcr(fcr),
        how: w.ta(
            "reports-fcr-how",
            &[
                ("settled", Arg::Number(to_i64(fcr.settled_first_contacts))),
                ("days", Arg::Number(fcr_window_days(settings))),
            ],
        ),
    }
}

/// The service requests opened, with those closed, still open and their contacts.
fn requests(w: &Writer<'_>, cases: &CaseSummary, settings: &MetricsSettings) -> Headline {
    Headline {
        label: w.t("reports-requests"),
        value: w.count(cases.opened),
        how: w.ta(
            "reports-requests-how",
            &[
                ("days", Arg::Number(fcr_window_days(settings))),
                ("closed", Arg::Number(to_i64(cases.closed))),
                ("open", Arg::Number(to_i64(cases.still_open))),
                (
                    "mean",
                    Arg::Text(
                        &cases
                            .contacts_per_case
                            .map_or_else(|| "—".to_owned(), |m| w.digits(&format!("{m:.2}"))),
                    ),
                ),
                (
                    "max",
                    Arg::Text(
                        &cases
                            .contacts_per_case_max
                            .map_or_else(|| "—".to_owned(), |m| w.count(m)),
                    ),
                ),
            ],
        ),
    }
}
