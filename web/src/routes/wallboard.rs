//! `/wallboard`: the supervisors' live wall screen. The page is a shell; `wallboard.js`
//! subscribes to the queues on `/ws` and draws each `queue.snapshot` (web::wallboard).

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use crm_core::Role;
use serde_json::{Map, Value};

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::{Page, render};
use crate::routes::table::{Access, Routes};

/// `/wallboard`.
pub fn router() -> Routes {
    Routes::new().get("/wallboard", Access::Page(Role::Supervisor), wallboard)
}

/// The words `wallboard.js` shows, handed over as JSON.
const SCRIPT_MESSAGES: [&str; 31] = [
    "wallboard-withheld",
    "wallboard-one-of",
    "wallboard-today",
    "wallboard-last-hours",
    "wallboard-waiting",
    "wallboard-longest",
    "wallboard-nobody-waiting",
    "wallboard-offered",
    "wallboard-answered",
    "wallboard-abandoned",
    "wallboard-short",
    "wallboard-service-level",
    "wallboard-target",
    "wallboard-asa",
    "wallboard-abandon-rate",
    "wallboard-agents",
    "wallboard-agents-free",
    "wallboard-no-queues",
    "wallboard-pause",
    "wallboard-unpause",
    "wallboard-pause-failed",
    "wallboard-registered-from",
    "state-unknown",
    "state-available",
    "state-paused",
    "state-ringing",
    "state-on_call",
    "state-wrap_up",
    "state-unavailable",
    "connection-online",
    "connection-offline",
];

#[derive(Template)]
#[template(path = "wallboard.html")]
struct WallboardPage {
    page: Page,
    script_messages: String,
    pbx_connected: bool,
}

#[tracing::instrument(skip_all, fields(user = %user.user.username))]
async fn wallboard(user: PageUser, State(state): State<AppState>, uri: Uri) -> Response {
    let page = Page::for_user(&user, &state, &uri.to_string());
    if let Err(err) = user.require(Role::Supervisor) {
        return page.error_response(err);
    }
    let messages: Map<String, Value> = SCRIPT_MESSAGES
        .iter()
        .map(|id| ((*id).to_owned(), Value::String(page.t(id))))
        .collect();
    render(&WallboardPage {
        page,
        script_messages: Value::Object(messages).to_string(),
        pbx_connected: state.queues.is_some(),
    })
}
