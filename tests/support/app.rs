//! `spawn_app`: one test's service. A fresh database on the chosen [`Backend`] with its
//! people (and their bearer tokens), optionally the simulated PBX ([`SimPbx`]), and Tamas
//! over both: in this process on a bound listener ([`RunningApp`], zero2prod's
//! `spawn_app`), or — when the process is the point, as for a kill — the real binary
//! through the [`launcher`](super::launcher). The test keeps a connection of its own to the
//! database ([`TestApp::store`]), as a second process would.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crm_core::{Store, TokenScope, User};
use cti::sim::SimSettings;
use tempfile::TempDir;

use super::backend::{Backend, TestDatabase};
use super::in_process::RunningApp;
use super::launcher::{Serve, Served, wait_until_up};
use super::pbx::SimPbx;
use super::seed::{Person, seed, standard_users};

/// What a test asks of its service.
pub struct AppOptions {
    /// The database engine ([`Backend::available`] must have said yes).
    pub backend: Backend,
    /// The users to create before the service starts.
    pub people: Vec<Person>,
    /// Whether each user gets a full bearer token ([`TestApp::tokens`]).
    pub tokens: bool,
    /// Settings (TOML) beyond the defaults, after the `[pbx]` section when there is a
    /// simulated PBX (so `[[pbx.agents]]` may follow).
    pub settings: String,
    /// A simulated PBX with these settings, and `[pbx]` pointing at it (name `sim`).
    pub pbx: Option<SimSettings>,
    /// Run the real `tamas serve` instead of the service in this process.
    pub real_binary: bool,
    /// What the service logs (`RUST_LOG` syntax).
    pub log_filter: String,
}

impl Default for AppOptions {
    /// SQLite, the standard users without tokens, no PBX, in this process, warnings.
    fn default() -> Self {
        AppOptions {
            backend: Backend::Sqlite,
            people: standard_users(),
            tokens: false,
            settings: String::new(),
            pbx: None,
            real_binary: false,
            log_filter: "warn".into(),
        }
    }
}

/// The service in this process, or the real binary.
enum Server {
    InProcess(RunningApp),
    Process(Served),
}

/// A running service and what a test needs to drive and check it.
pub struct TestApp {
    // Dropped first: the service stops before its PBX, its database and its folder go.
    server: Option<Server>,
    /// Where it serves HTTP.
    pub addr: SocketAddr,
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The test's own connection to the service's database.
    pub store: Arc<dyn Store>,
    /// That database's URL (for `tamas` commands run beside it).
    pub database_url: String,
    /// Its engine.
    pub backend: Backend,
    /// The seeded users, by username.
    pub users: HashMap<String, User>,
    /// Their bearer tokens, by username (when asked for).
    pub tokens: HashMap<String, String>,
    /// An HTTP client.
    pub client: reqwest::Client,
    /// The simulated PBX, when asked for.
    pub pbx: Option<SimPbx>,
    /// The test's folder (the settings file, the SQLite database).
    pub dir: PathBuf,
    config: PathBuf,
    real_binary: bool,
    log_filter: String,
    _database: TestDatabase,
    _dir: TempDir,
}

/// Starts a service as `options` say, over a fresh database; returns once it answers
/// HTTP.
pub async fn spawn_app(options: AppOptions) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::on(options.backend, dir.path(), "spawn_app")
        .await
        .expect("Backend::available said yes first");
    spawn_app_over(database, dir, options).await
}

/// Starts a service as `options` say (its `backend` aside) over `database`, which the
/// test may have filled already, with `dir` as the test's folder.
pub async fn spawn_app_over(database: TestDatabase, dir: TempDir, options: AppOptions) -> TestApp {
    let store = Arc::clone(&database.store);
    let users = seed(store.as_ref(), &options.people).await;
    let mut tokens = HashMap::new();
    if options.tokens {
        for (username, user) in &users {
            let (_, token) = store.create_token(user.id, TokenScope::Full).await.unwrap();
            tokens.insert(username.clone(), token.expose().to_owned());
        }
    }
    let pbx = options.pbx.map(SimPbx::start);
    let config = dir.path().join("tamas.toml");
    let pbx_section = pbx.as_ref().map_or_else(String::new, |pbx| {
        format!(
            "[pbx]\nname = \"sim\"\nhost = \"127.0.0.1\"\nport = {}\nusername = \"cti\"\n\
             secret = \"cti-secret\"\ntrunks = [\"trunk\"]\n\n",
            pbx.port()
        )
    });
    std::fs::write(&config, format!("{pbx_section}{}", options.settings)).unwrap();
    let mut app = TestApp {
        server: None,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        host: String::new(),
        base: String::new(),
        store,
        database_url: database.url.clone(),
        backend: database.backend,
        users,
        tokens,
        client: reqwest::Client::new(),
        pbx,
        dir: dir.path().to_owned(),
        config,
        real_binary: options.real_binary,
        log_filter: options.log_filter,
        _database: database,
        _dir: dir,
    };
    app.start_server().await;
    app
}

impl TestApp {
    /// Starts the service (again) and waits until it answers.
    async fn start_server(&mut self) {
        let server = if self.real_binary {
            let served = Serve::new(&self.database_url)
                .config(&self.config)
                .log_filter(&self.log_filter)
                .start()
                .await;
            Server::Process(served)
        } else {
            let running =
                RunningApp::start(&self.config, &self.database_url, &self.log_filter).await;
            Server::InProcess(running)
        };
        self.addr = match &server {
            Server::InProcess(running) => running.addr,
            Server::Process(served) => served.addr,
        };
        self.host = self.addr.to_string();
        self.base = format!("http://{}", self.host);
        self.server = Some(server);
        wait_until_up(&self.base).await;
    }

    /// Stops the service (in this process: through its lifecycle; the binary: killed)
    /// and starts it again on the same database, settings and PBX, on a new port.
    pub async fn restart(&mut self) {
        match self.server.take() {
            Some(Server::InProcess(running)) => running.stop().await,
            Some(Server::Process(mut served)) => served.kill(),
            None => {}
        }
        self.start_server().await;
    }

    /// Kills the real binary (SIGKILL: nothing is flushed) and starts it again on the
    /// same database, settings and PBX, on a new port.
    pub async fn restart_killed(&mut self) {
        assert!(self.real_binary, "only a process can be killed");
        self.restart().await;
    }

    /// What the service logged so far.
    pub fn server_log(&self) -> String {
        match &self.server {
            Some(Server::InProcess(running)) => running.log(),
            Some(Server::Process(served)) => served.log(),
            None => String::new(),
        }
    }

    /// The simulated PBX (panics when the test asked for none).
    pub fn sim(&self) -> &SimPbx {
        self.pbx.as_ref().expect("a simulated PBX")
    }
}
