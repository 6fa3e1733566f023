//! The PostgreSQL store: for several Tamas nodes, or when one machine is not enough.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::StoreResult;
use crate::directory::DirectoryCache;
use crate::phone::PhoneNormalizer;

/// The CRM core on PostgreSQL.
#[derive(Clone, Debug)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    pub(crate) cache: Arc<DirectoryCache>,
    pub(crate) normalizer: PhoneNormalizer,
}

impl PgStore {
    /// Connects to `url` (`postgres://…`).
    pub async fn connect(url: &str, normalizer: PhoneNormalizer) -> StoreResult<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        Ok(PgStore {
            pool,
            cache: Arc::new(DirectoryCache::default()),
            normalizer,
        })
    }
}

super::body::impl_store!(PgStore, "postgres", sqlx::migrate!("./migrations/postgres"));
