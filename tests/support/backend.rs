//! Which database a test runs on: a SQLite file in the test's folder, or a PostgreSQL
//! database of its own (`tamas_test_<random>`, created through `TAMAS_TEST_DATABASE_URL` and
//! dropped afterwards). The convention is crm-core's conformance suite's: without that
//! variable the PostgreSQL variants say SKIPPED loudly and pass, unless
//! `TAMAS_TEST_REQUIRE_ALL` is set (CI sets both): then they fail.
//!
//! [`on_both_backends!`] turns `async fn scenario(backend: Backend)` functions into one
//! test per backend (`sqlite::scenario`, `postgres::scenario`).

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use sqlx::Connection as _;

/// A database engine Tamas supports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: a file.
    #[default]
    Sqlite,
    /// A PostgreSQL server (`TAMAS_TEST_DATABASE_URL`).
    Postgres,
}

impl Backend {
    /// Whether `test` can run on this backend here. PostgreSQL without
    /// `TAMAS_TEST_DATABASE_URL`: says SKIPPED (naming `test`) and answers `false`, or
    /// fails when `TAMAS_TEST_REQUIRE_ALL` is set.
    pub fn available(self, test: &str) -> bool {
        match self {
            Backend::Sqlite => true,
            Backend::Postgres => admin_url(test).is_some(),
        }
    }
}

/// `TAMAS_TEST_DATABASE_URL`, or `None` after saying loudly that `test` is skipped.
fn admin_url(test: &str) -> Option<String> {
    if let Ok(url) = std::env::var("TAMAS_TEST_DATABASE_URL") {
        return Some(url);
    }
    assert!(
        std::env::var_os("TAMAS_TEST_REQUIRE_ALL").is_none(),
        "TAMAS_TEST_DATABASE_URL is not set, and TAMAS_TEST_REQUIRE_ALL is"
    );
    // Straight to stderr: the test harness would swallow eprintln! of a passing test.
    let _ = writeln!(
        std::io::stderr(),
        "\nSKIPPED: {test}: TAMAS_TEST_DATABASE_URL not set (e.g. \
         postgres://postgres@127.0.0.1:5432/test)\n"
    );
    None
}

/// A fresh, migrated database for one test: a SQLite file, or a PostgreSQL database
/// dropped when this is dropped.
pub struct TestDatabase {
    /// Its URL, for `tamas` (`TAMAS_DATABASE_URL`) and the in-process service.
    pub url: String,
    /// The test's own connection to it (the service opens its own).
    pub store: Arc<dyn crm_core::Store>,
    /// Which engine it is.
    pub backend: Backend,
    /// PostgreSQL: the admin URL and the database to drop.
    drop: Option<(String, String)>,
}

impl TestDatabase {
    /// A database on `backend`: SQLite in `dir`, or PostgreSQL (`None`, after saying so,
    /// when `TAMAS_TEST_DATABASE_URL` is not set).
    pub async fn on(backend: Backend, dir: &Path, test: &str) -> Option<Self> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite(dir).await),
            Backend::Postgres => Self::postgres(test).await,
        }
    }

    /// A migrated SQLite database in `dir`.
    pub async fn sqlite(dir: &Path) -> Self {
        let url = format!("sqlite:{}", dir.join("tamas.db").display());
        TestDatabase {
            store: open(&url).await,
            url,
            backend: Backend::Sqlite,
            drop: None,
        }
    }

    /// A migrated PostgreSQL database of its own, or `None` (saying SKIPPED loudly) when
    /// `TAMAS_TEST_DATABASE_URL` is not set; with `TAMAS_TEST_REQUIRE_ALL` that fails.
    pub async fn postgres(test: &str) -> Option<Self> {
        let admin_url = admin_url(test)?;
        let database = format!("tamas_test_{:016x}", rand::random::<u64>());
        let mut conn = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("TAMAS_TEST_DATABASE_URL reachable");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")))
            .execute(&mut conn)
            .await
            .unwrap();
        drop(conn);
        let url = replace_database(&admin_url, &database);
        Some(TestDatabase {
            store: open(&url).await,
            url,
            backend: Backend::Postgres,
            drop: Some((admin_url, database)),
        })
    }
}

/// The store at `url`, migrated (numbers read in Iran, as the service's default).
async fn open(url: &str) -> Arc<dyn crm_core::Store> {
    let store = crm_core::connect(url, crm_core::PhoneNormalizer::new("IR"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store
}

/// `postgres://u@h:5432/test?x` with the database name replaced.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let host_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[host_end..].find('/') {
        Some(slash) => &base[..host_end + slash],
        None => base,
    };
    format!("{server}/{database}{query}")
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, database)) = self.drop.take() else {
            return;
        };
        // On a thread of its own: Drop cannot await, and the test's runtime may be ending.
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

/// One test per backend for each listed `async fn name(backend: Backend)` of the calling
/// module (which must have `Backend` in scope): `sqlite::name` and `postgres::name`, the
/// latter skipped loudly without `TAMAS_TEST_DATABASE_URL` ([`Backend::available`]). An
/// optional first `#[attribute]` replaces `#[tokio::test]`. The harness must be the test
/// binary's `crate::support`.
macro_rules! on_both_backends {
    (#[$test:meta] $($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[$test]
                async fn $name() {
                    super::$name(super::Backend::Sqlite).await;
                }
            )+
        }
        mod postgres {
            $(
                #[$test]
                async fn $name() {
                    let test = concat!(module_path!(), "::", stringify!($name));
                    if super::Backend::Postgres.available(test) {
                        super::$name(super::Backend::Postgres).await;
                    }
                }
            )+
        }
    };
    ($($name:ident),+ $(,)?) => {
        $crate::support::on_both_backends!(#[tokio::test] $($name),+);
    };
}
pub(crate) use on_both_backends;
