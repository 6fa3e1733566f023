//! The one SQL store, [`SqlStore<DB>`](SqlStore), and [`Backend`], what a database needs
//! beyond `sqlx`'s own [`Database`] for the store to run on it: its name and its
//! migrations. [`SqliteStore`](super::SqliteStore) and [`PgStore`](super::PgStore) are
//! `SqlStore<Sqlite>` and `SqlStore<Postgres>`; only connecting differs between them.
//!
//! Every generic `impl` of the store repeats the same `where` clause: `DB: Backend`, the
//! pool's and transactions' executors, and the types the SQL binds and reads (`i64`, `bool`,
//! text, and their `Option`s). Rust implies only the bounds a trait puts on `Self` and on
//! its own associated types, not ones such as `i64: Encode<'_, DB>` (rust-lang/rust#20671),
//! so `Backend` cannot carry them for its users; spelling them out keeps every method
//! plain `sqlx`.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use sqlx::migrate::MigrateError;
use sqlx::{
    ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Postgres, Sqlite, Type,
};

use crate::StoreResult;
use crate::directory::Directory;
use crate::phone::PhoneNormalizer;

/// A database the store runs on: SQLite or PostgreSQL (sealed).
pub trait Backend:
    Database<Arguments: IntoArguments<Self>, QueryResult: RowsAffected> + sealed::Sealed
{
    /// `sqlite` or `postgres`, as [`Store::backend`](super::Store::backend) says.
    const BACKEND: &'static str;

    /// Applies this backend's pending migrations (`migrations/sqlite` or
    /// `migrations/postgres`: the same versions and names).
    fn migrate(pool: &Pool<Self>) -> BoxFuture<'_, Result<(), MigrateError>>;
}

/// What a write reports, on either backend.
pub trait RowsAffected {
    /// How many rows the statement inserted, changed or deleted.
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

mod sealed {
    /// Only the two backends the SQL is written for.
    pub trait Sealed {}
    impl Sealed for sqlx::Sqlite {}
    impl Sealed for sqlx::Postgres {}
}

impl Backend for Sqlite {
    const BACKEND: &'static str = "sqlite";

    fn migrate(pool: &Pool<Self>) -> BoxFuture<'_, Result<(), MigrateError>> {
        Box::pin(sqlx::migrate!("./migrations/sqlite").run(pool))
    }
}

impl Backend for Postgres {
    const BACKEND: &'static str = "postgres";

    fn migrate(pool: &Pool<Self>) -> BoxFuture<'_, Result<(), MigrateError>> {
        Box::pin(sqlx::migrate!("./migrations/postgres").run(pool))
    }
}

/// The CRM core on a SQL database, with its own [`Directory`] of contact cards.
pub struct SqlStore<DB: Database> {
    pub(super) pool: Pool<DB>,
    pub(super) normalizer: PhoneNormalizer,
    pub(super) directory: Arc<Directory>,
}

impl<DB: Database> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        SqlStore {
            pool: self.pool.clone(),
            normalizer: self.normalizer.clone(),
            directory: Arc::clone(&self.directory),
        }
    }
}

impl<DB: Backend> std::fmt::Debug for SqlStore<DB> {
    // The pool's options may hold the connection URL and its password: never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &DB::BACKEND)
            .finish_non_exhaustive()
    }
}

impl<DB: Database> SqlStore<DB> {
    /// A store on `pool`, with an empty [`Directory`].
    pub(super) fn with_pool(pool: Pool<DB>, normalizer: PhoneNormalizer) -> SqlStore<DB> {
        SqlStore {
            pool,
            normalizer,
            directory: Arc::new(Directory::new()),
        }
    }

    /// The contact cards this store's lookups are answered from and its writes forget
    /// (one [`Directory`], shared by the store's clones): where invalidations from
    /// elsewhere are to be sent.
    pub fn directory(&self) -> &Arc<Directory> {
        &self.directory
    }
}

#[async_trait::async_trait]
impl<DB> super::Store for SqlStore<DB>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'a> &'a str: ColumnIndex<DB::Row> + Encode<'a, DB> + Type<DB>,
    for<'a> Option<&'a str>: Encode<'a, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'a> i64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB> + Type<DB>,
    for<'a> bool: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<bool>: Encode<'a, DB> + Type<DB>,
    for<'a> String: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
{
    fn backend(&self) -> &'static str {
        DB::BACKEND
    }

    fn normalizer(&self) -> &PhoneNormalizer {
        &self.normalizer
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn migrate(&self) -> StoreResult<()> {
        DB::migrate(&self.pool).await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query(super::sql::PING).execute(&self.pool).await?;
        Ok(())
    }
}
