//! `/alerts`: the alerts page for supervisors and admins (open ones, or all), with
//! acknowledge and resolve buttons and new alerts arriving live over `/ws`
//! (`static/alerts.js`); `/api/alerts`: the same list as JSON.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use crm_core::{AlertFilter, AlertId, AlertKind, AlertState, AuditEntry, Role};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::auth::{CurrentUser, PageUser};
use crate::i18n::{Arg, t_args};
use crate::pages::{Page, render};
use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};
use app::alert_feed::{describe, publish};
use app::hub::messages::AlertMessage;

/// Alerts listed at most.
const LIMIT: u32 = 500;

/// `/alerts`, `/api/alerts`, `/alerts/{id}/acknowledge`, `/alerts/{id}/resolve`.
pub fn router() -> Routes {
    Routes::new()
        .get("/alerts", Access::Page(Role::Supervisor), alerts_page)
        .get("/api/alerts", Access::Api(Role::Supervisor), alerts_json)
        .post(
            "/alerts/{id}/acknowledge",
            Access::Api(Role::Supervisor),
            acknowledge,
        )
        .post(
            "/alerts/{id}/resolve",
            Access::Api(Role::Supervisor),
            resolve,
        )
}

/// `?show=all` lists resolved alerts too.
#[derive(Debug, Default, Deserialize)]
struct Show {
    show: Option<String>,
}

impl Show {
    fn all(&self) -> bool {
        self.show.as_deref() == Some("all")
    }
}

/// One row of the page.
struct AlertLine {
    alert: AlertMessage,
    kind: String,
    state: &'static str,
    state_label: String,
    age: String,
    detail: String,
    live: bool,
    open: bool,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    page: Page,
    show_all: bool,
    lines: Vec<AlertLine>,
    script_messages: String,
}

async fn list(state: &AppState, show: &Show) -> Result<Vec<AlertMessage>, Error> {
    let alerts = state
        .store
        .list_alerts(&AlertFilter {
            live_only: !show.all(),
            kind: None,
            limit: LIMIT,
        })
        .await?;
    let mut out = Vec::with_capacity(alerts.len());
    for alert in &alerts {
        out.push(describe(state.store.as_ref(), alert).await?);
    }
    Ok(out)
}

#[tracing::instrument(skip_all, fields(user = %user.user.username))]
async fn alerts_page(
    user: PageUser,
    State(state): State<AppState>,
    uri: Uri,
    Query(show): Query<Show>,
) -> Response {
    let page = Page::for_user(&user, &state, &uri.to_string());
    if let Err(err) = user.require(Role::Supervisor) {
        return page.error_response(err);
    }
    let alerts = match list(&state, &show).await {
        Ok(alerts) => alerts,
        Err(err) => return page.error_response(err),
    };
    let now = app::clock::now_ms();
    let lines = alerts
        .into_iter()
        .map(|alert| AlertLine {
            kind: page.tv("alert-kind-", alert.kind.as_str()),
            state: alert.state.as_str(),
            state_label: page.tv("alert-state-", alert.state.as_str()),
            age: age(&page, now - alert.created_at_ms),
            detail: detail(&page, alert.kind, &alert.detail),
            live: alert.state.is_live(),
            open: alert.state == AlertState::Open,
            alert,
        })
        .collect();
    render(&AlertsPage {
        script_messages: script_messages(&page),
        show_all: show.all(),
        lines,
        page,
    })
}

/// How long ago, in minutes, hours or days.
fn age(page: &Page, ms: i64) -> String {
    let minutes = usize::try_from(ms.max(0) / 60_000).unwrap_or(0);
    if minutes < 60 {
        page.tn("alerts-age-minutes", "n", minutes)
    } else if minutes < 48 * 60 {
        page.tn("alerts-age-hours", "n", minutes / 60)
    } else {
        page.tn("alerts-age-days", "n", minutes / (24 * 60))
    }
}

/// The rule's facts in words.
fn detail(page: &Page, kind: AlertKind, detail: &Value) -> String {
    let int = |key: &str| detail.get(key).and_then(Value::as_i64).unwrap_or(0);
    let percent = |key: &str| {
        detail
            .get(key)
            .and_then(Value::as_f64)
            .map_or(0, |v| (v * 100.0).round() as i64)
    };
    let locale = page.locale();
    match kind {
        AlertKind::AbandonedCallback => t_args(
            locale,
            "alerts-detail-callback",
            &[
                ("abandons", Arg::Number(int("abandons"))),
                ("reassigned", Arg::Number(int("reassigned"))),
            ],
        ),
        AlertKind::LeadNotContacted => t_args(
            locale,
            "alerts-detail-lead-not-contacted",
            &[("hours", Arg::Number(int("hours")))],
        ),
        AlertKind::LeadFewAttempts => t_args(
            locale,
            "alerts-detail-lead-few-attempts",
            &[
                ("attempts", Arg::Number(int("attempts"))),
                ("min", Arg::Number(int("min_attempts"))),
                ("days", Arg::Number(int("days"))),
            ],
        ),
        AlertKind::ServiceLevel => t_args(
            locale,
            "alerts-detail-service-level",
            &[
                ("level", Arg::Number(percent("service_level"))),
                ("target", Arg::Number(percent("target"))),
                ("within", Arg::Number(int("answered_within"))),
                ("of", Arg::Number(int("denominator"))),
                ("seconds", Arg::Number(int("threshold_s"))),
            ],
        ),
    }
}

/// The words `alerts.js` needs for rows that arrive live.
fn script_messages(page: &Page) -> String {
    let mut messages = Map::new();
    for kind in AlertKind::ALL {
        messages.insert(
            format!("kind.{}", kind.as_str()),
            page.tv("alert-kind-", kind.as_str()).into(),
        );
    }
    for state in [
        AlertState::Open,
        AlertState::Acknowledged,
        AlertState::Resolved,
    ] {
        messages.insert(
            format!("state.{}", state.as_str()),
            page.tv("alert-state-", state.as_str()).into(),
        );
    }
    for id in ["alerts-acknowledge", "alerts-resolve", "alerts-just-now"] {
        messages.insert(id.to_owned(), page.t(id).into());
    }
    Value::Object(messages).to_string()
}

#[tracing::instrument(skip_all, fields(user = %user.username()))]
async fn alerts_json(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(show): Query<Show>,
) -> Result<Json<Vec<AlertMessage>>, Error> {
    user.require(Role::Supervisor)?;
    Ok(Json(list(&state, &show).await?))
}

/// What a supervisor does to an alert.
#[derive(Clone, Copy)]
enum Action {
    Acknowledge,
    Resolve,
}

#[tracing::instrument(skip_all, fields(user = %user.username(), alert = id))]
async fn acknowledge(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Error> {
    act(&user, &state, AlertId(id), Action::Acknowledge).await
}

#[tracing::instrument(skip_all, fields(user = %user.username(), alert = id))]
async fn resolve(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Error> {
    act(&user, &state, AlertId(id), Action::Resolve).await
}

async fn act(
    user: &CurrentUser,
    state: &AppState,
    id: AlertId,
    action: Action,
) -> Result<Response, Error> {
    user.require(Role::Supervisor)?;
    let by = user.user().id;
    let before = state.store.get_alert(id).await?;
    let (alert, name) = match action {
        Action::Acknowledge => (
            state.store.acknowledge_alert(id, by).await?,
            "alert.acknowledge",
        ),
        Action::Resolve => (
            state.store.resolve_alert(id, Some(by)).await?,
            "alert.resolve",
        ),
    };
    if alert.state != before.state {
        state
            .store
            .record_audit(&AuditEntry {
                at_ms: app::clock::now_ms(),
                actor: Some(by),
                action: name.to_owned(),
                subject: format!("alert:{id}"),
                detail: serde_json::json!({ "kind": alert.kind.as_str() }),
            })
            .await?;
        publish(&state.hub, state.store.as_ref(), &alert, &[]).await;
    }
    Ok(Redirect::to("/alerts").into_response())
}
