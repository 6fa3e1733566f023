//! The PostgreSQL store, [`PgStore`]: for several Tamas nodes, or when one machine is not
//! enough.

use std::time::Duration;

use sqlx::Postgres;
use sqlx::postgres::PgPoolOptions;

use super::SqlStore;
use crate::StoreResult;
use crate::phone::PhoneNormalizer;

/// How long a request waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections to the server.
const POOL_SIZE: u32 = 16;

/// The CRM core on PostgreSQL, with its own [`Directory`](crate::Directory) of contact
/// cards.
pub type PgStore = SqlStore<Postgres>;

impl SqlStore<Postgres> {
    /// Connects to `url` (`postgres://…`).
    pub async fn connect(url: &str, normalizer: PhoneNormalizer) -> StoreResult<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await?;
        Ok(SqlStore::with_pool(pool, normalizer))
    }
}
