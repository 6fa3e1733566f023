//! `/reports`: the supervisors' reports page (headline figures, charts, per-queue and
//! per-agent tables for a period, a queue and an agent), and `/reports.csv?table=…`: each
//! table as CSV. Supervisors and admins only.
//!
//! Dates are typed ISO (`2026-11-22`) or Jalali (`1405-09-01`), and shown in the reader's
//! calendar; a date that cannot be read gives the page back with the reason (400). Named
//! periods (`today` … `last-month`) are offered as one-click choices and read in the
//! reader's calendar (Persian: Jalali months, weeks from Saturday).
//!
//! - `page`: the page's handler and template; `view`: a report written for one reader,
//!   from its `headlines`, `charts` and `tables`, in the reader's words (`writer`).
//! - Here: the router, the CSV export and what both read the same way (the query, the
//!   period, the agents' names).

mod charts;
mod headlines;
mod page;
mod tables;
mod view;
mod writer;

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use crm_core::metrics::MetricsSettings;
use crm_core::metrics::periods::{Calendar, iso_date};
use crm_core::metrics::report::{MAX_DAYS, Period, QueryError, Report, ReportQuery, load, resolve};
use crm_core::{Locale, Role};

use crate::auth::CurrentUser;
use crate::i18n::{self, Arg};
use crate::reports::csv::{self, Table};

use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};

/// `/reports`, `/reports.csv`.
pub fn router() -> Routes {
    Routes::new()
        .get(
            "/reports",
            Access::Page(Role::Supervisor),
            page::reports_page,
        )
        .get("/reports.csv", Access::Api(Role::Supervisor), reports_csv)
}

/// The calendar named periods are read in for a reader.
fn calendar_of(locale: Locale) -> Calendar {
    match locale {
        Locale::Fa => Calendar::Jalali,
        Locale::En => Calendar::Gregorian,
    }
}

fn parse_query(raw: Option<&str>) -> ReportQuery {
    serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default()
}

fn today(settings: &MetricsSettings) -> i64 {
    settings.local_day(app::clock::now_ms())
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

/// The report of `period` as of now, agents named by `names`.
async fn report_now(
    state: &AppState,
    period: Period,
    names: &HashMap<String, String>,
) -> Result<Report, Error> {
    let report = load(
        state.store.as_ref(),
        period,
        names,
        app::clock::now_ms(),
        &state.metrics,
    )
    .await?;
    Ok(report)
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
    let report = report_now(&state, period, &names).await?;
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
