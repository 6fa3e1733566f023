//! `/admin/tokens`: every API token (whose, scope, created, last used, revoked), never a
//! secret, with a button to revoke a live one — for admins only. A revocation is audited
//! (`token.revoke`) and the sockets opened with the token close at once.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use crm_core::{AuditEntry, Role, TokenId, TokenInfo};

use crate::auth::PageUser;
use crate::pages::{Page, render, usernames};
use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};

/// `/admin/tokens`, `/admin/tokens/{id}/revoke`.
pub fn router() -> Routes {
    Routes::new()
        .get("/admin/tokens", Access::Page(Role::Admin), list)
        .post(
            "/admin/tokens/{id}/revoke",
            Access::Page(Role::Admin),
            revoke,
        )
}

struct TokenLine {
    owner: String,
    token: TokenInfo,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    page: Page,
    tokens: Vec<TokenLine>,
}

#[tracing::instrument(skip_all, fields(user = %user.user.username))]
async fn list(user: PageUser, State(state): State<AppState>, uri: Uri) -> Response {
    let page = Page::for_user(&user, &state, &uri.to_string());
    match lines(&state, &user).await {
        Ok(tokens) => render(&TokensPage { page, tokens }),
        Err(err) => page.error_response(err),
    }
}

async fn lines(state: &AppState, user: &PageUser) -> Result<Vec<TokenLine>, Error> {
    user.require(Role::Admin)?;
    let names = usernames(state.store.as_ref()).await?;
    Ok(state
        .store
        .list_tokens()
        .await?
        .into_iter()
        .map(|token| TokenLine {
            owner: names.get(&token.user).cloned().unwrap_or_default(),
            token,
        })
        .collect())
}

#[tracing::instrument(skip_all, fields(user = %user.user.username, token = id))]
async fn revoke(user: PageUser, State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    let page = Page::for_user(&user, &state, "/admin/tokens");
    let revoked = async {
        user.require(Role::Admin)?;
        state.store.revoke_token(TokenId(id)).await?;
        // Its sockets close now, not at the next poll.
        state.hub.access_changed();
        state
            .store
            .record_audit(&AuditEntry {
                at_ms: app::clock::now_ms(),
                actor: Some(user.user.id),
                action: "token.revoke".into(),
                subject: format!("token:{id}"),
                detail: serde_json::json!({ "via": "page" }),
            })
            .await?;
        Ok::<_, Error>(())
    };
    match revoked.await {
        Ok(()) => Redirect::to("/admin/tokens").into_response(),
        Err(err) => page.error_response(err),
    }
}
