//! `POST /locale`: the language switch every page carries. The choice is saved on the
//! user's profile, so it follows them to every device and to the next sign-in.

use axum::Form;
use axum::extract::State;
use axum::response::Redirect;
use crm_core::Locale;
use serde::Deserialize;

use crate::auth::{PageUser, local_path};
use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};
use crm_core::Role;

/// `/locale`.
pub fn router() -> Routes {
    Routes::new().post("/locale", Access::Page(Role::Agent), switch)
}

#[derive(Deserialize)]
struct LocaleForm {
    locale: String,
    next: Option<String>,
}

/// Saves the language and goes back to the page the switch was on.
#[tracing::instrument(skip_all, fields(user = %user.user.username))]
async fn switch(
    user: PageUser,
    State(state): State<AppState>,
    Form(form): Form<LocaleForm>,
) -> Result<Redirect, Error> {
    let locale = Locale::parse(&form.locale)?;
    state.store.set_user_locale(user.user.id, locale).await?;
    Ok(Redirect::to(&local_path(form.next.as_deref())))
}
