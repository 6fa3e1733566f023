//! Who is asking: the [`CurrentUser`] extractor for the API and the [`PageUser`] extractor
//! for pages, and role checks.
//!
//! Two ways in:
//! - a bearer token (`Authorization: Bearer tamas_…`, from `tamas token create`), for API
//!   clients and scripts; looked up by its hash, never stored in the clear;
//! - the session cookie of a signed-in browser, resolved by the [`csrf`](crate::csrf)
//!   middleware (which also checks the CSRF token of state-changing requests).
//!
//! An API request without valid credentials gets `401` with a JSON body; a page request is
//! redirected to `/login?next=…`. A signed-in user without the role a route needs gets
//! `403`.

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, LOCATION};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use crm_core::{Credential, Role, TokenScope, User};

use crate::session::SessionAuth;
use crate::{AppState, Error};

/// The credential of a signed-in session.
pub fn session_credential(auth: &SessionAuth) -> Credential {
    Credential::Session {
        hash: crm_core::token::hash_token(&auth.token),
        expires_at_ms: auth.session.expires_at_ms,
    }
}

/// The signed-in user of a request.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    user: User,
    credential: Credential,
}

impl CurrentUser {
    /// The credential the request was authenticated with.
    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// The user.
    pub fn user(&self) -> &User {
        &self.user
    }

    /// The user's sign-in name.
    pub fn username(&self) -> &str {
        self.user.username.as_str()
    }

    /// For agents, their extension: what limits them to their own calls. Supervisors and
    /// admins get `None` (they see everything).
    pub fn agent_extension(&self) -> Option<&str> {
        match self.user.role {
            Role::Agent => Some(self.user.extension.as_ref().map_or("", |e| e.as_str())),
            Role::Supervisor | Role::Admin => None,
        }
    }

    /// Fails with 403 unless the user has at least `role`.
    pub fn require(&self, role: Role) -> Result<(), Error> {
        if self.user.role >= role {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        // Already checked by the route's access rule (`routes::table`).
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            let auth = parts
                .extensions
                .get::<SessionAuth>()
                .ok_or(Error::Unauthorized)?;
            return Ok(CurrentUser {
                user: auth.session.user.clone(),
                credential: session_credential(auth),
            });
        };
        let token = bearer_token(header).ok_or(Error::Unauthorized)?;
        let found = state
            .store
            .verify_token(token)
            .await?
            .ok_or(Error::Unauthorized)?;
        // An ingest token may only upload recordings, never read the API.
        if found.scope != TokenScope::Full {
            return Err(Error::Forbidden);
        }
        state.token_use.note(&state.store, &state.tasks, &found);
        Ok(CurrentUser {
            user: found.user,
            credential: Credential::Token(found.token),
        })
    }
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(header: &HeaderValue) -> Option<&str> {
    let header = header.to_str().ok()?;
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
}

/// The signed-in user of a page: a browser session (pages need its CSRF token for their
/// forms). Without one, the browser is sent to sign in and come back.
#[derive(Clone, Debug)]
pub struct PageUser {
    /// The user.
    pub user: User,
    /// The session's CSRF token, for the page's forms and scripts.
    pub csrf_token: String,
}

impl PageUser {
    /// Fails with 403 unless the user has at least `role`.
    pub fn require(&self, role: Role) -> Result<(), Error> {
        if self.user.role >= role {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// For agents, their extension (what limits them to their own calls); `None` for
    /// supervisors and admins.
    pub fn agent_extension(&self) -> Option<&str> {
        match self.user.role {
            Role::Agent => Some(self.user.extension.as_ref().map_or("", |e| e.as_str())),
            Role::Supervisor | Role::Admin => None,
        }
    }
}

/// A redirect to the sign-in page that comes back to the page asked for.
#[derive(Debug)]
pub struct SignInRedirect {
    next: String,
}

impl IntoResponse for SignInRedirect {
    fn into_response(self) -> Response {
        let query = serde_urlencoded::to_string([("next", self.next.as_str())]).unwrap_or_default();
        let location = HeaderValue::from_str(&format!("/login?{query}"))
            .unwrap_or(HeaderValue::from_static("/login"));
        (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response()
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = SignInRedirect;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, SignInRedirect> {
        match parts.extensions.get::<SessionAuth>() {
            Some(auth) => Ok(PageUser {
                user: auth.session.user.clone(),
                csrf_token: auth.session.csrf_token.clone(),
            }),
            None => Err(SignInRedirect {
                next: parts
                    .uri
                    .path_and_query()
                    .map_or("/console", |p| p.as_str())
                    .to_owned(),
            }),
        }
    }
}

/// Where to go after signing in or switching language: a path on this site, never
/// another site (`//evil.example` and `https://…` become `/console`).
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/console".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(local_path(Some("/contacts/3?x=1")), "/contacts/3?x=1");
        assert_eq!(local_path(Some("//evil.example/")), "/console");
        assert_eq!(local_path(Some("/\\evil.example")), "/console");
        assert_eq!(local_path(Some("https://evil.example/")), "/console");
        assert_eq!(local_path(Some("/a\r\nSet-Cookie: x")), "/console");
        assert_eq!(local_path(None), "/console");
    }
}
