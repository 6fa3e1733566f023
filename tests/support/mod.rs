//! Helpers for tests that run the real `tamas` binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// The path of the `tamas` binary Cargo built for these tests.
pub fn tamas_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tamas"))
}

/// A running `tamas` process, killed when dropped.
pub struct TamasProcess {
    child: Child,
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    /// The lines it printed on standard output up to the URL.
    pub output: Vec<String>,
    /// The database URL it uses.
    pub database_url: String,
}

impl TamasProcess {
    /// Starts `tamas demo` on a free port with its data in `data`, and waits until it
    /// prints its URL and answers `/healthz`.
    pub async fn demo(data: &Path) -> Self {
        let mut child = Command::new(tamas_bin())
            .args(["demo", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .env_remove("TAMAS_DATABASE_URL")
            .env_remove("TAMAS_CONFIG")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tamas demo starts");
        let stdout = child.stdout.take().expect("stdout piped");
        let (url, output) = tokio::task::spawn_blocking(move || {
            let mut output = Vec::new();
            let mut lines = BufReader::new(stdout).lines();
            let mut url = None;
            for line in lines.by_ref() {
                let line = line.expect("utf-8 output");
                let found = line
                    .split_whitespace()
                    .find(|word| word.starts_with("http://"))
                    .map(str::to_owned);
                output.push(line);
                if let Some(found) = found {
                    url = Some(found);
                }
                if output.iter().any(|l| l.contains("Ready")) {
                    break;
                }
            }
            // Keep draining so the child never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            (url.expect("the demo prints its URL"), output)
        })
        .await
        .expect("reader thread");
        let process = Self {
            child,
            url: url.trim_end_matches('/').to_owned(),
            output,
            database_url: format!("sqlite:{}", data.join("tamas.db").display()),
        };
        process.wait_healthy().await;
        process
    }

    async fn wait_healthy(&self) {
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(resp) = client.get(format!("{}/healthz", self.url)).send().await
                && resp.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("tamas never became healthy at {}", self.url);
    }

    /// Sends SIGTERM and waits for the process to exit (a minute at most).
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("tamas did not exit after SIGTERM");
    }

    /// Runs another `tamas` command against the same database.
    pub fn run_cli(&self, args: &[&str]) -> Output {
        run_tamas(&self.database_url, args, None)
    }
}

impl Drop for TamasProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `tamas ARGS` with `TAMAS_DATABASE_URL` set (unless empty), optionally feeding
/// `stdin`.
pub fn run_tamas(database_url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write as _;
    let mut command = Command::new(tamas_bin());
    if database_url.is_empty() {
        command.env_remove("TAMAS_DATABASE_URL");
    } else {
        command.env("TAMAS_DATABASE_URL", database_url);
    }
    let mut child = command
        .args(args)
        .env_remove("TAMAS_CONFIG")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tamas starts");
    let mut pipe = child.stdin.take().expect("stdin piped");
    if let Some(input) = stdin {
        pipe.write_all(input.as_bytes()).expect("write stdin");
    }
    drop(pipe);
    child.wait_with_output().expect("tamas finishes")
}

/// The password of every user of [`seeded_database`].
pub const PASSWORD: &str = "a long password";

/// The users of [`seeded_database`]: agents `sara` (1001) and `reza` (1002), supervisor
/// `boss`, admin `root`.
pub const USERS: [(&str, crm_core::Role, Option<&str>); 4] = [
    ("sara", crm_core::Role::Agent, Some("1001")),
    ("reza", crm_core::Role::Agent, Some("1002")),
    ("boss", crm_core::Role::Supervisor, None),
    ("root", crm_core::Role::Admin, None),
];

/// One argon2 hash of [`PASSWORD`] for every user of the test binary (hashing is slow in
/// debug builds).
fn password_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| crm_core::password::hash_password(PASSWORD).unwrap())
        .clone()
}

/// A fresh, migrated SQLite database in `dir` with the [`USERS`]: its URL and the store.
pub async fn seeded_database(dir: &Path) -> (String, std::sync::Arc<dyn crm_core::Store>) {
    let database_url = format!("sqlite:{}", dir.join("tamas.db").display());
    let store = crm_core::connect(&database_url, crm_core::PhoneNormalizer::new("IR"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let hash = tokio::task::spawn_blocking(password_hash).await.unwrap();
    for (username, role, extension) in USERS {
        store
            .create_user(&crm_core::NewUser {
                username: crm_core::Username::parse(username).unwrap(),
                display_name: format!("{username} (test)"),
                role,
                extension: extension.map(|e| crm_core::Extension::parse(e).unwrap()),
                locale: crm_core::Locale::En,
                password_hash: hash.clone(),
            })
            .await
            .unwrap();
    }
    (database_url, store)
}

/// Starts `tamas serve` on a free port over `database_url`, with `env` added (e.g.
/// `TAMAS_RECORDINGS__DATA_DIR`); returns its base URL and the process.
pub fn serve(database_url: &str, env: &[(&str, &std::ffi::OsStr)]) -> (String, Child) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = Command::new(tamas_bin());
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("TAMAS_DATABASE_URL", database_url)
        .env_remove("TAMAS_CONFIG")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (key, value) in env {
        command.env(key, value);
    }
    let server = command.spawn().expect("tamas serve starts");
    (format!("http://127.0.0.1:{port}"), server)
}

/// Waits until the server at `url` answers `/healthz` (10 s at most).
pub async fn wait_until_up(url: &str) {
    let client = reqwest::Client::new();
    for _ in 0..400 {
        if let Ok(resp) = client.get(format!("{url}/healthz")).send().await
            && resp.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("tamas serve never answered at {url}");
}

/// A child process killed (and waited for) when dropped.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tamas simulate-pbx --listen 127.0.0.1:0 ARGS`, waits until it accepts AMI
/// clients and returns it with its address (`host:port`).
pub fn simulate_pbx(args: &[&std::ffi::OsStr]) -> (KillOnDrop, String) {
    let mut sim = KillOnDrop(
        Command::new(tamas_bin())
            .args(["simulate-pbx", "--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("TAMAS_CONFIG")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tamas simulate-pbx starts"),
    );
    let stdout = sim.0.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let line = lines
        .by_ref()
        .map(|l| l.expect("utf-8 output"))
        .find(|l| l.contains("AMI on"))
        .expect("the simulator prints its address");
    std::thread::spawn(move || for _ in lines {});
    let address = line
        .split_whitespace()
        .last()
        .expect("an address")
        .to_owned();
    for _ in 0..200 {
        if std::net::TcpStream::connect(&address).is_ok() {
            return (sim, address);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("the simulated PBX never listened on {address}");
}

/// A fresh database for one test: a SQLite file, or a PostgreSQL database created through
/// `TAMAS_TEST_DATABASE_URL` and dropped afterwards.
pub struct TestDatabase {
    /// Its URL, for `tamas` (`TAMAS_DATABASE_URL`).
    pub url: String,
    /// The migrated store over it.
    pub store: std::sync::Arc<dyn crm_core::Store>,
    /// PostgreSQL: the admin URL and the database to drop.
    drop: Option<(String, String)>,
}

impl TestDatabase {
    /// A migrated SQLite database in `dir`.
    pub async fn sqlite(dir: &Path) -> Self {
        let url = format!("sqlite:{}", dir.join("tamas.db").display());
        let store = crm_core::connect(&url, crm_core::PhoneNormalizer::new("IR"))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        TestDatabase {
            url,
            store,
            drop: None,
        }
    }

    /// A migrated PostgreSQL database of its own, or `None` (saying SKIPPED loudly) when
    /// `TAMAS_TEST_DATABASE_URL` is not set; with `TAMAS_TEST_REQUIRE_ALL` that fails.
    pub async fn postgres(test: &str) -> Option<Self> {
        use sqlx::Connection as _;
        let Ok(admin_url) = std::env::var("TAMAS_TEST_DATABASE_URL") else {
            assert!(
                std::env::var_os("TAMAS_TEST_REQUIRE_ALL").is_none(),
                "TAMAS_TEST_DATABASE_URL is not set, and TAMAS_TEST_REQUIRE_ALL is"
            );
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "\nSKIPPED: {test}: TAMAS_TEST_DATABASE_URL not set (e.g. \
                 postgres://postgres@127.0.0.1:5432/test)\n"
            );
            return None;
        };
        let database = format!("tamas_test_{:016x}", rand::random::<u64>());
        let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")))
            .execute(&mut conn)
            .await
            .unwrap();
        drop(conn);
        let (base, query) = match admin_url.split_once('?') {
            Some((base, query)) => (base, format!("?{query}")),
            None => (admin_url.as_str(), String::new()),
        };
        let host_end = base.find("://").map_or(0, |i| i + 3);
        let server = match base[host_end..].find('/') {
            Some(slash) => &base[..host_end + slash],
            None => base,
        };
        let url = format!("{server}/{database}{query}");
        let store = crm_core::connect(&url, crm_core::PhoneNormalizer::new("IR"))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        Some(TestDatabase {
            url,
            store,
            drop: Some((admin_url, database)),
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, database)) = self.drop.take() else {
            return;
        };
        // On a thread of its own: Drop cannot await, and the test's runtime may be ending.
        let _ = std::thread::spawn(move || {
            use sqlx::Connection as _;
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
