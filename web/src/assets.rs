//! Static assets, embedded in the binary so a deployment is one file.

use axum::http::header;
use axum::response::IntoResponse;

use crate::routes::table::{Access, Routes};

const ALERTS_JS: &str = include_str!("../static/alerts.js");
const APP_CSS: &str = include_str!("../static/app.css");
const CONSOLE_JS: &str = include_str!("../static/console.js");
const CONTACT_JS: &str = include_str!("../static/contact.js");
const RECORDINGS_JS: &str = include_str!("../static/recordings.js");
const WALLBOARD_JS: &str = include_str!("../static/wallboard.js");

/// `/static/…`.
pub fn router() -> Routes {
    Routes::new()
        .get("/static/app.css", Access::Public, app_css)
        .get("/static/alerts.js", Access::Public, || script(ALERTS_JS))
        .get("/static/console.js", Access::Public, || script(CONSOLE_JS))
        .get("/static/contact.js", Access::Public, || script(CONTACT_JS))
        .get("/static/recordings.js", Access::Public, || {
            script(RECORDINGS_JS)
        })
        .get("/static/wallboard.js", Access::Public, || {
            script(WALLBOARD_JS)
        })
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
