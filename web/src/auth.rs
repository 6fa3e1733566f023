//! Who is asking: the [`CurrentUser`] extractor.
//!
//! API clients and scripts authenticate with a bearer token (`tamas token create`); the
//! token is looked up by its hash, never stored in the clear. Requests without valid
//! credentials get 401 with a JSON body.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use crm_core::{Role, TokenScope, User};

use crate::{AppState, Error};

/// The signed-in user of a request.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    user: User,
}

impl CurrentUser {
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
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(Error::Unauthorized)?
            .to_str()
            .map_err(|_| Error::Unauthorized)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(Error::Unauthorized)?
            .trim();
        let found = state
            .store
            .verify_token(token)
            .await?
            .ok_or(Error::Unauthorized)?;
        // An ingest token may only upload recordings, never read the API.
        if found.scope != TokenScope::Full {
            return Err(Error::Forbidden);
        }
        Ok(CurrentUser { user: found.user })
    }
}
