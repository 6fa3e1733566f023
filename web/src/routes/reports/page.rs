//! The `/reports` page: the form (period, queue, agent), the named periods as links, and
//! the report of the period chosen, or why it cannot be shown.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use crm_core::metrics::periods::NamedPeriod;
use crm_core::metrics::report::{ReportQuery, resolve};
use crm_core::{Locale, Role};

use super::view::{View, view};
use super::{agent_names, calendar_of, parse_query, query_error, report_now, today};
use crate::auth::PageUser;
use crate::i18n;
use crate::pages::{Page, render};
use crate::{AppState, Error};

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

#[tracing::instrument(skip_all, fields(user = %user.user.username))]
pub(super) async fn reports_page(
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
    let report = report_now(state, period, &names).await?;
    html.queues = report.queue_names.clone();
    if !html.queue.is_empty() && !html.queues.contains(&html.queue) {
        html.queues.push(html.queue.clone());
    }
    html.view = Some(view(&html.page.clock, &report, settings));
    Ok((StatusCode::OK, html))
}
