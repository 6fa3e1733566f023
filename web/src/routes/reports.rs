//! `/reports`: the supervisors' reports page (headline figures, charts, per-queue and
//! per-agent tables for a period, a queue and an agent), and `/reports.csv?table=…`: each
//! table as CSV. Supervisors and admins only.
//!
//! Dates are typed ISO (`2026-11-22`) or Jalali (`1405-09-01`), and shown in the reader's
//! calendar; a date that cannot be read gives the page back with the reason (400). Named
//! periods (`today` … `last-month`) are offered as one-click choices and read in the
//! reader's calendar (Persian: Jalali months, weeks from Saturday).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use crm_core::metrics::periods::{Calendar, NamedPeriod, iso_date};
use crm_core::metrics::report::{
    MAX_DAYS, Period, QueryError, Report, ReportQuery, WAIT_BINS, load, resolve,
};
use crm_core::metrics::{FcrSummary, MetricsSettings, Summary};
use crm_core::{Locale, Role};

use crate::auth::{CurrentUser, PageUser};
use crate::i18n::{self, Arg, LocalClock, localize_digits};
use crate::pages::{Page, render};
use crate::reports::csv::{self, Table};
use crate::reports::svg::{self, Bar, Chart, Target};

use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};

/// `/reports`, `/reports.csv`.
pub fn router() -> Routes {
    Routes::new()
        .get("/reports", Access::Page(Role::Supervisor), reports_page)
        .get("/reports.csv", Access::Api(Role::Supervisor), reports_csv)
}

/// A headline figure: what, how much, and how it is computed.
struct Headline {
    label: String,
    value: String,
    how: String,
}

/// A chart with its heading and explanation.
struct Figure {
    heading: String,
    how: String,
    svg: String,
    csv: String,
}

/// A table with its heading, explanation, column names and cells.
struct TableView {
    heading: String,
    how: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    csv: String,
}

/// The figures of a period, written for one reader.
struct View {
    period: String,
    headlines: Vec<Headline>,
    figures: Vec<Figure>,
    tables: Vec<TableView>,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    page: Page,
    from: String,
    to: String,
    queue: String,
    agent: String,
    queues: Vec<String>,
    agents: Vec<(String, String)>,
    /// The named periods as links: label, address (with the queue and agent chosen).
    periods: Vec<(String, String)>,
    error: Option<String>,
    view: Option<View>,
}

/// The calendar named periods are read in for a reader.
fn calendar_of(locale: Locale) -> Calendar {
    match locale {
        Locale::Fa => Calendar::Jalali,
        Locale::En => Calendar::Gregorian,
    }
}

/// One link per named period, keeping the queue and agent.
fn period_links(locale: Locale, queue: &str, agent: &str) -> Vec<(String, String)> {
    NamedPeriod::ALL
        .into_iter()
        .map(|period| {
            let name = period.as_str();
            let query = serde_urlencoded::to_string([
                ("from", name),
                ("to", name),
                ("queue", queue),
                ("agent", agent),
            ])
            .unwrap_or_default();
            (
                i18n::t(locale, &format!("reports-period-{name}")),
                format!("/reports?{query}"),
            )
        })
        .collect()
}

fn parse_query(raw: Option<&str>) -> ReportQuery {
    serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default()
}

fn today(settings: &MetricsSettings) -> i64 {
    settings.local_day(crate::clock::now_ms())
}

/// Agent users' extensions and names, by extension.
async fn agent_names(state: &AppState) -> Result<HashMap<String, String>, Error> {
    Ok(state
        .store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.role == Role::Agent)
        .filter_map(|u| Some((u.extension?.as_str().to_owned(), u.display_name)))
        .collect())
}

#[tracing::instrument(skip_all, fields(user = %user.user.username))]
async fn reports_page(
    user: PageUser,
    State(state): State<AppState>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    let page = Page::for_user(&user, &state, &uri.to_string());
    if let Err(err) = user.require(Role::Supervisor) {
        return page.error_response(err);
    }
    let query = parse_query(raw.as_deref());
    match build_page(&state, page.clone(), &query).await {
        Ok((status, html)) => (status, render(&html)).into_response(),
        Err(err) => page.error_response(err),
    }
}

async fn build_page(
    state: &AppState,
    page: Page,
    query: &ReportQuery,
) -> Result<(StatusCode, ReportsPage), Error> {
    let settings = &state.metrics;
    let names = agent_names(state).await?;
    let mut agents: Vec<(String, String)> = names
        .iter()
        .map(|(ext, name)| (ext.clone(), format!("{name} ({ext})")))
        .collect();
    agents.sort();
    let typed = |v: &Option<String>| v.clone().unwrap_or_default();
    let locale = page.locale();
    let mut html = ReportsPage {
        periods: period_links(locale, &typed(&query.queue), &typed(&query.agent)),
        from: typed(&query.from),
        to: typed(&query.to),
        queue: typed(&query.queue),
        agent: typed(&query.agent),
        queues: Vec::new(),
        agents,
        error: None,
        view: None,
        page,
    };
    let period = match resolve(query, today(settings), calendar_of(locale), settings) {
        Ok(period) => period,
        Err(err) => {
            html.error = Some(query_error(html.page.locale(), &err));
            return Ok((StatusCode::BAD_REQUEST, html));
        }
    };
    html.from = html.page.clock.day_input(period.from_day);
    html.to = html.page.clock.day_input(period.to_day);
    let report = load(
        state.store.as_ref(),
        period,
        &names,
        crate::clock::now_ms(),
        settings,
    )
    .await?;
    html.queues = report.queue_names.clone();
    if !html.queue.is_empty() && !html.queues.contains(&html.queue) {
        html.queues.push(html.queue.clone());
    }
    html.view = Some(view(&html.page.clock, &report, settings));
    Ok((StatusCode::OK, html))
}

fn query_error(locale: Locale, err: &QueryError) -> String {
    match err {
        QueryError::BadDate(text) => {
            i18n::t_args(locale, "reports-bad-date", &[("value", Arg::Text(text))])
        }
        QueryError::Reversed => i18n::t(locale, "reports-reversed"),
        QueryError::TooLong => i18n::t_args(
            locale,
            "reports-too-long",
            &[("days", Arg::Number(MAX_DAYS))],
        ),
    }
}

/// Writes figures for one reader.
struct Writer<'a> {
    clock: &'a LocalClock,
}

impl Writer<'_> {
    fn locale(&self) -> Locale {
        self.clock.locale
    }

    fn t(&self, id: &str) -> String {
        i18n::t(self.locale(), id)
    }

    fn ta(&self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        i18n::t_args(self.locale(), id, args)
    }

    fn digits(&self, text: &str) -> String {
        localize_digits(text, self.locale())
    }

    fn count(&self, n: u64) -> String {
        self.digits(&n.to_string())
    }

    fn percent(&self, value: Option<f64>) -> String {
        value.map_or_else(
            || "—".to_owned(),
            |v| self.digits(&format!("{:.1}%", v * 100.0)),
        )
    }

    fn duration(&self, ms: Option<i64>) -> String {
        self.clock.duration(ms)
    }

    fn fcr(&self, fcr: &FcrSummary) -> String {
        let pending = self.ta(
            "reports-pending",
            &[("count", Arg::Number(to_i64(fcr.pending)))],
        );
        format!("{} ({pending})", self.percent(fcr.rate))
    }

    fn abandoned(&self, s: &Summary) -> String {
        let short = self.ta(
            "reports-short",
            &[("count", Arg::Number(to_i64(s.short_abandoned)))],
        );
        format!("{} ({short})", self.count(s.abandoned))
    }

    /// A day's short label in the reader's calendar: `11-22` / `۰۹-۰۱`.
    fn day_label(&self, day: i64) -> String {
        let (_, month, day) = self.clock.calendar_date(day);
        self.digits(&format!("{month:02}-{day:02}"))
    }

    fn tick_count(&self, value: f64) -> String {
        if (value - value.round()).abs() < 1e-9 {
            self.digits(&format!("{value:.0}"))
        } else {
            String::new()
        }
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn csv_link(table: Table, period: &Period) -> String {
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

fn view(clock: &LocalClock, report: &Report, settings: &MetricsSettings) -> View {
    let w = Writer { clock };
    let total = &report.total;
    let threshold_s = settings.service_level_threshold_ms / 1000;
    let short_s = settings.short_abandon_ms / 1000;
    let window_days = settings.fcr_window_ms / 86_400_000;
    let period = &report.period;
    let cases = &report.cases;

    let headlines = vec![
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
        Headline {
            label: w.t("reports-service-level"),
            value: w.percent(total.service_level),
            how: w.ta(
                "reports-service-level-how",
                &[
                    ("seconds", Arg::Number(threshold_s)),
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
        },
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
        Headline {
            label: w.t("reports-fcr"),
            value: w.fcr(&report.fcr),
            how: w.ta(
                "reports-fcr-how",
                &[
                    (
                        "settled",
                        Arg::Number(to_i64(report.fcr.settled_first_contacts)),
                    ),
                    ("days", Arg::Number(window_days)),
                ],
            ),
        },
        Headline {
            label: w.t("reports-requests"),
            value: w.count(cases.opened),
            how: w.ta(
                "reports-requests-how",
                &[
                    ("days", Arg::Number(window_days)),
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
        },
    ];

    let count_tick = |v: f64| w.tick_count(v);
    let percent_tick = |v: f64| w.digits(&format!("{:.0}%", v * 100.0));
    let hours = Chart {
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
    };
    let target = settings.service_level_target;
    let days = Chart {
        title: w.t("reports-days"),
        x_label: w.t("reports-axis-day"),
        y_label: w.t("reports-service-level"),
        bars: report
            .days
            .iter()
            .map(|(day, _, s)| Bar {
                label: w.day_label(*day),
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
                            ("day", Arg::Text(&clock.day_input(*day))),
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
                        &[("day", Arg::Text(&clock.day_input(*day)))],
                    ),
                },
            })
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
    };
    let waits = Chart {
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
    };
    let figures = vec![
        Figure {
            heading: w.t("reports-hours"),
            how: w.t("reports-hours-how"),
            svg: svg::bar_chart(&hours, &count_tick),
            csv: csv_link(Table::Hours, period),
        },
        Figure {
            heading: w.t("reports-days"),
            how: w.ta(
                "reports-days-how",
                &[
                    ("seconds", Arg::Number(threshold_s)),
                    ("target", Arg::Text(&w.percent(Some(target)))),
                ],
            ),
            svg: svg::bar_chart(&days, &percent_tick),
            csv: csv_link(Table::Days, period),
        },
        Figure {
            heading: w.t("reports-waits"),
            how: w.t("reports-waits-how"),
            svg: svg::bar_chart(&waits, &count_tick),
            csv: csv_link(Table::Waits, period),
        },
    ];

    let queue_columns = [
        "reports-col-queue",
        "reports-offered",
        "reports-answered",
        "reports-abandoned",
        "reports-service-level",
        "reports-asa",
        "reports-aht",
        "reports-fcr",
    ];
    let agent_columns = [
        "reports-col-agent",
        "reports-col-handled",
        "reports-aht",
        "reports-fcr",
        "reports-col-closed",
    ];
    let tables = vec![
        TableView {
            heading: w.t("reports-queues"),
            how: w.ta(
                "reports-queues-how",
                &[("seconds", Arg::Number(threshold_s))],
            ),
            columns: queue_columns.iter().map(|c| w.t(c)).collect(),
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
            csv: csv_link(Table::Queues, period),
        },
        TableView {
            heading: w.t("reports-agents"),
            how: w.ta("reports-agents-how", &[("days", Arg::Number(window_days))]),
            columns: agent_columns.iter().map(|c| w.t(c)).collect(),
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
            csv: csv_link(Table::Agents, period),
        },
    ];

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

#[derive(serde::Deserialize)]
struct TableParam {
    table: Option<String>,
}

#[tracing::instrument(skip_all, fields(user = %user.username()))]
async fn reports_csv(
    user: CurrentUser,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Error> {
    user.require(Role::Supervisor)?;
    let raw = raw.unwrap_or_default();
    let query = parse_query(Some(&raw));
    let table: Table = serde_urlencoded::from_str::<TableParam>(&raw)
        .ok()
        .and_then(|p| p.table)
        .unwrap_or_default()
        .parse()
        .map_err(Error::BadRequest)?;
    let settings = &state.metrics;
    let calendar = calendar_of(user.user().locale);
    let period = resolve(&query, today(settings), calendar, settings)
        .map_err(|err| Error::BadRequest(query_error(Locale::En, &err)))?;
    let file = format!(
        "tamas-{}-{}-{}.csv",
        table.name(),
        iso_date(period.from_day),
        iso_date(period.to_day)
    );
    let names = agent_names(&state).await?;
    let report = load(
        state.store.as_ref(),
        period,
        &names,
        crate::clock::now_ms(),
        settings,
    )
    .await?;
    let body = csv::write(&report, table).map_err(|err| Error::Internal(Box::new(err)))?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response())
}
