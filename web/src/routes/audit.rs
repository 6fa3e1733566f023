//! `/admin/audit`: the latest audit entries (sign-ins, failed sign-ins, wrap-ups, tokens…),
//! for admins only.

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use crm_core::{AuditEntry, Role};

use crate::auth::PageUser;
use crate::pages::{Page, render, usernames};
use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};

/// `/admin/audit`.
pub fn router() -> Routes {
    Routes::new().get("/admin/audit", Access::Page(Role::Admin), audit_log)
}

struct AuditLine {
    at_ms: i64,
    actor: String,
    entry: AuditEntry,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    page: Page,
    entries: Vec<AuditLine>,
}

#[tracing::instrument(skip_all, fields(user = %user.user.username))]
async fn audit_log(user: PageUser, State(state): State<AppState>, uri: Uri) -> Response {
    let page = Page::for_user(&user, &state, &uri.to_string());
    match entries(&state, &user).await {
        Ok(entries) => render(&AuditPage { page, entries }),
        Err(err) => page.error_response(err),
    }
}

async fn entries(state: &AppState, user: &PageUser) -> Result<Vec<AuditLine>, Error> {
    user.require(Role::Admin)?;
    let names = usernames(state.store.as_ref()).await?;
    Ok(state
        .store
        .audit_log(200)
        .await?
        .into_iter()
        .map(|entry| AuditLine {
            at_ms: entry.at_ms,
            actor: entry
                .actor
                .and_then(|a| names.get(&a).cloned())
                .unwrap_or_default(),
            entry,
        })
        .collect())
}
