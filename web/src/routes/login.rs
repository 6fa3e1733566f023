//! The sign-in page.

use askama::Template;
use axum::Router;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use crate::AppState;

/// `/login` (and `/`, which shows sign-in until the console exists for a session).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(login_page))
        .route("/login", get(login_page))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    error: Option<&'a str>,
}

async fn login_page() -> impl IntoResponse {
    render(&LoginPage { error: None })
}

fn render(template: &impl Template) -> axum::response::Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => crate::Error::Internal(Box::new(err)).into_response(),
    }
}
