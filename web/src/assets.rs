//! Static assets, embedded in the binary so a deployment is one file.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

const ALERTS_JS: &str = include_str!("../static/alerts.js");
const APP_CSS: &str = include_str!("../static/app.css");
const CONSOLE_JS: &str = include_str!("../static/console.js");
const CONTACT_JS: &str = include_str!("../static/contact.js");
const RECORDINGS_JS: &str = include_str!("../static/recordings.js");
const WALLBOARD_JS: &str = include_str!("../static/wallboard.js");

/// `/static/…`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/app.css", get(app_css))
        .route("/static/alerts.js", get(|| script(ALERTS_JS)))
        .route("/static/console.js", get(|| script(CONSOLE_JS)))
        .route("/static/contact.js", get(|| script(CONTACT_JS)))
        .route("/static/recordings.js", get(|| script(RECORDINGS_JS)))
        .route("/static/wallboard.js", get(|| script(WALLBOARD_JS)))
}

async fn app_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        APP_CSS,
    )
}

async fn script(source: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        source,
    )
}
