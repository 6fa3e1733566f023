//! Password hashes: argon2id (default parameters: 19 MiB, 2 passes) in PHC string form.
//! Every function here is slow on purpose; call them from `spawn_blocking` in async code.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

use crate::StoreError;

/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 8;

/// The longest password accepted, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, StoreError> {
    if password.chars().count() < MIN_PASSWORD_LEN || password.len() > MAX_PASSWORD_BYTES {
        return Err(StoreError::Invalid(format!(
            "a password has at least {MIN_PASSWORD_LEN} characters \
             (and at most {MAX_PASSWORD_BYTES} bytes)"
        )));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|err| StoreError::Invalid(format!("cannot hash the password: {err}")))
}

/// Whether `password` matches `hash`. A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    password.len() <= MAX_PASSWORD_BYTES
        && Argon2::default()
            .verify_password(password.as_bytes(), hash)
            .is_ok()
}

/// A hash no password is known for, to spend the same time on unknown users.
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| hash_password(&crate::token::random_hex()).ok());

/// Sign-in check that takes as long whether or not the user exists: with `None` (no such
/// user, or an inactive one) it verifies against a dummy hash and answers `false`, so
/// response times do not reveal which usernames exist.
pub fn verify_password_or_dummy(password: &str, hash: Option<&str>) -> bool {
    match hash {
        Some(hash) => verify_password(password, hash),
        None => {
            if let Some(dummy) = DUMMY_HASH.as_deref() {
                let _ = verify_password(password, dummy);
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_reject() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        assert!(hash_password("short").is_err());
        assert!(hash_password(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
        assert!(verify_password_or_dummy("correct horse", Some(&hash)));
        assert!(!verify_password_or_dummy("correct horse", None));
    }
}
