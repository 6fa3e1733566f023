//! A simulated Asterisk 22 speaking real AMI over TCP, for the demo, end-to-end and load
//! tests: it goes through the real client and tracker, never around them.
//!
//! - [`Simulator`] / [`run`]: the TCP server; [`SimHandle`]: make a given call happen now
//!   ([`CallSpec`], [`SimHandle::ring`]) and read the log of actions received.
//! - `settings`: [`SimSettings`] (account, agents, queues, call rate, seed, replay);
//!   `mix`: which scenarios are generated and how long callers wait and talk
//!   ([`SecondsRange`]).
//! - `session` and `actions`: one client connection — banner, `Login` (plain or MD5
//!   challenge; a wrong secret is refused after a delay and the connection closed),
//!   `Ping`, `Events`, `CoreShowChannels`, `QueueStatus`, `QueueSummary`, `Originate`
//!   (then `OriginateResponse`), `QueuePause`, `Logoff`, errors for anything else.
//! - `scenarios`, `template`, `slots`, `render`: calls replayed from real captures
//!   (`scenarios/*.ami`, embedded), re-stamped with fresh Uniqueids, channel names, bridge
//!   ids, agents, customers and times; `callers`: who calls, in which number format.
//! - `roles` and `truth`: what each scenario's calls really are (who answers, which events
//!   are the queue join, the answer, the hang-ups) and the JSON line written for each
//!   finished call ([`SimSettings::truth`]), from the times its events were sent at.
//! - `calls`: placing calls (no agent is rung while on a call), random arrivals, originates.
//! - `engine`: the shared core (clock, state, counters, fan-out); `state` and `lists`: the
//!   live channels and queues the list actions report; `clock`: sim time (Tokio time, so
//!   tests can pause it); `event`: outgoing messages; `replay`: serving capture files.
//! - `monitor`: MixMonitor's files (option `b`) written into a spool folder, when
//!   [`SimSettings::spool`] is set.

mod actions;
mod callers;
mod calls;
mod clock;
mod engine;
mod event;
mod lists;
mod mix;
mod monitor;
mod render;
mod replay;
mod roles;
mod scenarios;
mod session;
mod settings;
mod slots;
mod state;
mod template;
mod truth;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinSet;

pub use calls::{CallSpec, SimCall};
pub use engine::ReceivedAction;
pub use mix::{SecondsRange, parse_mix};
pub use scenarios::Scenario;
pub use settings::{ReplayPace, ReplaySettings, SimAgent, SimQueue, SimQueues, SimSettings};

use engine::Engine;
use session::ClientSession;

/// What can go wrong in the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// An embedded scenario does not parse (a bug in the build).
    #[error("scenario template {0}")]
    Template(String),
    /// The scenario is not in the catalog.
    #[error("no such scenario: {0:?}")]
    UnknownScenario(Scenario),
    /// Every agent the scenario needs is on a call (or paused).
    #[error("not enough free agents for {0:?}")]
    NoFreeAgent(Option<Scenario>),
    /// The requested agent is on a call.
    #[error("agent {0} is on a call")]
    AgentBusy(String),
    /// The requested agent is not configured.
    #[error("agent {0} is not configured")]
    UnknownAgent(String),
    /// A capture to replay cannot be read or decoded.
    #[error("replay file {path}: {error}")]
    Replay {
        /// The file.
        path: PathBuf,
        /// Why.
        error: String,
    },
    /// Accepting connections failed.
    #[error("AMI server: {0}")]
    Io(#[from] std::io::Error),
    /// A call mix or a length (`--scenarios`, `--talk-seconds`, `--wait-seconds`) that does
    /// not parse.
    #[error("{0}")]
    Mix(String),
    /// The truth file cannot be opened.
    #[error("truth file {path}: {error}")]
    Truth {
        /// The file.
        path: PathBuf,
        /// Why.
        error: String,
    },
}

impl SimError {
    fn for_scenario(self, scenario: Scenario) -> Self {
        match self {
            SimError::NoFreeAgent(None) => SimError::NoFreeAgent(Some(scenario)),
            other => other,
        }
    }
}

/// The simulated PBX, ready to serve.
#[derive(Debug)]
pub struct Simulator {
    engine: Arc<Engine>,
}

impl Simulator {
    /// Loads the scenarios (and the captures to replay, if any).
    pub fn new(settings: SimSettings) -> Result<Simulator, SimError> {
        Ok(Simulator {
            engine: Engine::new(settings)?,
        })
    }

    /// A handle to make calls happen and to read the action log.
    pub fn handle(&self) -> SimHandle {
        SimHandle {
            engine: Arc::clone(&self.engine),
        }
    }

    /// Accepts AMI clients on `listener` and generates calls until `shutdown` completes (or
    /// [`SimHandle::shutdown`] is called); clients then get `Event: Shutdown` and are
    /// disconnected.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), SimError> {
        let engine = self.engine;
        if let Ok(address) = listener.local_addr() {
            tracing::info!(%address, "simulated PBX listening");
        }
        let mut sessions = JoinSet::new();
        sessions.spawn(Arc::clone(&engine).generate());
        tokio::pin!(shutdown);
        let result = loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let _ = stream.set_nodelay(true);
                        tracing::debug!(%peer, "AMI client connected to the simulated PBX");
                        sessions.spawn(ClientSession::new(Arc::clone(&engine), stream, peer).run());
                    }
                    Err(e) => break Err(SimError::Io(e)),
                },
                () = &mut shutdown => break Ok(()),
                () = engine.shutdown.cancelled() => break Ok(()),
            }
            while sessions.try_join_next().is_some() {}
        };
        engine.shutdown.cancel();
        while sessions.join_next().await.is_some() {}
        result
    }
}

/// Runs a simulated PBX on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    settings: SimSettings,
    shutdown: impl Future<Output = ()>,
) -> Result<(), SimError> {
    Simulator::new(settings)?.serve(listener, shutdown).await
}

/// A handle on a running simulator; cheap to clone. Calls must be placed from within a
/// Tokio runtime.
#[derive(Clone, Debug)]
pub struct SimHandle {
    engine: Arc<Engine>,
}

impl SimHandle {
    /// Starts a call now.
    pub fn place(&self, call: CallSpec) -> Result<SimCall, SimError> {
        self.engine.place(call)
    }

    /// An inbound call to the linear queue from `number` ("`name`"), answered by `agent`
    /// after ringing 5 s, 8 s of talk, then the caller hangs up: capture 01's exact timings.
    pub fn ring(&self, number: &str, name: &str, agent: &str) -> Result<SimCall, SimError> {
        self.place(
            CallSpec::new(Scenario::InboundAnswered)
                .customer(number, name)
                .agent(agent)
                .extra_talk(std::time::Duration::ZERO),
        )
    }

    /// Makes the phone of `extension` unreachable (`false`) or reachable again, as PJSIP
    /// reports it (`ContactStatus`, `DeviceStateChange`, `QueueMemberStatus`); an
    /// unreachable phone is not rung. Returns how many queue memberships it has.
    pub fn set_phone_reachable(&self, extension: &str, reachable: bool) -> usize {
        self.engine.set_phone_reachable(extension, reachable)
    }

    /// Whether the phone of `extension` is picked up when a click-to-call (`Originate`)
    /// rings it: `false` and it rings until the Originate's `Timeout`, then the
    /// Originate fails with `Reason: 3`.
    pub fn set_phone_answers(&self, extension: &str, answers: bool) {
        let mut inner = self.engine.lock();
        if answers {
            inner.unanswering.remove(extension);
        } else {
            inner.unanswering.insert(extension.to_owned());
        }
    }

    /// Every action received so far, oldest first (`Secret` and `Key` redacted).
    pub fn actions(&self) -> Vec<ReceivedAction> {
        self.engine.lock().actions.clone()
    }

    /// How many channels are up right now.
    pub fn live_channels(&self) -> usize {
        self.engine.lock().state.channels.len()
    }

    /// Stops the simulator: calls stop, clients get `Event: Shutdown` and are disconnected.
    pub fn shutdown(&self) {
        self.engine.shutdown.cancel();
    }
}
