//! The report's tables ([`TableView`]s): figures per queue and per agent.

use crm_core::metrics::MetricsSettings;
use crm_core::metrics::report::Report;

use super::view::{csv_link, fcr_window_days, threshold_seconds};
use super::writer::Writer;
use crate::i18n::Arg;
use crate::reports::csv::Table;

/// The per-queue table's columns (message ids).
const QUEUE_COLUMNS: [&str; 8] = [
    "reports-col-queue",
    "reports-offered",
    "reports-answered",
    "reports-abandoned",
    "reports-service-level",
    "reports-asa",
    "reports-aht",
    "reports-fcr",
];

/// The per-agent table's columns (message ids).
const AGENT_COLUMNS: [&str; 5] = [
    "reports-col-agent",
    "reports-col-handled",
    "reports-aht",
    "reports-fcr",
    "reports-col-closed",
];

/// A table with its heading, explanation, column names and cells.
pub(super) struct TableView {
    pub(super) heading: String,
    pub(super) how: String,
    pub(super) columns: Vec<String>,
    pub(super) rows: Vec<Vec<String>>,
    pub(super) csv: String,
}

/// The tables of `report`, in the page's order.
pub(super) fn tables(
    w: &Writer<'_>,
    report: &Report,
    settings: &MetricsSettings,
) -> Vec<TableView> {
    vec![
        queue_table(w, report, settings),
        agent_table(w, report, settings),
    ]
}

/// Figures per queue.
fn queue_table(w: &Writer<'_>, report: &Report, settings: &MetricsSettings) -> TableView {
    TableView {
        heading: w.t("reports-queues"),
        how: w.ta(
            "reports-queues-how",
            &[("seconds", Arg::Number(threshold_seconds(settings)))],
        ),
        columns: QUEUE_COLUMNS.iter().map(|c| w.t(c)).collect(),
        rows: report
            .queues
            .iter()
            .map(|line| {
                let s = &line.summary;
                vec![
                    line.queue.clone(),
                    w.count(s.offered),
                    w.count(s.answered),
                    w.abandoned(s),
                    w.percent(s.service_level),
                    w.duration(s.asa_ms),
                    w.duration(s.aht_ms),
                    w.fcr(&line.fcr),
                ]
            })
            .collect(),
        csv: csv_link(Table::Queues, &report.period),
    }
}

/// Figures per agent.
fn agent_table(w: &Writer<'_>, report: &Report, settings: &MetricsSettings) -> TableView {
    TableView {
        heading: w.t("reports-agents"),
        how: w.ta(
            "reports-agents-how",
            &[("days", Arg::Number(fcr_window_days(settings)))],
        ),
        columns: AGENT_COLUMNS.iter().map(|c| w.t(c)).collect(),
        rows: report
            .agents
            .iter()
            .map(|line| {
                let name = match &line.name {
                    Some(name) => format!("{name} ({})", line.extension),
                    None => line.extension.clone(),
                };
                vec![
                    name,
                    w.count(line.summary.answered),
                    w.duration(line.summary.aht_ms),
                    w.fcr(&line.fcr),
                    w.count(line.requests_closed),
                ]
            })
            .collect(),
        csv: csv_link(Table::Agents, &report.period),
    }
}
