//! The running link to one PBX: the AMI client's events go through the tracker; call
//! events update the live view, reach the web side, and finished calls go to the call log;
//! queue pauses reach the web side too.
//!
//! One task owns the tracker (it is not shared, so it needs no lock). The AMI client's
//! event channel is bounded and so is the call log's queue: when the database is slow the
//! tracker waits, the client stops reading the socket and TCP pushes back on the PBX —
//! nothing is dropped.

use std::sync::{Arc, RwLock};

use cti::ami::client::{AmiClient, AmiClientSettings, AmiEvent, AmiEvents};
use cti::live::LiveCalls;
use cti::live::queues::QueueBoard;
use cti::tracker::{CallEvent, CallEventKind, CallTracker, TrackerSettings};
use secrecy::ExposeSecret as _;
use tokio::sync::{Notify, broadcast, mpsc};

use super::call_log::CallLogWriter;
use super::pauses::{AgentPause, agent_pause};
use crate::lifecycle::Stage;
use crate::settings::{PbxSettings, PhoneSettings};

/// How many call events a slow web subscriber may lag behind before it is told it lagged.
const CALL_EVENT_BUFFER: usize = 4096;
/// The same for queue pauses.
const PAUSE_BUFFER: usize = 256;

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
    /// Every call event, for the web side's popups and wallboard.
    pub events: broadcast::Sender<CallEvent>,
    /// Queue pauses reported by the PBX, for the agents' states.
    pub pauses: broadcast::Sender<AgentPause>,
    /// Notified whenever the queue board changed (the wallboard follows it).
    pub board_changed: Arc<Notify>,
    /// The call log's writer: it announces each finished call written.
    pub call_log: CallLogWriter,
}

impl PbxLink {
    /// Connects to the PBX in the background and starts tracking its calls; finished calls
    /// are written by `call_log`. The AMI client and the tracking loop are tasks of
    /// `stage`: when it drains, the client logs off, and the loop ends after handing every
    /// ended call to the call log.
    pub fn start(
        pbx: &PbxSettings,
        phone: &PhoneSettings,
        tracker_settings: TrackerSettings,
        call_log: CallLogWriter,
        stage: &Stage,
    ) -> PbxLink {
        let client_settings = AmiClientSettings::new(
            pbx.host.clone(),
            pbx.port,
            pbx.username.clone(),
            pbx.secret.expose_secret().into(),
        );
        let (client, ami_events) =
            AmiClient::connect_in(client_settings, stage.tasks(), stage.drain_token());
        let tracker = CallTracker::new(tracker_settings)
            .with_number_normalizer(super::number_normalizer(phone));
        let live = Arc::new(RwLock::new(LiveCalls::new()));
        let queues = Arc::new(RwLock::new(QueueBoard::new()));
        let (events, _) = broadcast::channel(CALL_EVENT_BUFFER);
        let (pauses, _) = broadcast::channel(PAUSE_BUFFER);
        let board_changed = Arc::new(Notify::new());
        let address = format!("{}:{}", pbx.host, pbx.port);
        stage.spawn(track(
            address,
            ami_events,
            tracker,
            View {
                live: Arc::clone(&live),
                queues: Arc::clone(&queues),
                pauses: pauses.clone(),
                board_changed: Arc::clone(&board_changed),
            },
            events.clone(),
            call_log.sender(),
        ));
        PbxLink {
            client,
            live,
            queues,
            events,
            pauses,
            board_changed,
            call_log,
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

/// The tracking loop: runs until the AMI client has stopped and every event it read was
/// handled.
async fn track(
    address: String,
    mut ami_events: AmiEvents,
    mut tracker: CallTracker,
    view: View,
    events: broadcast::Sender<CallEvent>,
    finished: mpsc::Sender<cti::tracker::CallRecord>,
) {
    let mut out = Vec::new();
    while let Some(event) = ami_events.recv().await {
        // The queue board learns the message after its call events are on their way: a
        // wallboard snapshot being read never holds up a popup.
        let mut for_board = None;
        match event {
            AmiEvent::Connected { banner } => {
                tracing::info!(pbx = %address, %banner, "connected to the PBX");
            }
            AmiEvent::Message(message) => {
                if let Some(pause) = agent_pause(&message) {
                    let _ = view.pauses.send(pause);
                }
                tracker.handle(&message, &mut out);
                for_board = Some(message);
            }
            AmiEvent::Disconnected { reason } => {
                tracing::warn!(pbx = %address, %reason, "lost the PBX connection; reconnecting");
                tracker.connection_lost();
                let changed = view
                    .queues
                    .write()
                    .is_ok_and(|mut queues| queues.connection_lost());
                if changed {
                    view.board_changed.notify_one();
                }
            }
            AmiEvent::Stopped { logged_off } => {
                if logged_off {
                    tracing::info!(pbx = %address, "logged off the PBX");
                } else {
                    tracing::info!(pbx = %address, "left the PBX (no session, or no answer to Logoff)");
                }
            }
            AmiEvent::LoginFailed { message } => {
                tracing::error!(
                    pbx = %address,
                    %message,
                    "the PBX refused the AMI login: check [pbx] username and secret; retrying slowly"
                );
            }
            AmiEvent::ConnectFailed { reason } => {
                tracing::warn!(pbx = %address, %reason, "cannot reach the PBX; retrying");
            }
        }
        for call_event in out.drain(..) {
            if let Ok(mut live) = view.live.write() {
                live.apply(&call_event);
            }
            if let CallEventKind::Ended(record) = &call_event.kind
                && finished.send((**record).clone()).await.is_err()
            {
                tracing::error!(linkedid = %record.linkedid, record = ?record, "the call log writer stopped: call NOT written");
            }
            // No subscriber is fine: nobody is watching.
            let _ = events.send(call_event);
        }
        if let Some(message) = for_board {
            let changed = view
                .queues
                .write()
                .is_ok_and(|mut queues| queues.handle(&message));
            if changed {
                view.board_changed.notify_one();
            }
        }
    }
    tracing::info!(pbx = %address, "PBX link stopped");
}
