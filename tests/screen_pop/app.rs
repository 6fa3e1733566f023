//! `spawn_app()`: a fresh SQLite database with users and contacts, the simulated PBX in
//! this process (so tests can ring agents and read the actions it received) and the real
//! `tamas serve` binary connected to it over AMI.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use crm_core::{
    Contact, Extension, Locale, NewContact, NewPhone, NewUser, Role, Stage, Store, TokenScope,
    User, Username,
};
use cti::sim::{CallSpec, Scenario, SimAgent, SimCall, SimHandle, SimSettings, Simulator};
use serde_json::Value;
use tempfile::TempDir;

use crate::socket::Socket;

/// The agents of every test app: username, extension.
pub const AGENTS: [(&str, &str); 3] = [("sara", "1001"), ("reza", "1002"), ("maryam", "1003")];

/// What a test may change about its app.
#[derive(Default)]
pub struct Options {
    /// More agents (users `agentNNNN` with extension `NNNN`), e.g. for floods.
    pub extra_agents: Vec<String>,
    /// TOML sections appended to the server's configuration.
    pub extra_config: String,
}

/// The running service and what the test needs to drive and check it.
pub struct TestApp {
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The same database the server uses.
    pub store: Arc<dyn Store>,
    /// The simulated PBX.
    pub sim: SimHandle,
    /// Users by username.
    pub users: HashMap<String, User>,
    /// Bearer tokens by username.
    pub tokens: HashMap<String, String>,
    /// The HTTP client.
    pub client: reqwest::Client,
    /// The server's standard error.
    pub log: PathBuf,
    /// The database both use (`sqlite:…`).
    pub database_url: String,
    config: PathBuf,
    server: Child,
    _dir: TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
        self.sim.shutdown();
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite:{}", dir.path().join("tamas.db").display());
    let store = crm_core::connect(&database_url, crm_core::PhoneNormalizer::new("IR"))
        .await
        .unwrap();
    store.migrate().await.unwrap();

    // One hash for everybody: hashing is slow and the tests sign in with tokens.
    let hash = crm_core::password::hash_password("a long test password").unwrap();
    let mut users = HashMap::new();
    let mut tokens = HashMap::new();
    let extra: Vec<(String, String)> = options
        .extra_agents
        .iter()
        .map(|e| (format!("agent{e}"), e.clone()))
        .collect();
    let people = AGENTS
        .iter()
        .map(|(u, e)| ((*u).to_owned(), Some((*e).to_owned()), Role::Agent))
        .chain(extra.into_iter().map(|(u, e)| (u, Some(e), Role::Agent)))
        .chain([("boss".to_owned(), None, Role::Supervisor)]);
    for (username, extension, role) in people {
        let user = store
            .create_user(&NewUser {
                username: Username::parse(&username).unwrap(),
                display_name: username.clone(),
                role,
                extension: extension.map(|e| Extension::parse(&e).unwrap()),
                locale: Locale::En,
                password_hash: hash.clone(),
            })
            .await
            .unwrap();
        let (_, token) = store.create_token(user.id, TokenScope::Full).await.unwrap();
        tokens.insert(username.clone(), token.expose().to_owned());
        users.insert(username, user);
    }

    let mut sim_settings = SimSettings::lab();
    let mut extensions: Vec<String> = AGENTS.iter().map(|(_, e)| (*e).to_owned()).collect();
    extensions.extend(options.extra_agents.iter().cloned());
    sim_settings.agents = SimAgent::for_extensions(&extensions);
    sim_settings.hostile_names = 0.0;
    sim_settings.max_extra_talk = Duration::ZERO;
    let simulator = Simulator::new(sim_settings).unwrap();
    let sim = simulator.handle();
    let pbx = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let pbx_port = pbx.local_addr().unwrap().port();
    tokio::spawn(simulator.serve(pbx, std::future::pending()));

    let config = dir.path().join("tamas.toml");
    std::fs::write(
        &config,
        format!(
            "[pbx]\nname = \"sim\"\nhost = \"127.0.0.1\"\nport = {pbx_port}\nusername = \"cti\"\n\
             secret = \"cti-secret\"\ntrunks = [\"trunk\"]\n\n[dialer]\ncontext = \"agents\"\n\
             calls_per_minute = 4\nring_timeout_s = 2\n\n{}",
            options.extra_config
        ),
    )
    .unwrap();
    let http = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = http.local_addr().unwrap().to_string();
    drop(http);
    let log = dir.path().join("server.log");
    std::fs::File::create(&log).unwrap();
    let server = start_server(&config, &host, &database_url, &log);
    let app = TestApp {
        config,
        base: format!("http://{host}"),
        host,
        store,
        sim,
        users,
        tokens,
        client: reqwest::Client::new(),
        log,
        database_url: database_url.clone(),
        server,
        _dir: dir,
    };
    app.wait_until_connected().await;
    app
}

/// `tamas serve` with `config` on `host`, appending to `log`.
fn start_server(config: &Path, host: &str, database_url: &str, log: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tamas"))
        .args(["serve", "--config"])
        .arg(config)
        .args(["--listen", host])
        .env_remove("TAMAS_CONFIG")
        .env("TAMAS_DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::OpenOptions::new().append(true).open(log).unwrap())
        .spawn()
        .unwrap()
}

impl TestApp {
    /// Kills the server (SIGKILL: nothing is flushed) and starts it again on the same
    /// port, database and PBX; returns once it is connected again.
    pub async fn restart_killed(&mut self) {
        self.server.kill().unwrap();
        self.server.wait().unwrap();
        self.server = start_server(&self.config, &self.host, &self.database_url, &self.log);
        self.wait_until_connected().await;
    }

    /// Waits until the server answers and has read the PBX's queues (logged in over AMI).
    async fn wait_until_connected(&self) {
        // Generous: tests run side by side on small machines.
        for _ in 0..2400 {
            if let Ok(resp) = self
                .client
                .get(format!("{}/api/queues", self.base))
                .bearer_auth(&self.tokens["boss"])
                .send()
                .await
                && let Ok(queues) = resp.json::<Value>().await
                && queues.as_array().is_some_and(|q| !q.is_empty())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "tamas never connected to the simulated PBX: {}",
            self.server_log()
        );
    }

    /// What the server logged so far.
    pub fn server_log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A socket of `user`, authenticated with their token; past `hello`.
    pub async fn socket(&self, user: &str) -> (Socket, Value) {
        let mut socket = Socket::connect(&self.host, Some(&self.tokens[user]), &[])
            .await
            .unwrap();
        let hello = socket.next_of("hello").await;
        (socket, hello)
    }

    /// An inbound call from `number` ("`name`") that rings `agent`, who answers after 5 s;
    /// 8 s of talk.
    pub fn ring(&self, number: &str, name: &str, agent: &str) -> SimCall {
        self.sim
            .place(
                CallSpec::new(Scenario::InboundAnswered)
                    .customer(number, name)
                    .agent(agent)
                    .extra_talk(Duration::ZERO),
            )
            .unwrap()
    }

    /// A contact with these numbers.
    pub async fn contact(&self, name: &str, numbers: &[&str]) -> Contact {
        let normalizer = self.store.normalizer().clone();
        self.store
            .create_contact(&NewContact {
                name: name.to_owned(),
                stage: Stage::Customer,
                tags: vec!["vip".into()],
                phones: numbers
                    .iter()
                    .map(|n| NewPhone {
                        number: normalizer.normalize(n),
                        label: "mobile".into(),
                    })
                    .collect(),
                ..NewContact::default()
            })
            .await
            .unwrap()
    }

    /// `POST path` with `user`'s token and a JSON body.
    pub async fn post(&self, user: &str, path: &str, body: Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.tokens[user])
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// `GET path` with `user`'s token, as JSON.
    pub async fn get(&self, user: &str, path: &str) -> Value {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.tokens[user])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}
