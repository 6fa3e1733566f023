//! The SQLite store, [`SqliteStore`]: the embedded default (one file, WAL, foreign keys on,
//! a busy timeout so that writers wait for each other instead of failing).

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::SqlStore;
use crate::StoreResult;
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

/// The CRM core on SQLite, with its own [`Directory`](crate::Directory) of contact cards.
pub type SqliteStore = SqlStore<Sqlite>;

impl SqlStore<Sqlite> {
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
        Ok(SqlStore::with_pool(pool, normalizer))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

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
