//! What every server-rendered page shares: the [`Page`] context its template reads (the
//! reader's language, calendar and local time, the signed-in user, the CSRF token for
//! forms), rendering, and localized error pages.
//!
//! Templates are askama files in `web/templates` that extend `base.html`; askama escapes
//! every value, and no template uses `|safe` on anything that came from outside (caller-ID
//! names and numbers included). Pages load only same-origin scripts from `/static`; the
//! Content-Security-Policy forbids inline script.

pub mod player;

use std::borrow::Borrow;

use askama::Template;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{Html, IntoResponse, Response};
use crm_core::{Locale, Role};

use crate::auth::PageUser;
use crate::i18n::{self, Arg, LocalClock};
use crate::{AppState, Error};
use app::DisplayChain;

/// The signed-in user as the page header shows them.
#[derive(Clone, Debug)]
pub struct UserBar {
    /// Name shown.
    pub display_name: String,
    /// Whether admin-only links are shown.
    pub is_admin: bool,
    /// Whether supervisors' links (wallboard, reports, alerts) are shown.
    pub is_supervisor: bool,
}

/// What every template reads: see the module documentation.
#[derive(Clone, Debug)]
pub struct Page {
    /// Language, calendar and local time of the reader.
    pub clock: LocalClock,
    /// The signed-in user; `None` on the sign-in page.
    pub user: Option<UserBar>,
    /// The session's CSRF token, put in every form (empty when signed out).
    pub csrf: String,
    /// This page's path and query, to come back to after switching language.
    pub path: String,
}

impl Page {
    /// The context of a page shown to a signed-in user at `path`.
    pub fn for_user(user: &PageUser, state: &AppState, path: &str) -> Page {
        Page {
            clock: LocalClock {
                locale: user.user.locale,
                utc_offset_minutes: state.metrics.utc_offset_minutes,
            },
            user: Some(UserBar {
                display_name: user.user.display_name.clone(),
                is_admin: user.user.role >= Role::Admin,
                is_supervisor: user.user.role >= Role::Supervisor,
            }),
            csrf: user.csrf_token.clone(),
            path: path.to_owned(),
        }
    }

    /// The context of a page shown before sign-in, in `locale`.
    pub fn anonymous(locale: Locale, state: &AppState) -> Page {
        Page {
            clock: LocalClock {
                locale,
                utc_offset_minutes: state.metrics.utc_offset_minutes,
            },
            user: None,
            csrf: String::new(),
            path: "/login".to_owned(),
        }
    }

    /// The reader's language.
    pub fn locale(&self) -> Locale {
        self.clock.locale
    }

    /// The `lang` attribute.
    pub fn lang(&self) -> &'static str {
        i18n::lang(self.locale())
    }

    /// The `dir` attribute.
    pub fn dir(&self) -> &'static str {
        i18n::dir(self.locale())
    }

    /// A message.
    pub fn t(&self, id: &str) -> String {
        i18n::t(self.locale(), id)
    }

    /// A customer's number as people read it ([`display_number`]); a withheld or unknown
    /// one ([`crm_core::is_withheld`]) as "withheld number" in the page's language.
    pub fn number(&self, store: &dyn crm_core::Store, raw: &str) -> String {
        if crm_core::is_withheld(raw) {
            self.t("number-withheld")
        } else {
            display_number(store, raw)
        }
    }

    /// A message with one text variable.
    pub fn t1(&self, id: &str, name: &str, value: &str) -> String {
        i18n::t_args(self.locale(), id, &[(name, Arg::Text(value))])
    }

    /// A message with one number variable (plural forms, Persian digits).
    pub fn tn(&self, id: &str, name: &str, value: usize) -> String {
        let value = i64::try_from(value).unwrap_or(i64::MAX);
        i18n::t_args(self.locale(), id, &[(name, Arg::Number(value))])
    }

    /// The name of a stored value (`disposition-` + `no_answer`), or the value itself.
    pub fn tv(&self, prefix: &str, value: &str) -> String {
        i18n::t_value(self.locale(), prefix, value)
    }

    /// A date and time (ms since the epoch) in the reader's calendar and local time.
    pub fn date_time(&self, ms: impl Borrow<i64>) -> String {
        self.clock.date_time(*ms.borrow())
    }

    /// A time of day.
    pub fn time(&self, ms: impl Borrow<i64>) -> String {
        self.clock.time(*ms.borrow())
    }

    /// A duration, `m:ss`.
    pub fn duration(&self, ms: impl Borrow<Option<i64>>) -> String {
        self.clock.duration(*ms.borrow())
    }

    /// A number in the reader's digits.
    pub fn num(&self, n: usize) -> String {
        i18n::localize_digits(&n.to_string(), self.locale())
    }

    /// An error as a page in the reader's language (a `401` goes to sign-in instead).
    pub fn error_response(&self, err: Error) -> Response {
        let (status, message) = match &err {
            Error::Unauthorized => {
                return (StatusCode::SEE_OTHER, [(LOCATION, "/login")]).into_response();
            }
            Error::BadRequest(detail) | Error::Conflict(detail) | Error::Unprocessable(detail) => (
                StatusCode::BAD_REQUEST,
                self.t1("error-bad-request", "detail", detail),
            ),
            Error::PayloadTooLarge(detail) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                self.t1("error-bad-request", "detail", detail),
            ),
            Error::Forbidden => (StatusCode::FORBIDDEN, self.t("error-forbidden")),
            Error::NotFound => (StatusCode::NOT_FOUND, self.t("error-not-found")),
            Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, self.t("error-unavailable")),
            Error::Internal(_) => {
                tracing::error!(error = %DisplayChain(&err), "page failed");
                (StatusCode::INTERNAL_SERVER_ERROR, self.t("error-internal"))
            }
        };
        let page = ErrorPage {
            page: self.clone(),
            message,
        };
        (status, render(&page)).into_response()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: Page,
    message: String,
}

/// Renders a template as an HTML response (a `500` if rendering fails).
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => Error::Internal(Box::new(err)).into_response(),
    }
}

/// Every user's sign-in name by id, for the admin pages that name who did something.
pub async fn usernames(
    store: &dyn crm_core::Store,
) -> Result<std::collections::HashMap<crm_core::UserId, String>, Error> {
    Ok(store
        .list_users()
        .await?
        .into_iter()
        .map(|u| (u.id, u.username.as_str().to_owned()))
        .collect())
}

/// A phone number as people read it (`0912 123 4567`, `+44 20 7946 0000`), from any
/// stored form; text that is no number is shown as it is (escaped by the template).
pub fn display_number(store: &dyn crm_core::Store, raw: &str) -> String {
    let normalizer = store.normalizer();
    normalizer.display(&normalizer.normalize(raw))
}
