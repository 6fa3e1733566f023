//! The SQLite store: the embedded default (one file, WAL, foreign keys on, a busy timeout
//! so that writers wait for each other instead of failing).

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::sql::{
    alerts::impl_alert_store, auth::impl_auth_store, call_parts, callbacks::impl_callback_store,
    calls::impl_call_store, contacts::impl_contact_store, credentials::impl_credential_store,
    open_calls::impl_open_call_store, phones::impl_phone_helpers, recordings::impl_recording_store,
    users::impl_user_store, work::impl_work_store,
};
use crate::StoreResult;
use crate::directory::Directory;
use crate::phone::PhoneNormalizer;

/// How long a connection waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections to a database file.
const POOL_SIZE: u32 = 8;
/// Each connection's own page cache, KiB (SQLite's default is 2,000). Every connection
/// keeps its own copies of the pages it read, so the default lets a pool hold up to 16 MB
/// that fill slowly as the file grows; the operating system's file cache already keeps
/// the file once for all of them.
const PAGE_CACHE_KIB: u32 = 512;

/// The CRM core on SQLite, with its own [`Directory`] of contact cards.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    normalizer: PhoneNormalizer,
    directory: Arc<Directory>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the database at `url` (`sqlite:PATH`, the file created when missing; or
    /// `sqlite::memory:`, one private in-memory database kept on a single connection).
    pub async fn connect(url: &str, normalizer: PhoneNormalizer) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("cache_size", format!("-{PAGE_CACHE_KIB}"));
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool = if in_memory {
            // Every connection to `:memory:` is a database of its own: keep exactly one.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(POOL_SIZE)
        }
        .acquire_timeout(BUSY_TIMEOUT)
        .connect_with(options)
        .await?;
        Ok(SqliteStore {
            pool,
            normalizer,
            directory: Arc::new(Directory::new()),
        })
    }

    /// The contact cards this store's lookups are answered from and its writes forget
    /// (one [`Directory`], shared by the store's clones): where invalidations from
    /// elsewhere are to be sent.
    pub fn directory(&self) -> &Arc<Directory> {
        &self.directory
    }
}

#[async_trait::async_trait]
impl super::Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn normalizer(&self) -> &PhoneNormalizer {
        &self.normalizer
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query(super::sql::PING).execute(&self.pool).await?;
        Ok(())
    }
}

impl_user_store!(SqliteStore);
impl_auth_store!(SqliteStore);
impl_credential_store!(SqliteStore);
impl_contact_store!(SqliteStore);
impl_phone_helpers!(SqliteStore, sqlx::Sqlite);
impl_call_store!(SqliteStore, sqlx::Sqlite);
call_parts::impl_call_parts!(SqliteStore);
call_parts::impl_call_part_store!(SqliteStore);
impl_recording_store!(SqliteStore);
impl_work_store!(SqliteStore);
impl_callback_store!(SqliteStore);
impl_alert_store!(SqliteStore);
impl_open_call_store!(SqliteStore);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ContactStore as _, Store as _};

    #[tokio::test]
    async fn clones_share_the_cards_their_writes_forget() {
        let store = SqliteStore::connect("sqlite::memory:", PhoneNormalizer::new("IR"))
            .await
            .expect("open");
        store.migrate().await.expect("migrate");
        let clone = store.clone();
        assert!(Arc::ptr_eq(store.directory(), clone.directory()));
        let cached = store
            .lookup_number("09121234567", None)
            .await
            .expect("miss");
        assert!(cached.is_empty());
        let new = crate::NewContact {
            name: "Ali".into(),
            phones: vec![crate::NewPhone {
                number: store.normalizer.normalize("09121234567"),
                label: "mobile".into(),
            }],
            ..crate::NewContact::default()
        };
        let ali = clone.create_contact(&new).await.expect("created");
        let cards = store
            .lookup_number("+989121234567", None)
            .await
            .expect("hit");
        assert_eq!(cards.len(), 1);
        assert_eq!(cards[0].contact.id, ali.id);
    }
}
