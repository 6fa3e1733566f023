//! The running link to one PBX: the AMI client's events go through the tracker; call
//! events update the live view, reach the web side, and finished calls go to the call log;
//! queue pauses reach the web side too.
//!
//! One task owns the tracker (it is not shared, so it needs no lock). The AMI client's
//! event channel is bounded and so is the call log's queue: when the database is slow the
//! tracker waits, the client stops reading the socket and TCP pushes back on the PBX —
//! nothing is dropped.
//!
//! Calls in progress are durable: after each message the tracker's changed calls go to the
//! call log's writer ([`Entry::Changed`]), behind the records of the calls that ended, and
//! while calls are open a heartbeat ([`Entry::Seen`]) records every [`HEARTBEAT`] that
//! they still were. A restarted link takes them back ([`super::open_calls::load`]) before
//! it begins: the live view has them at once, and the first thing the loop sends the web
//! side is where each call is. When the connection breaks, the PBX time of the break is
//! the last `Timestamp` carried forward by this process's clock to the moment the PBX was
//! last heard from (its EOF; for a silent link, its last message), so calls that vanish
//! end when the PBX died, not when it came back.

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use cti::ami::client::{AmiClient, AmiEvent, AmiEvents};
use cti::live::LiveCalls;
use cti::live::queues::QueueBoard;
use cti::tracker::{CallEvent, CallEventKind, CallTracker, TrackerSettings};
use tokio::sync::{Notify, broadcast, mpsc, oneshot};
use tokio::time::Instant;

use super::call_log::{CallLogWriter, Entry};
use super::closed_out::ClosedOutWarning;
use super::open_calls::Restored;
use super::pauses::{AgentPause, agent_pause};
use crate::bridge::settings::{PbxSettings, PhoneSettings};
use crate::lifecycle::Stage;

/// How many call events a slow web subscriber may lag behind before it is told it lagged.
const CALL_EVENT_BUFFER: usize = 4096;
/// How many call events may wait for the popups before the tracking loop waits for them.
const POPUP_QUEUE: usize = 4096;
/// The same for queue pauses.
const PAUSE_BUFFER: usize = 256;
/// How often, while calls are open, the store learns that they still are.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// A handle on the running link: the AMI client (for actions such as Originate), the live
/// view of calls in progress and the stream of call events.
#[derive(Clone)]
pub struct PbxLink {
    /// The AMI client.
    pub client: AmiClient,
    /// Calls in progress.
    pub live: Arc<RwLock<LiveCalls>>,
    /// Queues: waiting callers and members' states.
    pub queues: Arc<RwLock<QueueBoard>>,
    /// Every call event, for the wallboard's wrap-ups (lossy: a lagging listener is told
    /// how many it missed). The popups have their own lossless queue,
    /// [`take_popup_events`](Self::take_popup_events).
    pub events: broadcast::Sender<CallEvent>,
    /// Queue pauses reported by the PBX, for the agents' states.
    pub pauses: broadcast::Sender<AgentPause>,
    /// Notified whenever the queue board changed (the wallboard follows it).
    pub board_changed: Arc<Notify>,
    /// The call log's writer: it announces each finished call written.
    pub call_log: CallLogWriter,
    /// Lets the tracking loop begin (see [`PbxLink::begin`]).
    gate: Arc<Mutex<Option<oneshot::Sender<()>>>>,
    /// The popups' end of their queue, until taken.
    popup_events: Arc<Mutex<Option<mpsc::Receiver<CallEvent>>>>,
}

impl PbxLink {
    /// Connects to the PBX in the background and prepares the tracking of its calls,
    /// taking back the calls `restored` from the last run; finished calls are written by
    /// `call_log`. The AMI client and the tracking loop are tasks of `stage`: when it
    /// drains, the client logs off, and the loop ends after handing every ended call to
    /// the call log. The loop waits for [`begin`](Self::begin).
    pub fn start(
        pbx: &PbxSettings,
        phone: &PhoneSettings,
        tracker_settings: TrackerSettings,
        call_log: CallLogWriter,
        restored: Restored,
        stage: &Stage,
    ) -> PbxLink {
        let client_settings = pbx.client_settings();
        let ping_interval = client_settings.ping_interval;
        let (client, ami_events) =
            AmiClient::connect_in(client_settings, stage.tasks(), stage.drain_token());
        let mut tracker = CallTracker::new(tracker_settings)
            .with_number_normalizer(super::number_normalizer(phone))
            .track_changes();
        let mut told = Vec::new();
        tracker.restore(restored.calls, restored.stopped_at_ms, &mut told);
        let mut live = LiveCalls::new();
        for event in &told {
            live.apply(event);
        }
        let live = Arc::new(RwLock::new(live));
        let queues = Arc::new(RwLock::new(QueueBoard::new()));
        let (events, _) = broadcast::channel(CALL_EVENT_BUFFER);
        let (popups, popup_events) = mpsc::channel(POPUP_QUEUE);
        let (pauses, _) = broadcast::channel(PAUSE_BUFFER);
        let board_changed = Arc::new(Notify::new());
        let (gate, opened) = oneshot::channel();
        let closed_out = ClosedOutWarning::new(pbx.max_open_calls, pbx.call_idle_hours);
        let tracking = Tracking {
            address: format!("{}:{}", pbx.host, pbx.port),
            tracker,
            view: View {
                live: Arc::clone(&live),
                queues: Arc::clone(&queues),
                pauses: pauses.clone(),
                board_changed: Arc::clone(&board_changed),
            },
            events: events.clone(),
            popups: Some(popups),
            journal: call_log.sender(),
            clock: PbxClock::new(ping_interval),
            connected: false,
            closed_out,
        };
        stage.spawn(tracking.run(ami_events, opened, told));
        PbxLink {
            client,
            live,
            queues,
            events,
            pauses,
            board_changed,
            call_log,
            gate: Arc::new(Mutex::new(Some(gate))),
            popup_events: Arc::new(Mutex::new(Some(popup_events))),
        }
    }

    /// Every call event, in order and without loss, for the popups; `None` after the first
    /// call. The queue is bounded and the tracking loop waits when it is full: a slow
    /// consumer slows the tracker (and, through the AMI client, the PBX's socket) rather
    /// than miss a `Hangup` — with a lossy channel an agent would keep a popup of a call
    /// long gone. Not taken by [`begin`](Self::begin), it is closed (nobody waits on it).
    pub fn take_popup_events(&self) -> Option<mpsc::Receiver<CallEvent>> {
        self.popup_events.lock().ok().and_then(|mut q| q.take())
    }

    /// Lets the tracking loop begin, once every listener of [`events`](Self::events) and
    /// [`pauses`](Self::pauses) has subscribed: the first thing they hear is where each
    /// call taken back from the last run is.
    pub fn begin(&self) {
        drop(self.take_popup_events());
        if let Some(gate) = self.gate.lock().ok().and_then(|mut g| g.take()) {
            let _ = gate.send(());
        }
    }
}

/// What the tracking loop keeps current for the web side.
struct View {
    live: Arc<RwLock<LiveCalls>>,
    queues: Arc<RwLock<QueueBoard>>,
    pauses: broadcast::Sender<AgentPause>,
    board_changed: Arc<Notify>,
}

/// The PBX's clock as this process follows it: the last `Timestamp` seen, carried forward
/// by the local clock.
struct PbxClock {
    /// The tracker's PBX time (ms) and when it last moved.
    anchor: Option<(i64, Instant)>,
    /// When the PBX was last heard from.
    heard: Instant,
    /// The client's keep-alive: a link silent for longer is not known to be alive.
    ping_interval: Duration,
}

impl PbxClock {
    fn new(ping_interval: Duration) -> Self {
        PbxClock {
            anchor: None,
            heard: Instant::now(),
            ping_interval,
        }
    }

    /// A message arrived; the tracker's clock now reads `pbx_ms`.
    fn heard(&mut self, pbx_ms: Option<i64>) {
        let now = Instant::now();
        self.heard = now;
        if let Some(ms) = pbx_ms
            && self.anchor.is_none_or(|(last, _)| ms > last)
        {
            self.anchor = Some((ms, now));
        }
    }

    /// The PBX time at `at`, by the local clock.
    fn at(&self, at: Instant) -> Option<i64> {
        let (ms, since) = self.anchor?;
        let ahead = at.saturating_duration_since(since);
        Some(ms + i64::try_from(ahead.as_millis()).unwrap_or(i64::MAX / 2))
    }

    /// The PBX time at which the connection that just broke for `reason` was last alive:
    /// its EOF (now) for a PBX that closed it or died, the last message for a link that
    /// went silent (no answer to the keep-alive).
    fn broke(&self, reason: &str) -> Option<i64> {
        let now = Instant::now();
        let silent = reason.contains("Ping") || now - self.heard > self.ping_interval * 2;
        self.at(if silent { self.heard } else { now })
    }
}

/// The tracking loop's state.
struct Tracking {
    address: String,
    tracker: CallTracker,
    view: View,
    events: broadcast::Sender<CallEvent>,
    /// The popups' queue, while they listen.
    popups: Option<mpsc::Sender<CallEvent>>,
    journal: mpsc::Sender<Entry>,
    clock: PbxClock,
    /// A session is up (heartbeats only then: while the link is down nothing is known).
    connected: bool,
    /// Calls closed out by the tracker's limits, warned about at most once a minute.
    closed_out: ClosedOutWarning,
}

impl Tracking {
    /// Runs until the AMI client has stopped and every event it read was handled.
    async fn run(
        mut self,
        mut ami_events: AmiEvents,
        opened: oneshot::Receiver<()>,
        told: Vec<CallEvent>,
    ) {
        // A dropped gate (the service failed to build) lets the loop run down all the same.
        let _ = opened.await;
        let mut out = told;
        self.publish(&mut out).await;
        let mut beat = tokio::time::interval(HEARTBEAT);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let open = self.tracker.open_calls() > 0 && self.connected;
            let event = tokio::select! {
                event = ami_events.recv() => match event {
                    Some(event) => event,
                    None => break,
                },
                _ = beat.tick(), if open => {
                    if let Some(at) = self.clock.at(Instant::now()) {
                        self.send(Entry::Seen(at)).await;
                    }
                    continue;
                }
            };
            self.on_event(event, &mut out).await;
        }
        tracing::info!(pbx = %self.address, "PBX link stopped");
    }

    async fn on_event(&mut self, event: AmiEvent, out: &mut Vec<CallEvent>) {
        // The queue board learns the message after its call events are on their way: a
        // wallboard snapshot being read never holds up a popup.
        let mut for_board = None;
        match event {
            AmiEvent::Connected { banner } => {
                self.connected = true;
                self.clock.heard(None);
                tracing::info!(pbx = %self.address, %banner, "connected to the PBX");
            }
            AmiEvent::Message(message) => {
                if let Some(pause) = agent_pause(&message) {
                    let _ = self.view.pauses.send(pause);
                }
                self.tracker.handle(&message, out);
                self.clock.heard(self.tracker.clock_ms());
                let closed = self.tracker.take_closed_out();
                self.closed_out.add(closed, self.tracker.open_calls());
                for_board = Some(message);
            }
            AmiEvent::Disconnected { reason } => {
                tracing::warn!(pbx = %self.address, %reason, "lost the PBX connection; reconnecting");
                self.connection_lost(&reason);
            }
            AmiEvent::Stopped { logged_off } => {
                if logged_off {
                    tracing::info!(pbx = %self.address, "logged off the PBX");
                } else {
                    tracing::info!(pbx = %self.address, "left the PBX (no session, or no answer to Logoff)");
                }
                // The calls stay saved as open, known open until now: the next start
                // takes them back.
                if let Some(at) = self.clock.at(Instant::now()).filter(|_| self.connected) {
                    self.send(Entry::Seen(at)).await;
                }
                self.connected = false;
            }
            AmiEvent::LoginFailed { message } => {
                tracing::error!(
                    pbx = %self.address,
                    %message,
                    "the PBX refused the AMI login: check [pbx] username and secret; retrying slowly"
                );
            }
            AmiEvent::ConnectFailed { reason } => {
                tracing::warn!(pbx = %self.address, %reason, "cannot reach the PBX; retrying");
            }
        }
        self.publish(out).await;
        if let Some(message) = for_board {
            let changed = self
                .view
                .queues
                .write()
                .is_ok_and(|mut queues| queues.handle(&message));
            if changed {
                self.view.board_changed.notify_one();
            }
        }
    }

    /// The connection broke: calls wait for the resync, bounded by when the PBX was last
    /// known alive.
    fn connection_lost(&mut self, reason: &str) {
        self.connected = false;
        if let Some(at) = self.clock.broke(reason) {
            self.tracker.observe_pbx_time(at);
        }
        self.tracker.connection_lost();
        let changed = self
            .view
            .queues
            .write()
            .is_ok_and(|mut queues| queues.connection_lost());
        if changed {
            self.view.board_changed.notify_one();
        }
    }

    /// Hands the call events to the live view, the call log and the web side, then the
    /// calls in progress that changed to the writer (after the records of those that
    /// ended, so that no call is ever neither open nor logged).
    async fn publish(&mut self, out: &mut Vec<CallEvent>) {
        for call_event in out.drain(..) {
            if let Ok(mut live) = self.view.live.write() {
                live.apply(&call_event);
            }
            if let CallEventKind::Ended(record) = &call_event.kind {
                self.send(Entry::Finished(record.clone())).await;
            }
            if let Some(popups) = &self.popups
                && popups.send(call_event.clone()).await.is_err()
            {
                // The popups stopped (the service is stopping): nobody to wait for.
                self.popups = None;
            }
            // No subscriber is fine: nobody is watching.
            let _ = self.events.send(call_event);
        }
        let changes = self.tracker.take_changes();
        if !changes.is_empty() {
            self.send(Entry::Changed(changes)).await;
        }
    }

    async fn send(&self, entry: Entry) {
        if let Err(mpsc::error::SendError(entry)) = self.journal.send(entry).await
            && let Entry::Finished(record) = entry
        {
            tracing::error!(linkedid = %record.linkedid, record = ?record, "the call log writer stopped: call NOT written");
        }
    }
}
