//! Bearer secrets: API tokens (`tamas_` and 64 hex digits: 32 random bytes) and session ids.
//! The plaintext is handed out once; the database keeps only its SHA-256, so a leaked
//! database does not leak usable tokens. Neither type shows its secret in `Debug`.

use sha2::{Digest as _, Sha256};

/// The prefix of every API token, so a leaked one is recognisable (and cheap to reject).
pub const TOKEN_PREFIX: &str = "tamas_";

/// The longest string [`hash_token`] callers should bother hashing: anything longer is not
/// one of ours.
pub const MAX_TOKEN_LEN: usize = 128;

/// A new API token's plaintext, shown once to its owner. `Display` prints it (that is what
/// it is for); `Debug` does not.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(String);

impl ApiToken {
    /// A fresh random token.
    pub(crate) fn generate() -> ApiToken {
        ApiToken(format!("{TOKEN_PREFIX}{}", random_hex()))
    }

    /// The plaintext, e.g. for an `Authorization: Bearer` header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the store keeps.
    pub(crate) fn hash(&self) -> String {
        hash_token(&self.0)
    }
}

impl std::fmt::Display for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiToken([REDACTED])")
    }
}

/// A session id as put in the session cookie. `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    /// A fresh random session id.
    pub(crate) fn generate() -> SessionToken {
        SessionToken(random_hex())
    }

    /// The plaintext, for the cookie.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the store keeps.
    pub(crate) fn hash(&self) -> String {
        hash_token(&self.0)
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken([REDACTED])")
    }
}

/// 32 random bytes as 64 hex digits (CSRF tokens, session ids, API tokens).
pub(crate) fn random_hex() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

/// The stored form of an API token or a session id: its SHA-256 in hex.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hashed_and_redacted() {
        let a = ApiToken::generate();
        let b = ApiToken::generate();
        assert_ne!(a, b);
        assert!(a.expose().starts_with(TOKEN_PREFIX));
        assert_eq!(a.expose().len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(a.hash(), hash_token(a.expose()));
        assert_ne!(a.hash(), a.expose());
        assert_eq!(a.to_string(), a.expose());
        assert!(!format!("{a:?}").contains(a.expose()));
        let s = SessionToken::generate();
        assert_eq!(s.expose().len(), 64);
        assert!(!format!("{s:?}").contains(s.expose()));
    }
}
