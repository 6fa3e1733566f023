//! The SQLite store: the embedded default (one file, WAL, foreign keys on).

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::StoreResult;
use crate::directory::DirectoryCache;
use crate::phone::PhoneNormalizer;

/// The CRM core on SQLite.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    pub(crate) cache: Arc<DirectoryCache>,
    pub(crate) normalizer: PhoneNormalizer,
}

impl SqliteStore {
    /// Opens (creating when missing) the database at `url` (`sqlite:PATH`).
    pub async fn connect(url: &str, normalizer: PhoneNormalizer) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        Ok(SqliteStore {
            pool,
            cache: Arc::new(DirectoryCache::default()),
            normalizer,
        })
    }
}

super::body::impl_store!(SqliteStore, "sqlite", sqlx::migrate!("./migrations/sqlite"));
