//! Users: agents, supervisors and admins.

use serde::{Deserialize, Serialize};

use super::ids::UserId;
use crate::StoreError;

/// What a user may do. Ordered: an admin may do what a supervisor may, who may do what an
/// agent may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Takes calls; sees their own calls and popups.
    Agent,
    /// Watches queues and reports; sees every call.
    Supervisor,
    /// Manages users and settings.
    Admin,
}

impl Role {
    /// The name stored and shown: `agent`, `supervisor`, `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored or typed role.
    pub fn parse(s: &str) -> Result<Role, StoreError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "agent" => Ok(Role::Agent),
            "supervisor" => Ok(Role::Supervisor),
            "admin" => Ok(Role::Admin),
            other => Err(StoreError::Invalid(format!("unknown role {other:?}"))),
        }
    }
}

/// A UI language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Locale {
    /// English, left to right, Gregorian dates.
    #[default]
    En,
    /// Persian, right to left, Jalali dates.
    Fa,
}

impl Locale {
    /// `en` or `fa`.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fa => "fa",
        }
    }

    /// Parses `en` / `fa`.
    pub fn parse(s: &str) -> Result<Locale, StoreError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Ok(Locale::En),
            "fa" => Ok(Locale::Fa),
            other => Err(StoreError::Invalid(format!("unknown locale {other:?}"))),
        }
    }
}

/// A sign-in name: 1–64 letters, digits, `.`, `_`, `-` or `@`, stored lower-case so that
/// `Sara` and `sara` are one user.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    /// Validates a sign-in name (trimmed, lower-cased).
    pub fn parse(s: &str) -> Result<Username, StoreError> {
        let s = s.trim().to_lowercase();
        let ok = !s.is_empty()
            && s.chars().count() <= 64
            && s.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if ok {
            Ok(Username(s))
        } else {
            Err(StoreError::Invalid(format!(
                "username {s:?} must be 1-64 letters, digits, '.', '_', '-' or '@'"
            )))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = StoreError;
    fn try_from(s: String) -> Result<Self, StoreError> {
        Username::parse(&s)
    }
}

impl From<Username> for String {
    fn from(u: Username) -> String {
        u.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone extension: 1–20 ASCII digits (`1001`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Extension(String);

impl Extension {
    /// Validates an extension.
    pub fn parse(s: &str) -> Result<Extension, StoreError> {
        let s = s.trim();
        if !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Extension(s.to_owned()))
        } else {
            Err(StoreError::Invalid(format!(
                "extension {s:?} must be 1-20 digits"
            )))
        }
    }

    /// The extension.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Extension {
    type Error = StoreError;
    fn try_from(s: String) -> Result<Self, StoreError> {
        Extension::parse(&s)
    }
}

impl From<Extension> for String {
    fn from(e: Extension) -> String {
        e.0
    }
}

impl std::fmt::Display for Extension {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user as stored. The password hash is not part of it: it is read only to verify a
/// password ([`UserStore::user_password_hash`](crate::UserStore::user_password_hash)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    /// Row id.
    pub id: UserId,
    /// Sign-in name.
    pub username: Username,
    /// Name shown in the UI.
    pub display_name: String,
    /// What the user may do.
    pub role: Role,
    /// The user's phone extension (agents).
    pub extension: Option<Extension>,
    /// UI language.
    pub locale: Locale,
    /// Whether the user may sign in.
    pub active: bool,
    /// Creation time, ms since the epoch.
    pub created_at_ms: i64,
}

/// A user to create. `password_hash` is an argon2id PHC string
/// ([`crate::password::hash_password`]).
#[derive(Clone)]
pub struct NewUser {
    /// Sign-in name.
    pub username: Username,
    /// Name shown in the UI.
    pub display_name: String,
    /// What the user may do.
    pub role: Role,
    /// The user's phone extension.
    pub extension: Option<Extension>,
    /// UI language.
    pub locale: Locale,
    /// argon2id hash of the password.
    pub password_hash: String,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("extension", &self.extension)
            .field("locale", &self.locale)
            .field("password_hash", &"[REDACTED]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(
            Username::parse(" Sara ").map(String::from).ok().as_deref(),
            Some("sara")
        );
        assert!(Username::parse("نگار").is_ok());
        assert!(Username::parse(&"a".repeat(65)).is_err());
        assert!(Username::parse("").is_err());
        assert!(Username::parse("a b").is_err());
        assert!(Extension::parse("1001").is_ok());
        assert!(Extension::parse("10a1").is_err());
        assert_eq!(Role::parse("Admin").ok(), Some(Role::Admin));
        assert!(Role::Admin > Role::Supervisor && Role::Supervisor > Role::Agent);
        assert_eq!(Locale::parse("fa").ok(), Some(Locale::Fa));
    }
}
