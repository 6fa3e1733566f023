//! Signing in and out: `/login` (the form and its POST), `/logout`, and `/`, which sends
//! a browser to the console or to sign-in.
//!
//! A sign-in checks the password with argon2id off the async runtime (`spawn_blocking`),
//! taking as long for an unknown username as for a known one; failures count towards the
//! [`SignInLimiter`](crate::sign_in_limit::SignInLimiter) (`429` past it). A success opens
//! a new session (a session the browser already had is ended: no fixation), sets the
//! cookie and goes back to the page asked for. Sign-ins, failed sign-ins and sign-outs are
//! audited (`auth.sign_in`, `auth.sign_in_failed`, `auth.sign_out`) with the client's IP.
//! Signing out closes the session's WebSockets at once ([`app::hub::revocations`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::header::{ACCEPT_LANGUAGE, LOCATION, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use crm_core::{AuditEntry, Locale, User};
use serde::Deserialize;
use serde_json::json;

use crate::auth::local_path;
use crate::i18n::{self, Arg};
use crate::pages::{Page, render};
use crate::routes::table::{Access, Routes};
use crate::session::{self, SessionAuth};
use crate::{AppState, Error};

/// `/`, `/login`, `/logout`.
pub fn router() -> Routes {
    Routes::new()
        .get("/", Access::Public, home)
        .get("/login", Access::Public, login_page)
        .post("/login", Access::Public, sign_in)
        .post("/logout", Access::Public, sign_out)
}

async fn home(session: Option<Extension<SessionAuth>>) -> Redirect {
    match session {
        Some(_) => Redirect::to("/console"),
        None => Redirect::to("/login"),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Page,
    error: Option<String>,
    username: String,
    next: String,
    english_url: String,
    persian_url: String,
}

impl LoginPage {
    fn new(state: &AppState, locale: Locale, next: &str) -> Self {
        let url = |lang: &str| {
            let query =
                serde_urlencoded::to_string([("lang", lang), ("next", next)]).unwrap_or_default();
            format!("/login?{query}")
        };
        LoginPage {
            page: Page::anonymous(locale, state),
            error: None,
            username: String::new(),
            next: next.to_owned(),
            english_url: url("en"),
            persian_url: url("fa"),
        }
    }
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

/// Before sign-in the language is the one asked for (`?lang=fa`), else the browser's.
fn page_locale(lang: Option<&str>, headers: &HeaderMap) -> Locale {
    lang.and_then(|lang| Locale::parse(lang).ok())
        .unwrap_or_else(|| {
            i18n::from_accept_language(headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
        })
}

async fn login_page(
    State(state): State<AppState>,
    session: Option<Extension<SessionAuth>>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Response {
    let next = local_path(query.next.as_deref());
    if session.is_some() {
        return Redirect::to(&next).into_response();
    }
    let locale = page_locale(query.lang.as_deref(), &headers);
    render(&LoginPage::new(&state, locale, &next))
}

#[derive(Deserialize)]
struct SignInForm {
    username: String,
    password: String,
    next: Option<String>,
    lang: Option<String>,
}

fn client_ip(connect: Option<&ConnectInfo<SocketAddr>>) -> IpAddr {
    connect.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

#[tracing::instrument(skip_all)]
async fn sign_in(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    previous: Option<Extension<SessionAuth>>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let locale = page_locale(form.lang.as_deref(), &headers);
    let next = local_path(form.next.as_deref());
    let ip = client_ip(connect.as_ref().map(|c| &c.0));
    let username: String = form.username.trim().chars().take(64).collect();
    let mut page = LoginPage::new(&state, locale, &next);
    page.username.clone_from(&username);

    if let Err(wait) = state.sign_in_limiter.check(ip, &username) {
        let seconds = i64::try_from(wait.as_secs() + 1).unwrap_or(i64::MAX);
        tracing::warn!(%ip, "sign-in rate limit reached");
        page.error = Some(i18n::t_args(
            locale,
            "login-throttled",
            &[("seconds", Arg::Number(seconds))],
        ));
        let mut response = (StatusCode::TOO_MANY_REQUESTS, render(&page)).into_response();
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(RETRY_AFTER, value);
        }
        return response;
    }

    match check_password(&state, &username, form.password).await {
        Ok(Some(user)) => match open_session(&state, &user, previous, ip, &headers).await {
            Ok(cookie) => {
                let mut response = Redirect::to(&next).into_response();
                session::append_set_cookie(response.headers_mut(), cookie);
                response
            }
            Err(err) => page.page.error_response(err),
        },
        Ok(None) => {
            state.sign_in_limiter.record_failure(ip, &username);
            audit(
                &state,
                None,
                "auth.sign_in_failed",
                format!("username:{username}"),
                ip,
            )
            .await;
            page.error = Some(i18n::t(locale, "login-failed"));
            (StatusCode::UNAUTHORIZED, render(&page)).into_response()
        }
        Err(err) => page.page.error_response(err),
    }
}

/// The active user with this username and password, if any.
async fn check_password(
    state: &AppState,
    username: &str,
    password: String,
) -> Result<Option<User>, Error> {
    let user = state
        .store
        .user_by_username(username)
        .await?
        .filter(|user| user.active);
    let hash = match &user {
        Some(user) => Some(state.store.user_password_hash(user.id).await?),
        None => None,
    };
    let matches = tokio::task::spawn_blocking(move || {
        crm_core::password::verify_password_or_dummy(&password, hash.as_deref())
    })
    .await
    .map_err(|err| Error::Internal(Box::new(err)))?;
    Ok(user.filter(|_| matches))
}

/// Opens a session for `user` (ending `previous`) and returns its cookie.
async fn open_session(
    state: &AppState,
    user: &User,
    previous: Option<Extension<SessionAuth>>,
    ip: IpAddr,
    headers: &HeaderMap,
) -> Result<HeaderValue, Error> {
    if let Some(Extension(previous)) = previous {
        state.store.delete_session(&previous.token).await?;
        state.hub.access_changed();
    }
    let now = app::clock::now_ms();
    // Sign-ins are a natural moment to forget expired sessions; no timer needed.
    if let Err(err) = state.store.delete_expired_sessions(now).await {
        tracing::warn!(error = %app::DisplayChain(&err), "cannot delete expired sessions");
    }
    let ttl_ms = i64::try_from(state.sessions.ttl.as_millis()).unwrap_or(i64::MAX);
    let new = state
        .store
        .create_session(user.id, now.saturating_add(ttl_ms))
        .await?;
    audit(
        state,
        Some(user),
        "auth.sign_in",
        format!("user:{}", user.id),
        ip,
    )
    .await;
    session::set_cookie(
        new.token.expose(),
        state.sessions.ttl,
        state.sessions.secure_for(headers),
    )
}

async fn sign_out(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    session: Option<Extension<SessionAuth>>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    if let Some(Extension(auth)) = session {
        state.store.delete_session(&auth.token).await?;
        // The session's sockets close now, not at the next poll.
        state.hub.access_changed();
        let ip = client_ip(connect.as_ref().map(|c| &c.0));
        let user = &auth.session.user;
        audit(
            &state,
            Some(user),
            "auth.sign_out",
            format!("user:{}", user.id),
            ip,
        )
        .await;
    }
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, "/login")]).into_response();
    session::append_set_cookie(
        response.headers_mut(),
        session::clear_cookie(state.sessions.secure_for(&headers)),
    );
    Ok(response)
}

/// Appends to the audit log; a failure is logged, not shown (the sign-in itself worked).
async fn audit(state: &AppState, actor: Option<&User>, action: &str, subject: String, ip: IpAddr) {
    let entry = AuditEntry {
        at_ms: app::clock::now_ms(),
        actor: actor.map(|user| user.id),
        action: action.to_owned(),
        subject,
        detail: json!({ "ip": ip.to_string() }),
    };
    if let Err(err) = state.store.record_audit(&entry).await {
        tracing::error!(error = %app::DisplayChain(&err), action, "cannot write the audit log");
    }
}
