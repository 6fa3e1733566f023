//! [`StoreError`]: everything the CRM core can fail with.

/// An error from the CRM core's storage or domain rules.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("not found")]
    NotFound,
    /// The write conflicts with what exists (a username or extension taken…).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The input breaks a domain rule; the message says which.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The database cannot be reached right now (retry later).
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// Applying the migrations failed.
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The database URL is not `sqlite:…` or `postgres://…`.
    #[error("unsupported database URL (expected sqlite:PATH or postgres://…)")]
    UnsupportedUrl,
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Tls(_) => StoreError::Unavailable(err),
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_owned())
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::Invalid(
                format!("refers to something that does not exist: {}", db.message()),
            ),
            _ => StoreError::Database(err),
        }
    }
}

/// Results of the CRM core.
pub type StoreResult<T> = Result<T, StoreError>;
