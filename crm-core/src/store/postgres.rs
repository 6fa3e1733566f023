//! The PostgreSQL store: for several Tamas nodes, or when one machine is not enough.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use super::sql::{
    alerts::impl_alert_store, auth::impl_auth_store, call_parts, callbacks::impl_callback_store,
    calls::impl_call_store, contacts::impl_contact_store, credentials::impl_credential_store,
    open_calls::impl_open_call_store, phones::impl_phone_helpers, recordings::impl_recording_store,
    users::impl_user_store, work::impl_work_store,
};
use crate::StoreResult;
use crate::directory::Directory;
use crate::phone::PhoneNormalizer;

/// How long a request waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The CRM core on PostgreSQL, with its own [`Directory`] of contact cards.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    normalizer: PhoneNormalizer,
    directory: Arc<Directory>,
}

impl std::fmt::Debug for PgStore {
    // The pool's options hold the connection URL and its password: never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://…`).
    pub async fn connect(url: &str, normalizer: PhoneNormalizer) -> StoreResult<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await?;
        Ok(PgStore {
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
impl super::Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn normalizer(&self) -> &PhoneNormalizer {
        &self.normalizer
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query(super::sql::PING).execute(&self.pool).await?;
        Ok(())
    }
}

impl_user_store!(PgStore);
impl_auth_store!(PgStore);
impl_credential_store!(PgStore);
impl_contact_store!(PgStore);
impl_phone_helpers!(PgStore, sqlx::Postgres);
impl_call_store!(PgStore, sqlx::Postgres);
call_parts::impl_call_parts!(PgStore);
call_parts::impl_call_part_store!(PgStore);
impl_recording_store!(PgStore);
impl_work_store!(PgStore);
impl_callback_store!(PgStore);
impl_alert_store!(PgStore);
impl_open_call_store!(PgStore);
