//! What the simulated PBX is told at start: its AMI account, its agents and queues, how
//! many calls to generate and of which kinds and lengths, where to write what it did, or
//! which captures to replay instead.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use super::mix::SecondsRange;
use super::scenarios::Scenario;

/// An agent's desk phone: the PJSIP endpoint `extension` and the name it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimAgent {
    /// The extension, e.g. `1001` (channels are `PJSIP/1001-…`).
    pub extension: String,
    /// The caller-ID name of the phone and the queue member name, e.g. `Sara Ahmadi`.
    pub name: String,
}

impl SimAgent {
    /// The lab's agents (1001 Sara Ahmadi, 1002 Reza Karimi, 1003 Maryam Hosseini).
    pub fn lab() -> Vec<SimAgent> {
        LAB_AGENTS
            .iter()
            .map(|(extension, name)| SimAgent {
                extension: (*extension).to_owned(),
                name: (*name).to_owned(),
            })
            .collect()
    }

    /// Agents for these extensions: the lab's name when the extension is one of the lab's,
    /// `Agent <extension>` otherwise.
    pub fn for_extensions<S: AsRef<str>>(extensions: &[S]) -> Vec<SimAgent> {
        extensions
            .iter()
            .map(|ext| {
                let ext = ext.as_ref();
                let name = LAB_AGENTS
                    .iter()
                    .find(|(e, _)| *e == ext)
                    .map_or_else(|| format!("Agent {ext}"), |(_, n)| (*n).to_owned());
                SimAgent {
                    extension: ext.to_owned(),
                    name,
                }
            })
            .collect()
    }
}

/// The agents of the lab PBX the captures come from, in the captures' order.
pub(crate) const LAB_AGENTS: [(&str, &str); 3] = [
    ("1001", "Sara Ahmadi"),
    ("1002", "Reza Karimi"),
    ("1003", "Maryam Hosseini"),
];

/// One queue: its name and the DID that leads to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimQueue {
    /// The queue's name, e.g. `support`.
    pub name: String,
    /// The number customers dial, e.g. `02191001000` (also the company's caller ID).
    pub did: String,
}

/// The two queues of the lab, which the call scenarios are built on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimQueues {
    /// Strategy `linear`, members are the agents' devices `PJSIP/<ext>` (lab: `support`).
    pub linear: SimQueue,
    /// Strategy `ringall`, members are `Local/<ext>@queue-agents/n` (lab: `sales`).
    pub ringall: SimQueue,
}

impl Default for SimQueues {
    fn default() -> Self {
        SimQueues {
            linear: SimQueue {
                name: "support".into(),
                did: "02191001000".into(),
            },
            ringall: SimQueue {
                name: "sales".into(),
                did: "02191002000".into(),
            },
        }
    }
}

/// How replayed captures are paced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReplayPace {
    /// As the PBX sent them, following the events' `Timestamp` gaps.
    #[default]
    RealTime,
    /// As fast as the client reads (load tests, imports).
    AsFastAsPossible,
}

/// Replay mode: every logged-in client is sent the events of these captures, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplaySettings {
    /// Capture files as described in the fixtures' README (bytes a client received).
    pub files: Vec<PathBuf>,
    /// Pacing.
    pub pace: ReplayPace,
    /// Move every `Timestamp` so the first event is "now" (otherwise bytes go out as
    /// captured).
    pub restamp: bool,
}

/// Settings of the simulated PBX.
///
/// `Debug` never shows the secret.
#[derive(Clone, Debug)]
pub struct SimSettings {
    /// AMI user accepted at `Login`.
    pub username: String,
    /// That user's secret (plain and MD5 logins).
    pub secret: SecretString,
    /// Agents (queue members of both queues, desk phones for outbound and internal calls).
    pub agents: Vec<SimAgent>,
    /// The two queues.
    pub queues: SimQueues,
    /// Generated calls per minute on average (Poisson arrivals); 0 generates none, calls
    /// then happen only on demand ([`SimHandle`](super::SimHandle)) and by `Originate`.
    pub calls_per_minute: f64,
    /// Seed of every random choice (callers, scenarios, agents, arrival times).
    pub seed: u64,
    /// The most a call's talk is made longer than captured (random per call, whole
    /// seconds), so calls do not all last the same; zero keeps the captured timings.
    /// [`talk`](Self::talk) overrides it.
    pub max_extra_talk: Duration,
    /// How long answered calls' talk lasts (agent connect → the customer hangs up; random
    /// per call in the range, never shorter than captured); `None`: as captured plus up to
    /// [`max_extra_talk`](Self::max_extra_talk).
    pub talk: Option<SecondsRange>,
    /// How long queue callers wait (queue join → agent connect, or → hanging up for an
    /// abandoned call; random per call, never shorter than captured): they wait in the
    /// queue before the first member is rung. `None`: as captured.
    pub wait: Option<SecondsRange>,
    /// Which scenarios generated calls follow, with relative weights; empty: the built-in
    /// mix (every scenario but click-to-call).
    pub scenarios: Vec<(Scenario, u32)>,
    /// Append one JSON line per finished call to this file: what the PBX really did.
    pub truth: Option<PathBuf>,
    /// Share (0..=1) of generated callers with a hostile caller-ID name.
    pub hostile_names: f64,
    /// The delay before `Response: Error` to a wrong secret.
    pub failed_login_delay: Duration,
    /// Replay captures instead of generating calls.
    pub replay: Option<ReplaySettings>,
    /// Events buffered per client before a client too slow to read them is disconnected.
    pub client_buffer: usize,
    /// Write MixMonitor files (`<uniqueid>.wav`, `-rx.wav`, `-tx.wav`, option `b`) of the
    /// recorded calls into this folder, as Asterisk's monitor folder; `None` writes none.
    pub spool: Option<PathBuf>,
}

impl SimSettings {
    /// The lab's PBX: user `cti` / `cti-secret`, agents 1001–1003, queues `support` and
    /// `sales`, no generated calls.
    pub fn lab() -> Self {
        SimSettings {
            username: "cti".into(),
            secret: "cti-secret".into(),
            agents: SimAgent::lab(),
            queues: SimQueues::default(),
            calls_per_minute: 0.0,
            seed: 1,
            max_extra_talk: Duration::from_secs(120),
            talk: None,
            wait: None,
            scenarios: Vec::new(),
            truth: None,
            hostile_names: 0.05,
            failed_login_delay: Duration::from_secs(1),
            replay: None,
            client_buffer: 65_536,
            spool: None,
        }
    }
}
