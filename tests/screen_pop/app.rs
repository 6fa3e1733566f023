//! `spawn_app(backend)`: the harness's [`support::spawn_app`] with the screen-pop tests'
//! people — agents `sara` (1001), `reza` (1002) and `maryam` (1003), supervisor `boss`,
//! each with a token — the simulated PBX in this process (so tests ring agents and read
//! the actions it received), click-to-call's dial plan, and Tamas connected to it over
//! AMI; with helpers that make each test a short story.

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use crm_core::{Contact, NewContact, NewPhone, Role, Stage};
use cti::sim::{CallSpec, Scenario, SimAgent, SimCall, SimSettings};
use serde_json::Value;

use crate::socket::Socket;
use crate::support::{self, AppOptions, Backend, Person, SimPbx};

/// The agents of every test app: username, extension.
pub const AGENTS: [(&str, &str); 3] = [("sara", "1001"), ("reza", "1002"), ("maryam", "1003")];

/// What a test may change about its app.
#[derive(Default)]
pub struct Options {
    /// The database engine (SQLite by default).
    pub backend: Backend,
    /// More agents (users `agentNNNN` with extension `NNNN`), e.g. for floods.
    pub extra_agents: Vec<String>,
    /// TOML sections appended to the server's configuration.
    pub extra_config: String,
    /// The real `tamas serve` instead of the service in this process (to kill it).
    pub real_binary: bool,
}

/// The running service, its PBX and what the test needs to drive and check them; the
/// harness's [`support::TestApp`] (host, base, store, users, tokens, client…) underneath.
pub struct TestApp {
    app: support::TestApp,
    /// The simulated PBX.
    pub sim: SimPbx,
}

impl Deref for TestApp {
    type Target = support::TestApp;

    fn deref(&self) -> &support::TestApp {
        &self.app
    }
}

impl DerefMut for TestApp {
    fn deref_mut(&mut self) -> &mut support::TestApp {
        &mut self.app
    }
}

/// The standard app on `backend`.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(Options {
        backend,
        ..Options::default()
    })
    .await
}

/// An app as `options` say.
pub async fn spawn_app_with(options: Options) -> TestApp {
    let mut extensions: Vec<String> = AGENTS.iter().map(|(_, e)| (*e).to_owned()).collect();
    extensions.extend(options.extra_agents.iter().cloned());
    let people = AGENTS
        .iter()
        .map(|(u, e)| Person::agent(u, e))
        .chain(
            options
                .extra_agents
                .iter()
                .map(|e| Person::agent(&format!("agent{e}"), e)),
        )
        .chain([Person::new("boss", Role::Supervisor, None)])
        .collect();
    let mut sim = SimSettings::lab();
    sim.agents = SimAgent::for_extensions(&extensions);
    sim.hostile_names = 0.0;
    sim.max_extra_talk = Duration::ZERO;
    let app = support::spawn_app(AppOptions {
        backend: options.backend,
        people,
        tokens: true,
        settings: format!(
            "[dialer]\ncontext = \"agents\"\ncalls_per_minute = 4\nring_timeout_s = 2\n\n{}",
            options.extra_config
        ),
        pbx: Some(sim),
        real_binary: options.real_binary,
        ..AppOptions::default()
    })
    .await;
    let app = TestApp {
        sim: app.sim().clone(),
        app,
    };
    app.wait_until_connected().await;
    app
}

impl TestApp {
    /// Kills the real binary (SIGKILL: nothing is flushed) and starts it again on the
    /// same database and PBX; returns once it is connected again.
    pub async fn restart_killed(&mut self) {
        self.app.restart_killed().await;
        self.wait_until_connected().await;
    }

    /// Waits until the server has read the PBX's queues (logged in over AMI).
    async fn wait_until_connected(&self) {
        // Generous: tests run side by side on small machines.
        let connected = support::became_true(Duration::from_secs(60), || async {
            let Ok(resp) = self
                .client
                .get(format!("{}/api/queues", self.base))
                .bearer_auth(&self.tokens["boss"])
                .send()
                .await
            else {
                return false;
            };
            resp.json::<Value>()
                .await
                .is_ok_and(|queues| queues.as_array().is_some_and(|q| !q.is_empty()))
        })
        .await;
        assert!(
            connected,
            "tamas never connected to the simulated PBX: {}",
            self.server_log()
        );
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
