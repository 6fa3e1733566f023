//! The reports' tables as CSV (`/reports.csv?table=…`): one header row of column names,
//! ASCII numbers (seconds with one decimal, rates as fractions), and every cell that a
//! spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
//! carriage return) prefixed with `'` so that it stays text.

use std::str::FromStr;

use crm_core::metrics::{FcrSummary, Summary};

use crm_core::metrics::report::{Report, WAIT_BINS};

/// The tables that can be exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// Calls per local hour of day.
    Hours,
    /// Figures and service requests per day.
    Days,
    /// Figures per queue.
    Queues,
    /// Figures per agent.
    Agents,
    /// The wait-time distribution.
    Waits,
}

impl FromStr for Table {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "hours" => Ok(Table::Hours),
            "days" => Ok(Table::Days),
            "queues" => Ok(Table::Queues),
            "agents" => Ok(Table::Agents),
            "waits" => Ok(Table::Waits),
            _ => Err(format!(
                "{text:?} is not a table (hours, days, queues, agents, waits)"
            )),
        }
    }
}

impl Table {
    /// The table's name in URLs and file names.
    pub fn name(self) -> &'static str {
        match self {
            Table::Hours => "hours",
            Table::Days => "days",
            Table::Queues => "queues",
            Table::Agents => "agents",
            Table::Waits => "waits",
        }
    }
}

/// A cell a spreadsheet will not run: formulas become text.
pub fn protect(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

fn seconds(ms: Option<i64>) -> String {
    ms.map_or_else(String::new, |ms| format!("{:.1}", ms as f64 / 1000.0))
}

fn fraction(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| format!("{v:.4}"))
}

const SUMMARY_COLUMNS: [&str; 13] = [
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "answered_within_threshold",
    "service_level_denominator",
    "service_level",
    "asa_s",
    "wait_median_s",
    "wait_p90_s",
    "wait_max_s",
    "aht_s",
    "abandon_rate",
];

fn summary_cells(s: &Summary) -> Vec<String> {
    vec![
        s.offered.to_string(),
        s.answered.to_string(),
        s.abandoned.to_string(),
        s.short_abandoned.to_string(),
        s.answered_within_threshold.to_string(),
        s.service_level_denominator.to_string(),
        fraction(s.service_level),
        seconds(s.asa_ms),
        seconds(s.wait_median_ms),
        seconds(s.wait_p90_ms),
        seconds(s.wait_max_ms),
        seconds(s.aht_ms),
        fraction(s.abandon_rate),
    ]
}

fn fcr_cells(f: &FcrSummary) -> Vec<String> {
    vec![
        fraction(f.rate),
        f.settled_first_contacts.to_string(),
        f.pending.to_string(),
    ]
}

const FCR_COLUMNS: [&str; 3] = ["fcr_rate", "fcr_settled_first_contacts", "fcr_pending"];

/// The rows of `table`, header first.
pub fn rows(report: &Report, table: Table) -> Vec<Vec<String>> {
    match table {
        Table::Hours => hour_rows(report),
        Table::Days => day_rows(report),
        Table::Queues => queue_rows(report),
        Table::Agents => agent_rows(report),
        Table::Waits => wait_rows(report),
    }
}

/// A header row: the columns of `first`, then those of `rest`.
fn header(first: &[&str], rest: &[&str]) -> Vec<String> {
    first
        .iter()
        .chain(rest)
        .map(|c| (*c).to_owned())
        .collect::<Vec<_>>()
}

/// [`Table::Hours`]: one row per local hour of day.
fn hour_rows(report: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![header(&["hour"], &SUMMARY_COLUMNS)];
    for (hour, summary) in &report.hours {
        rows.push([vec![hour.clone()], summary_cells(summary)].concat());
    }
    rows
}

/// [`Table::Days`]: one row per day, with the service requests opened that day.
fn day_rows(report: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![header(
        &["day"],
        &[&SUMMARY_COLUMNS[..], &["requests_opened"]].concat(),
    )];
    for (_, day, summary) in &report.days {
        let opened = report.cases.opened_per_day.get(day).copied().unwrap_or(0);
        rows.push(
            [
                vec![day.clone()],
                summary_cells(summary),
                vec![opened.to_string()],
            ]
            .concat(),
        );
    }
    rows
}

/// [`Table::Queues`]: one row per queue.
fn queue_rows(report: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![header(
        &["queue"],
        &[&SUMMARY_COLUMNS[..], &FCR_COLUMNS].concat(),
    )];
    for line in &report.queues {
        rows.push(
            [
                vec![line.queue.clone()],
                summary_cells(&line.summary),
                fcr_cells(&line.fcr),
            ]
            .concat(),
        );
    }
    rows
}

/// [`Table::Agents`]: one row per agent.
fn agent_rows(report: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![header(
        &["extension", "name", "handled", "aht_s"],
        &[&FCR_COLUMNS[..], &["requests_closed"]].concat(),
    )];
    for line in &report.agents {
        rows.push(
            [
                vec![
                    line.extension.clone(),
                    line.name.clone().unwrap_or_default(),
                    line.summary.answered.to_string(),
                    seconds(line.summary.aht_ms),
                ],
                fcr_cells(&line.fcr),
                vec![line.requests_closed.to_string()],
            ]
            .concat(),
        );
    }
    rows
}

/// [`Table::Waits`]: one row per waiting-time bin ([`WAIT_BINS`]).
fn wait_rows(report: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![header(&["wait_from_s", "wait_to_s", "calls"], &[])];
    for ((from, to), calls) in WAIT_BINS.iter().zip(report.waits) {
        rows.push(vec![
            from.to_string(),
            to.map_or_else(String::new, |t| t.to_string()),
            calls.to_string(),
        ]);
    }
    rows
}

/// `table` as a CSV document, formula cells protected.
pub fn write(report: &Report, table: Table) -> Result<Vec<u8>, ::csv::Error> {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    for row in rows(report, table) {
        writer.write_record(row.iter().map(|cell| protect(cell)))?;
    }
    writer
        .into_inner()
        .map_err(|err| ::csv::Error::from(err.into_error()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crm_core::metrics::MetricsSettings;

    use super::*;
    use crm_core::metrics::report::{ReportQuery, compute, resolve};
    use crm_core::{CallRow, Direction, Disposition};

    #[test]
    fn formulas_become_text() {
        assert_eq!(protect("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(protect("+98912"), "'+98912");
        assert_eq!(protect("-1"), "'-1");
        assert_eq!(protect("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(protect("\tx"), "'\tx");
        assert_eq!(protect("support"), "support");
        assert_eq!(protect(""), "");
        assert_eq!("queues".parse(), Ok(Table::Queues));
        assert!("<x>".parse::<Table>().is_err());
    }

    #[test]
    fn a_hostile_queue_name_is_quoted_and_protected() {
        let settings = MetricsSettings::default();
        let period = resolve(
            &ReportQuery {
                from: Some("1970-01-01".into()),
                to: Some("1970-01-01".into()),
                ..ReportQuery::default()
            },
            0,
            crm_core::metrics::periods::Calendar::Gregorian,
            &settings,
        )
        .unwrap();
        let mut call = CallRow::fixture(1, Direction::Inbound, Disposition::Abandoned, 1000);
        call.queue = Some("=cmd|' /C calc'!A0, \"x\"".into());
        call.wait_ms = Some(12_000);
        let report = compute(&[call], period, &HashMap::new(), 0, &settings);
        let text = String::from_utf8(write(&report, Table::Queues).unwrap()).unwrap();
        let line = text.lines().nth(1).unwrap();
        assert!(
            line.starts_with("\"'=cmd|' /C calc'!A0, \"\"x\"\"\",1,0,1,0"),
            "{text}"
        );
        let waits = String::from_utf8(write(&report, Table::Waits).unwrap()).unwrap();
        assert!(waits.contains("\n10,20,1\n"), "{waits}");
    }
}
