//! Fresh stores for the conformance suite: a SQLite file per test, and a PostgreSQL
//! database per test when `TAMAS_TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use std::sync::Arc;

use crm_core::{PhoneNormalizer, Store};

/// Keeps a test's database alive; drops the PostgreSQL database afterwards.
pub enum Guard {
    /// The SQLite file's folder.
    Sqlite(tempfile::TempDir),
    /// The PostgreSQL admin URL and the database to drop.
    Postgres { admin_url: String, database: String },
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Guard::Postgres {
            admin_url,
            database,
        } = self
        {
            let admin_url = admin_url.clone();
            let database = database.clone();
            // Best effort, on a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async {
                    use sqlx::Connection as _;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                        let sql = format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)");
                        let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                            .execute(&mut conn)
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// A migrated SQLite store in a fresh temporary folder.
pub async fn sqlite() -> (Arc<dyn Store>, Guard) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("test.db").display());
    let store = crm_core::connect(&url, PhoneNormalizer::new("IR"))
        .await
        .expect("sqlite opens");
    store.migrate().await.expect("migrations run");
    (store, Guard::Sqlite(dir))
}

/// A migrated PostgreSQL store in a fresh database, or `None` (with a loud message) when
/// `TAMAS_TEST_DATABASE_URL` is not set.
pub async fn postgres() -> Option<(Arc<dyn Store>, Guard)> {
    let Ok(admin_url) = std::env::var("TAMAS_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED: TAMAS_TEST_DATABASE_URL not set; PostgreSQL store tests did not run");
        return None;
    };
    let database = format!("tamas_test_{:016x}", rand::random::<u64>());
    {
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("TAMAS_TEST_DATABASE_URL reachable");
        let sql = format!("CREATE DATABASE {database}");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .expect("create test database");
    }
    let url = replace_database(&admin_url, &database);
    let store = crm_core::connect(&url, PhoneNormalizer::new("IR"))
        .await
        .expect("postgres opens");
    store.migrate().await.expect("migrations run");
    Some((
        store,
        Guard::Postgres {
            admin_url,
            database,
        },
    ))
}

/// `postgres://u@h:5432/test?x` with the database name replaced.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

/// Runs each listed conformance test on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (store, _guard) = $crate::support::sqlite().await;
                    super::$name(store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some((store, _guard)) = $crate::support::postgres().await else {
                        return;
                    };
                    super::$name(store).await;
                }
            )*
        }
    };
}
