//! The heart of the simulated PBX, shared by every client session and call task: the clock,
//! the live state, the counters Asterisk would keep (Uniqueids, channel numbers), the
//! agents on a call, the log of actions received, and the fan-out of events to clients.
//!
//! Every event goes through [`Engine::emit`]: under one lock the state learns from it and
//! it is handed to every subscribed client, so a list answer taken under the same lock is
//! consistent with the events a client has been sent.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use rand::rngs::SmallRng;
use rand::{Rng, RngExt, SeedableRng};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::SimError;
use super::callers::Customers;
use super::clock::{EpochMicros, SimClock};
use super::event::{ClassMask, SimEvent};
use super::monitor::Monitor;
use super::replay::{self, ReplayItem};
use super::scenarios::Catalog;
use super::settings::SimSettings;
use super::state::Member;
use super::state::PbxState;
use super::truth::TruthFile;

/// How many distinct customers call the simulated contact center.
const CUSTOMERS: usize = 400;

/// An event on its way to the clients, encoded once.
#[derive(Clone, Debug)]
pub(crate) struct Emitted {
    pub(crate) bytes: Bytes,
    pub(crate) classes: ClassMask,
}

/// An action a client sent, as logged for tests (`Secret` and `Key` redacted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedAction {
    /// The `Action` header.
    pub name: String,
    /// Every header after `Action`, in order.
    pub headers: Vec<(String, String)>,
}

impl ReceivedAction {
    /// The first value of `key` (ASCII case-insensitive).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// What is guarded by the engine's lock.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) state: PbxState,
    pub(crate) busy: HashSet<String>,
    /// Agents whose phones ring but are never picked up for a click-to-call.
    pub(crate) unanswering: HashSet<String>,
    pub(crate) next_uniqueid: u64,
    pub(crate) next_channel: u64,
    pub(crate) rng: SmallRng,
    pub(crate) customers: Customers,
    pub(crate) actions: Vec<ReceivedAction>,
}

/// The shared simulator core.
#[derive(Debug)]
pub(crate) struct Engine {
    pub(crate) settings: SimSettings,
    pub(crate) clock: SimClock,
    pub(crate) catalog: Catalog,
    pub(crate) shutdown: CancellationToken,
    /// The events of the replayed captures (empty unless replaying).
    pub(crate) replay_items: Arc<Vec<ReplayItem>>,
    /// Writes the MixMonitor files, when a spool folder is set.
    pub(crate) monitor: Option<Arc<Monitor>>,
    /// Where the truth of each finished call goes, if anywhere.
    pub(crate) truth: Option<TruthFile>,
    /// Mixed into bridge ids so that a simulator started again with the same seed does not
    /// reuse the previous run's (Asterisk's are random).
    bridge_salt: u128,
    inner: Mutex<Inner>,
    events: broadcast::Sender<Emitted>,
}

impl Engine {
    pub(crate) fn new(settings: SimSettings) -> Result<Arc<Engine>, SimError> {
        let catalog = Catalog::load()?;
        let clock = SimClock::start();
        let mut rng = SmallRng::seed_from_u64(settings.seed);
        let customers = Customers::generate(&mut rng, CUSTOMERS, settings.hostile_names);
        let inner = Inner {
            state: PbxState::new(&settings, clock.boot_seconds()),
            busy: HashSet::new(),
            unanswering: HashSet::new(),
            next_uniqueid: 0,
            next_channel: 0,
            rng,
            customers,
            actions: Vec::new(),
        };
        let replay_items = match &settings.replay {
            Some(replay) => replay::load(replay)?,
            None => Vec::new(),
        };
        let truth = settings.truth.as_deref().map(TruthFile::open).transpose()?;
        let bridge_salt = SmallRng::seed_from_u64(u64::try_from(clock.now()).unwrap_or(0)).random();
        let (events, _) = broadcast::channel(settings.client_buffer.max(16));
        let shutdown = CancellationToken::new();
        let monitor =
            (settings.spool.as_deref()).map(|dir| Monitor::new(dir, clock, shutdown.clone()));
        Ok(Arc::new(Engine {
            settings,
            clock,
            catalog,
            shutdown,
            replay_items: Arc::new(replay_items),
            monitor,
            truth,
            bridge_salt,
            inner: Mutex::new(inner),
            events,
        }))
    }

    /// The lock on the state, counters and log (never held across an await).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A receiver of every event emitted from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Emitted> {
        self.events.subscribe()
    }

    /// Sends an event at sim time `at`: the state learns from it, clients receive it.
    pub(crate) fn emit(&self, mut event: SimEvent, at: EpochMicros) {
        let mut inner = self.lock();
        inner.state.patch_member_status(&mut event);
        inner.state.apply(&event, at);
        let classes = ClassMask::of_list(event.get("Privilege").unwrap_or(""));
        // No receiver (no client logged in) is fine: the PBX runs on regardless.
        let _ = self.events.send(Emitted {
            bytes: event.to_bytes(),
            classes,
        });
        if let Some(monitor) = &self.monitor {
            monitor.observe(&event, at);
        }
    }

    /// A new random bridge id in the UUID v4 form Asterisk uses.
    pub(crate) fn bridge_id(&self, rng: &mut impl Rng) -> String {
        let v: u128 = rng.random::<u128>() ^ self.bridge_salt;
        let v = (v & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
        let hex = format!("{v:032x}");
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    /// Logs an action received from a client.
    pub(crate) fn record_action(&self, action: ReceivedAction) {
        self.lock().actions.push(action);
    }

    /// The phone of `extension` becomes unreachable (qualify fails) or reachable again:
    /// `ContactStatus`, `DeviceStateChange` and a `QueueMemberStatus` per membership, as
    /// PJSIP and app_queue report it; an unreachable phone is not rung.
    pub(crate) fn set_phone_reachable(&self, extension: &str, reachable: bool) -> usize {
        let at = self.clock.now();
        let stamp = super::clock::timestamp(at);
        let host = format!(
            "10.0.0.{}",
            extension.bytes().map(u32::from).sum::<u32>() % 200 + 20
        );
        let mut events = vec![
            SimEvent::new("Event", "ContactStatus")
                .with("Privilege", "system,all")
                .with("Timestamp", stamp.as_str())
                .with("URI", format!("sip:{extension}@{host}:5060;ob"))
                .with(
                    "ContactStatus",
                    if reachable {
                        "Reachable"
                    } else {
                        "Unreachable"
                    },
                )
                .with("AOR", extension)
                .with("EndpointName", extension)
                .with("RoundtripUsec", if reachable { "1843" } else { "0" }),
            SimEvent::new("Event", "DeviceStateChange")
                .with("Privilege", "call,all")
                .with("Timestamp", stamp.as_str())
                .with("Device", format!("PJSIP/{extension}"))
                .with(
                    "State",
                    if reachable {
                        "NOT_INUSE"
                    } else {
                        "UNAVAILABLE"
                    },
                ),
        ];
        {
            let inner = self.lock();
            for q in &inner.state.queues {
                for m in q.members.iter().filter(|m| m.extension == extension) {
                    let mut member = m.clone();
                    member.status = if reachable { 1 } else { 5 };
                    member.in_call = false;
                    events.push(member_event("QueueMemberStatus", &q.name, &member, at));
                }
            }
        }
        let memberships = events.len() - 2;
        for event in events {
            self.emit(event, at);
        }
        memberships
    }

    /// Pauses or unpauses `interface` in `queue` (or in every queue it is a member of),
    /// emitting one `QueueMemberPause` per membership; the number changed.
    pub(crate) fn queue_pause(
        &self,
        interface: &str,
        queue: Option<&str>,
        paused: bool,
        reason: &str,
    ) -> usize {
        let at = self.clock.now();
        let events: Vec<SimEvent> = {
            let inner = self.lock();
            inner
                .state
                .queues
                .iter()
                .filter(|q| queue.is_none_or(|n| n == q.name))
                .filter_map(|q| {
                    let m = q.members.iter().find(|m| m.location == interface)?;
                    let last_pause = if paused {
                        at.div_euclid(1_000_000)
                    } else {
                        m.last_pause
                    };
                    let mut member = m.clone();
                    member.last_pause = last_pause;
                    member.paused = paused;
                    member.paused_reason = if paused {
                        reason.to_owned()
                    } else {
                        String::new()
                    };
                    Some(member_event("QueueMemberPause", &q.name, &member, at))
                })
                .collect()
        };
        let changed = events.len();
        for event in events {
            self.emit(event, at);
        }
        changed
    }
}

/// A queue member event (`QueueMemberStatus`, `QueueMemberPause`) as app_queue writes it,
/// from the member's state.
fn member_event(name: &str, queue: &str, m: &Member, at: EpochMicros) -> SimEvent {
    let flag = |on: bool| if on { "1" } else { "0" };
    SimEvent::new("Event", name)
        .with("Privilege", "agent,all")
        .with("Timestamp", super::clock::timestamp(at))
        .with("Queue", queue)
        .with("MemberName", m.name.as_str())
        .with("Interface", m.location.as_str())
        .with("StateInterface", m.state_interface.as_str())
        .with("Membership", "static")
        .with("Penalty", "0")
        .with("CallsTaken", m.calls_taken.to_string())
        .with("LastCall", m.last_call.to_string())
        .with("LastPause", m.last_pause.to_string())
        .with("LoginTime", m.login_time.to_string())
        .with("InCall", flag(m.in_call))
        .with("Status", m.status.to_string())
        .with("Paused", flag(m.paused))
        .with("PausedReason", m.paused_reason.as_str())
        .with("Ringinuse", "0")
        .with("Wrapuptime", "0")
}
