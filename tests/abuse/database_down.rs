//! Popups survive a database outage: a real `tamas serve` on a PostgreSQL cluster of its
//! own (initdb/pg_ctl in a temporary folder on a free loopback port; the machine's shared
//! server is never touched) with the simulated PBX. PostgreSQL is stopped for longer than
//! the extension → user cache trusts an answer (a minute) while calls ring agents whose
//! sockets are open: every popup arrives, without contacts and flagged `lookup_failed`;
//! once PostgreSQL is back, every call ended meanwhile is in the call log exactly once.
//!
//! [`PgCluster`] is also what `readiness` stops under a running server.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crm_core::{CallFilter, Extension, Locale, NewUser, Role, Store, TokenScope, Username};
use cti::sim::{CallSpec, Scenario, SimAgent, SimHandle, SimSettings, Simulator};
use tempfile::TempDir;

use crate::support::{Serve, Served, became_true};

/// The `/ws` test client of `screen_pop` (loaded once for the whole suite).
#[allow(dead_code)]
#[path = "../screen_pop/socket.rs"]
pub mod socket;

use socket::Socket;

/// A PostgreSQL cluster of this test alone, stopped and removed when dropped.
pub struct PgCluster {
    dir: TempDir,
    bin: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Run the server as `postgres` (it refuses to run as root).
    run_as: Option<String>,
}

impl PgCluster {
    /// Creates and starts a cluster; `None` (saying SKIPPED loudly) when PostgreSQL's
    /// server programs are not installed, which fails under `TAMAS_TEST_REQUIRE_ALL`.
    pub fn start(test: &str) -> Option<PgCluster> {
        let Some(bin) = server_bin_dir() else {
            assert!(
                std::env::var_os("TAMAS_TEST_REQUIRE_ALL").is_none(),
                "{test}: initdb/pg_ctl not found under /usr/lib/postgresql/*/bin, and \
                 TAMAS_TEST_REQUIRE_ALL is set"
            );
            eprintln!(
                "\nSKIPPED: {test}: PostgreSQL's server programs (initdb, pg_ctl) are not \
                 installed (Debian: apt-get install postgresql)\n"
            );
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let running_as_root = std::fs::metadata("/proc/self")
            .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
            .unwrap_or(false);
        let run_as = running_as_root.then(|| "postgres".to_owned());
        if let Some(user) = &run_as {
            let ids = |flag: &str| -> u32 {
                let out = Command::new("id").args([flag, user]).output().unwrap();
                String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
            };
            std::os::unix::fs::chown(dir.path(), Some(ids("-u")), Some(ids("-g"))).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = PgCluster {
            dir,
            bin,
            port,
            run_as,
        };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        cluster.start_again();
        Some(cluster)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the (stopped) server and waits until it accepts connections.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -h 127.0.0.1 -k {} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        );
    }

    /// Stops the server (connections are cut at once) and waits until it is down.
    pub fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the server and every process of it: it
    /// then neither answers queries on open connections nor accepts new ones.
    pub fn signal_all(&self, signal: &str) {
        let pid_file = self.dir.path().join("data").join("postmaster.pid");
        let postmaster: u32 = std::fs::read_to_string(pid_file)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let mut pids = vec![postmaster];
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid …; comm may hold spaces: read after the last ')'.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(postmaster)
                && let Ok(pid) = entry.file_name().to_string_lossy().parse()
            {
                pids.push(pid);
            }
        }
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .args(pids.iter().map(u32::to_string))
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} {pids:?}");
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self
            .command(program)
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-D", &self.data(), "-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb`.
fn server_bin_dir() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// `tamas serve` over `database_url`, with `config` in `dir` (started through the
/// harness's launcher).
pub struct Server {
    served: Served,
    /// `127.0.0.1:PORT`.
    pub host: String,
}

impl Server {
    /// Starts it with the TOML `config` (written to `dir`).
    pub async fn start(database_url: &str, config: &str, dir: &Path) -> Server {
        let path = dir.join("tamas.toml");
        std::fs::write(&path, config).unwrap();
        let served = Serve::new(database_url)
            .config(&path)
            .log_filter("info,sqlx=warn,tower_http=warn")
            .start()
            .await;
        Server {
            host: served.host.clone(),
            served,
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.served.pid()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.host)
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        self.served.log()
    }

    /// Waits until it answers `/healthz` and, when `pbx`, has logged in to the PBX.
    pub async fn wait_ready(&self, pbx: bool) {
        let client = reqwest::Client::new();
        let healthz = format!("{}/healthz", self.url());
        let ready = became_true(Duration::from_secs(30), || async {
            let up = client
                .get(&healthz)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            up && (!pbx || self.log().contains("connected to the PBX"))
        })
        .await;
        assert!(ready, "tamas serve never became ready: {}", self.log());
        if pbx {
            // The listing follows the login at once.
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

/// The agents: username, extension.
const AGENTS: [(&str, &str); 3] = [("sara", "1001"), ("reza", "1002"), ("maryam", "1003")];

/// Creates the agents (each with a full token, returned in order) and a contact for every
/// number of `numbers`.
async fn seed(store: &dyn Store, numbers: &[String]) -> Vec<String> {
    let mut tokens = Vec::new();
    for (username, extension) in AGENTS {
        let user = store
            .create_user(&NewUser {
                username: Username::parse(username).unwrap(),
                display_name: username.to_owned(),
                role: Role::Agent,
                extension: Some(Extension::parse(extension).unwrap()),
                locale: Locale::En,
                password_hash: "not used: tokens only".to_owned(),
            })
            .await
            .unwrap();
        let (_, token) = store.create_token(user.id, TokenScope::Full).await.unwrap();
        tokens.push(token.expose().to_owned());
    }
    for (i, number) in numbers.iter().enumerate() {
        store
            .create_contact(&crm_core::NewContact {
                name: format!("Customer {i}"),
                phones: vec![crm_core::NewPhone {
                    number: store.normalizer().normalize(number),
                    label: "mobile".into(),
                }],
                ..crm_core::NewContact::default()
            })
            .await
            .unwrap();
    }
    tokens
}

/// The simulated PBX in this process, on a free port.
async fn start_pbx() -> (SimHandle, u16) {
    let mut settings = SimSettings::lab();
    let extensions: Vec<String> = AGENTS.iter().map(|(_, e)| (*e).to_owned()).collect();
    settings.agents = SimAgent::for_extensions(&extensions);
    settings.hostile_names = 0.0;
    settings.max_extra_talk = Duration::ZERO;
    let simulator = Simulator::new(settings).unwrap();
    let sim = simulator.handle();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(simulator.serve(listener, std::future::pending()));
    (sim, port)
}

/// Rings `agent` with an inbound call from `number` (answered, a short talk); its Linkedid.
fn ring(sim: &SimHandle, number: &str, agent: &str) -> String {
    sim.place(
        CallSpec::new(Scenario::InboundAnswered)
            .customer(number, "Caller")
            .agent(agent)
            .extra_talk(Duration::from_millis(500)),
    )
    .unwrap()
    .linkedid
}

/// The popup of `call` on `socket`, checked to be flagged as without contacts.
async fn popup_without_contacts(socket: &mut Socket, call: &str, server: &Server) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let popup = loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match socket.next_within(left).await {
            Some(m) if m["type"] == "call.ringing" && m["call_id"] == call => break m,
            Some(_) => {}
            None => panic!("no popup for call {call}: {}", server.log()),
        }
    };
    assert_eq!(popup["lookup_failed"], true, "{popup}");
    assert_eq!(popup["contacts"], serde_json::json!([]), "{popup}");
    assert_eq!(popup["create_contact_url"], serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn popups_reach_agents_while_postgres_is_down() {
    let Some(cluster) = PgCluster::start("database_down") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = crm_core::connect(&cluster.url(), crm_core::PhoneNormalizer::new("IR"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let numbers: Vec<String> = (0..8).map(|i| format!("0912555{i:04}")).collect();
    let tokens = seed(store.as_ref(), &numbers).await;
    let (sim, pbx_port) = start_pbx().await;
    let agents: String = AGENTS
        .iter()
        .map(|(_, e)| format!("[[pbx.agents]]\nextension = \"{e}\"\n"))
        .collect();
    let server = Server::start(
        &cluster.url(),
        &format!(
            "[pbx]\nname = \"sim\"\nhost = \"127.0.0.1\"\nport = {pbx_port}\nusername = \"cti\"\n\
             secret = \"cti-secret\"\ntrunks = [\"trunk\"]\n{agents}"
        ),
        dir.path(),
    )
    .await;
    server.wait_ready(true).await;
    let mut sockets = Vec::new();
    for token in &tokens {
        let mut socket = Socket::connect(&server.host, Some(token), &[])
            .await
            .unwrap();
        socket.next_of("hello").await;
        sockets.push(socket);
    }
    // Before the outage, a popup carries its contact.
    let before = ring(&sim, &numbers[0], "1001");
    let popup = sockets[0].next_for_call("call.ringing", &before).await;
    assert_eq!(popup["lookup_failed"], false, "{popup}");
    assert_eq!(popup["contacts"].as_array().unwrap().len(), 1, "{popup}");
    sockets[0].next_for_call("call.ended", &before).await;

    cluster.stop();
    let stopped = tokio::time::Instant::now();
    let mut during = Vec::new();
    for (i, number) in numbers[1..4].iter().enumerate() {
        let call = ring(&sim, number, AGENTS[i].1);
        popup_without_contacts(&mut sockets[i], &call, &server).await;
        during.push(call);
    }
    // Past the minute the extension → user cache trusts an answer: the store is asked
    // again, fails, and the last good answer must still address the popups.
    // The agents' consoles stay connected meanwhile (reading answers the hub's pings).
    while tokio::time::Instant::now() < stopped + Duration::from_secs(65) {
        for socket in &mut sockets {
            socket.drain(Duration::from_millis(100)).await;
        }
    }
    for (i, number) in numbers[4..7].iter().enumerate() {
        let call = ring(&sim, number, AGENTS[i].1);
        popup_without_contacts(&mut sockets[i], &call, &server).await;
        during.push(call);
    }
    // Let the last calls end while PostgreSQL is still down.
    tokio::time::sleep(Duration::from_secs(3)).await;
    cluster.start_again();

    let expected: Vec<&String> = during.iter().chain([&before]).collect();
    assert_logged_once(store.as_ref(), &expected, &server).await;
}

/// Waits (a minute at most) until every call of `expected` is in the call log, then checks
/// each is there exactly once and nothing else is.
async fn assert_logged_once(store: &dyn Store, expected: &[&String], server: &Server) {
    let every = CallFilter {
        limit: 1000,
        ..CallFilter::default()
    };
    let mut logged = Vec::new();
    for _ in 0..240 {
        logged = store.list_calls(&every).await.unwrap_or_default();
        if expected
            .iter()
            .all(|id| logged.iter().any(|row| &&row.linkedid == id))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for id in expected {
        let copies = logged.iter().filter(|row| &&row.linkedid == id).count();
        assert_eq!(
            copies,
            1,
            "call {id} in the call log {copies} times: {}",
            server.log()
        );
    }
    assert_eq!(logged.len(), expected.len(), "{logged:?}");
}
