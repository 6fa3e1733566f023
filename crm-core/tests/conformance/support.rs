//! Fresh stores for the conformance suite: a SQLite file per test, always; a PostgreSQL
//! database per test (`tamas_test_<random>`, created through `TAMAS_TEST_DATABASE_URL` and
//! dropped afterwards) when that variable is set. Without it the PostgreSQL variants say so
//! loudly and pass, unless `TAMAS_TEST_REQUIRE_ALL` is set (CI): then they fail.

use std::io::Write as _;
use std::sync::{Arc, Once};

use crm_core::{PhoneNormalizer, Store};
use sqlx::Connection as _;

/// Keeps a test's database alive; drops the PostgreSQL database afterwards.
pub enum Guard {
    /// The SQLite file's folder, removed on drop.
    Sqlite { _dir: tempfile::TempDir },
    /// The PostgreSQL admin URL and the database to drop.
    Postgres { admin_url: String, database: String },
}

impl Drop for Guard {
    fn drop(&mut self) {
        let Guard::Postgres {
            admin_url,
            database,
        } = self
        else {
            return;
        };
        let (admin_url, database) = (admin_url.clone(), database.clone());
        // Best effort, on a thread of its own: Drop cannot await, and the test's runtime
        // may be shutting down.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
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

/// A migrated SQLite store in a fresh temporary folder.
pub async fn sqlite() -> (Arc<dyn Store>, Guard) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("test.db").display());
    let store = crm_core::connect(&url, PhoneNormalizer::new("IR"))
        .await
        .expect("sqlite opens");
    store.migrate().await.expect("migrations run");
    (store, Guard::Sqlite { _dir: dir })
}

/// A migrated PostgreSQL store in a fresh database, or `None` when
/// `TAMAS_TEST_DATABASE_URL` is not set.
pub async fn postgres() -> Option<(Arc<dyn Store>, Guard)> {
    let Ok(admin_url) = std::env::var("TAMAS_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("TAMAS_TEST_REQUIRE_ALL").is_none(),
            "TAMAS_TEST_DATABASE_URL is not set, and TAMAS_TEST_REQUIRE_ALL is"
        );
        static LOUD: Once = Once::new();
        // Straight to stderr: the test harness would swallow eprintln! of a passing test.
        LOUD.call_once(|| {
            let _ = writeln!(
                std::io::stderr(),
                "\nSKIPPED: TAMAS_TEST_DATABASE_URL not set; the PostgreSQL store tests did \
                 not run (e.g. TAMAS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)\n"
            );
        });
        return None;
    };
    let database = format!("tamas_test_{:016x}", rand::random::<u64>());
    let mut conn = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("TAMAS_TEST_DATABASE_URL reachable");
    let sql = format!("CREATE DATABASE {database}");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .expect("create test database");
    drop(conn);
    let guard = Guard::Postgres {
        admin_url: admin_url.clone(),
        database: database.clone(),
    };
    let url = replace_database(&admin_url, &database);
    let store = crm_core::connect(&url, PhoneNormalizer::new("IR"))
        .await
        .expect("postgres opens");
    store.migrate().await.expect("migrations run");
    Some((store, guard))
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

/// Runs each listed behaviour (an `async fn(Arc<dyn Store>)` of the calling module) on
/// SQLite and on PostgreSQL.
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
pub(crate) use conformance;
