//! What API tokens and sign-in sessions say about their user. The secrets themselves
//! ([`ApiToken`](crate::token::ApiToken), [`SessionToken`]) are
//! in [`token`](crate::token); only their SHA-256 is stored.

use serde::{Deserialize, Serialize};

use super::ids::{TokenId, UserId};
use super::user::User;
use crate::StoreError;
use crate::token::SessionToken;

/// What an API token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Everything its user may do.
    Full,
    /// Only upload recordings.
    Ingest,
}

impl TokenScope {
    /// `full` or `ingest`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Full => "full",
            TokenScope::Ingest => "ingest",
        }
    }

    /// Parses `full` / `ingest`.
    pub fn parse(s: &str) -> Result<TokenScope, StoreError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "full" => Ok(TokenScope::Full),
            "ingest" => Ok(TokenScope::Ingest),
            other => Err(StoreError::Invalid(format!(
                "unknown token scope {other:?}"
            ))),
        }
    }
}

/// The user behind a valid API token, and what the token allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenUser {
    /// The token.
    pub token: TokenId,
    /// The user.
    pub user: User,
    /// The token's scope.
    pub scope: TokenScope,
    /// When its use was last recorded, ms since the epoch.
    pub last_used_at_ms: Option<i64>,
}

/// An API token as listed for its user or an admin (never the secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// Row id.
    pub id: TokenId,
    /// Whose token it is.
    pub user: UserId,
    /// What it may do.
    pub scope: TokenScope,
    /// Creation time, ms since the epoch.
    pub created_at_ms: i64,
    /// Last successful use (updated at most once a minute).
    pub last_used_at_ms: Option<i64>,
    /// When it was revoked; a revoked token never verifies again.
    pub revoked_at_ms: Option<i64>,
}

/// A session just opened: the secret for the cookie and the CSRF token for its forms.
pub struct NewSession {
    /// The session cookie's value (shown once; the store keeps its hash).
    pub token: SessionToken,
    /// The CSRF token bound to the session.
    pub csrf_token: String,
    /// When it stops being valid, ms since the epoch.
    pub expires_at_ms: i64,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("token", &self.token)
            .field("csrf_token", &"[REDACTED]")
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

/// A valid session and its (active) user.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The signed-in user.
    pub user: User,
    /// The CSRF token that state-changing requests of this session must carry.
    pub csrf_token: String,
    /// When it stops being valid, ms since the epoch.
    pub expires_at_ms: i64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user)
            .field("csrf_token", &"[REDACTED]")
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

/// Why access ended: what a [`CredentialChange`] records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeReason {
    /// A session was ended (sign-out, or replaced by a new sign-in).
    SignedOut,
    /// An API token was revoked.
    TokenRevoked,
    /// The user's password changed (their sessions were ended).
    PasswordChanged,
    /// The user's role changed.
    RoleChanged,
    /// The user was disabled.
    UserDisabled,
}

impl ChangeReason {
    /// `signed_out`, `token_revoked`, `password_changed`, `role_changed`, `user_disabled`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeReason::SignedOut => "signed_out",
            ChangeReason::TokenRevoked => "token_revoked",
            ChangeReason::PasswordChanged => "password_changed",
            ChangeReason::RoleChanged => "role_changed",
            ChangeReason::UserDisabled => "user_disabled",
        }
    }

    /// Parses what [`ChangeReason::as_str`] wrote.
    pub fn parse(s: &str) -> Result<ChangeReason, StoreError> {
        Ok(match s {
            "signed_out" => ChangeReason::SignedOut,
            "token_revoked" => ChangeReason::TokenRevoked,
            "password_changed" => ChangeReason::PasswordChanged,
            "role_changed" => ChangeReason::RoleChanged,
            "user_disabled" => ChangeReason::UserDisabled,
            other => {
                return Err(StoreError::Invalid(format!(
                    "unknown credential change {other:?}"
                )));
            }
        })
    }
}

/// A change that ends access, as recorded for every serving process to act on: one
/// session (`session_hash`), one token (`token`), or, with neither, every credential of
/// the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialChange {
    /// Increasing, never repeated: where a reader is.
    pub seq: i64,
    /// Whose access it is.
    pub user: UserId,
    /// Only this token.
    pub token: Option<TokenId>,
    /// Only the session whose cookie hashes to this (SHA-256, hex).
    pub session_hash: Option<String>,
    /// What happened.
    pub reason: ChangeReason,
}

impl CredentialChange {
    /// Whether the change ends a credential of `user` that is `token` or the session
    /// `session_hash`.
    pub fn ends(&self, user: UserId, token: Option<TokenId>, session_hash: Option<&str>) -> bool {
        if self.user != user {
            return false;
        }
        match (&self.token, &self.session_hash) {
            (Some(revoked), _) => token == Some(*revoked),
            (None, Some(ended)) => session_hash == Some(ended.as_str()),
            (None, None) => true,
        }
    }
}

/// What a request was authenticated with; a socket keeps it, to be closed when it ends
/// (a sign-out, a revoked token, a password or role change: see [`CredentialChange`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A browser session.
    Session {
        /// The SHA-256 (hex) of the session cookie: what the store keeps.
        hash: String,
        /// When the session expires, ms since the epoch.
        expires_at_ms: i64,
    },
    /// An API token.
    Token(TokenId),
}

impl Credential {
    /// The token, for a token.
    pub fn token(&self) -> Option<TokenId> {
        match self {
            Credential::Token(id) => Some(*id),
            Credential::Session { .. } => None,
        }
    }

    /// The session cookie's hash, for a session.
    pub fn session_hash(&self) -> Option<&str> {
        match self {
            Credential::Session { hash, .. } => Some(hash),
            Credential::Token(_) => None,
        }
    }

    /// When a session expires (tokens do not).
    pub fn expires_at_ms(&self) -> Option<i64> {
        match self {
            Credential::Session { expires_at_ms, .. } => Some(*expires_at_ms),
            Credential::Token(_) => None,
        }
    }
}
