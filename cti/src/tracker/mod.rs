//! The call tracker: a pure state machine from AMI messages to calls.
//!
//! [`CallTracker::handle`] is fed every [`Message`] of the AMI stream (and
//! [`CallTracker::connection_lost`] when the stream breaks); it keeps channels by Uniqueid
//! and calls by Linkedid and pushes [`CallEvent`]s, ending each call with exactly one
//! [`CallEventKind::Ended`] holding its [`CallRecord`]. No I/O and no clock: time is the
//! events' `Timestamp` (the latest one seen when an event has none).
//!
//! Channels are classified by device name from [`TrackerSettings`] (agent, trunk, Local
//! half, other), never by caller ID. The handlers are split by event family:
//! `channels` (life cycle, Linkedid changes), `dial`, `queue`, `features` (hold,
//! recording, click-to-call id), `transfer`, `resync` (reconnect, shutdown); `durable`
//! keeps snapshots of the open calls for a restart; `bounds` closes out calls past the
//! open-calls cap or idle for too long.

mod bounds;
mod call;
mod channels;
mod dial;
mod durable;
mod event;
mod features;
mod queue;
mod record;
mod resync;
mod ringing;
mod settings;
mod time;
mod transfer;

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;

use crate::ami::Message;
use call::{Call, Channel};
use settings::Directory;
use time::{parse_timestamp, to_ms};

pub use bounds::{
    CAP_HEADROOM_PERCENT, ClosedOut, DEFAULT_MAX_CALL_IDLE_S, DEFAULT_MAX_OPEN_CALLS,
};
pub use durable::{OpenCall, OpenCallChange};
pub use event::{CallEvent, CallEventKind};
pub use record::{
    AgentAttempt, AgentSegment, AttemptResult, CallRecord, Direction, Disposition, HangupBy,
    Recording, Transfer, TransferKind,
};
pub use settings::{AgentSettings, TrackerSettings};

/// Turns a phone number as the PBX gives it into E.164 (`+989121234567`), or `None` when it
/// is not a number. The binary plugs in the CRM's normaliser.
pub type NumberNormalizer = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Channels and calls of one PBX, fed by its AMI messages.
pub struct CallTracker {
    settings: TrackerSettings,
    dir: Directory,
    normalizer: Option<NumberNormalizer>,
    channels: HashMap<String, Channel>,
    calls: HashMap<String, Call>,
    /// Queue member interface → state interface, from member status events.
    member_states: HashMap<String, String>,
    /// The latest PBX time seen, microseconds.
    clock_us: i64,
    /// Counts connections: bumped by `connection_lost`.
    epoch: u64,
    /// A reconnect happened and the next channel listing decides which calls are gone.
    resync_pending: bool,
    /// The latest PBX time known before the connection was lost (or Tamas stopped): calls
    /// found gone at the resync ended after it, and it is the best bound known.
    lost_at_us: i64,
    /// Channels listed by `CoreShowChannel` since the last `CoreShowChannelsComplete`.
    listed: HashMap<String, resync::Listed>,
    /// Calls opened by the current listing (they began while nobody watched).
    adopted: HashSet<String>,
    /// Whether changed calls are remembered for [`CallTracker::take_changes`].
    durable: bool,
    /// Linkedids of the calls changed since the last `take_changes`.
    touched: HashSet<String>,
    /// Linkedids of the last [`FINISHED_MEMORY`] calls that ended, oldest first: a channel
    /// that still names one (replayed or duplicated traffic) must not open it again.
    finished: VecDeque<String>,
    finished_set: HashSet<String>,
    /// Calls closed out by the limits since the last `take_closed_out`.
    closed_out: ClosedOut,
    /// PBX time (µs) of the next look for calls idle past the limit.
    next_idle_check_us: i64,
}

/// How many ended calls are remembered to keep them from being emitted twice.
const FINISHED_MEMORY: usize = 4096;

impl fmt::Debug for CallTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallTracker")
            .field("pbx", &self.settings.pbx)
            .field("channels", &self.channels.len())
            .field("calls", &self.calls.len())
            .field("clock_us", &self.clock_us)
            .finish_non_exhaustive()
    }
}

impl CallTracker {
    /// A tracker with no calls, for the PBX described by `settings`.
    pub fn new(settings: TrackerSettings) -> Self {
        CallTracker {
            dir: Directory::new(&settings),
            settings,
            normalizer: None,
            channels: HashMap::new(),
            calls: HashMap::new(),
            member_states: HashMap::new(),
            clock_us: 0,
            epoch: 0,
            resync_pending: false,
            lost_at_us: 0,
            listed: HashMap::new(),
            adopted: HashSet::new(),
            durable: false,
            touched: HashSet::new(),
            finished: VecDeque::new(),
            finished_set: HashSet::new(),
            closed_out: ClosedOut::default(),
            next_idle_check_us: 0,
        }
    }

    /// Uses `normalize` to fill `customer_number_e164` (without it the field stays `None`).
    pub fn with_number_normalizer(
        mut self,
        normalize: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.normalizer = Some(Box::new(normalize));
        self
    }

    /// The settings in use.
    pub fn settings(&self) -> &TrackerSettings {
        &self.settings
    }

    /// How many calls are open.
    pub fn open_calls(&self) -> usize {
        self.calls.len()
    }

    /// The latest PBX time seen (milliseconds since the epoch), if any event had one.
    pub fn clock_ms(&self) -> Option<i64> {
        (self.clock_us > 0).then(|| to_ms(self.clock_us))
    }

    /// Feeds one message of the AMI stream; the call events it causes are pushed to `out`.
    ///
    /// Responses and events the tracker does not need (most of the traffic: `VarSet`,
    /// `Newexten`, `RTCPSent` …) cost a header lookup or two.
    pub fn handle(&mut self, msg: &Message, out: &mut Vec<CallEvent>) {
        let Some(event) = msg.event_bytes() else {
            return;
        };
        // Dialplan chatter, two thirds of the stream: only recording names matter here, and
        // its timestamps add nothing to the clock that the next call event does not.
        match event {
            b"VarSet" => return self.on_var_set(msg),
            b"Newexten" => return self.on_newexten(msg),
            _ => {}
        }
        let now = match msg.get_bytes("Timestamp").and_then(parse_timestamp) {
            Some(ts) => {
                self.clock_us = self.clock_us.max(ts);
                ts
            }
            None => self.clock_us,
        };
        let before = out.len();
        match event {
            b"Newchannel" => self.on_newchannel(msg, now, out),
            b"Newstate" => self.on_newstate(msg, now, out),
            b"HangupRequest" => self.on_hangup_request(msg, now, out),
            b"SoftHangupRequest" => self.on_soft_hangup_request(msg, now, out),
            b"Hangup" => self.on_hangup(msg, now, out),
            b"LocalBridge" => self.on_local_bridge(msg),
            b"BridgeEnter" => {
                self.prelude(msg, now, out);
            }
            b"DialBegin" => self.on_dial_begin(msg, now, out),
            b"DialEnd" => self.on_dial_end(msg, now, out),
            b"QueueCallerJoin" => self.on_queue_caller_join(msg, now, out),
            b"QueueCallerLeave" => self.on_queue_caller_leave(msg, now, out, false),
            b"QueueCallerAbandon" => self.on_queue_caller_leave(msg, now, out, true),
            b"AgentCalled" => self.on_agent_called(msg, now, out),
            b"AgentRingNoAnswer" => self.on_agent_ring_no_answer(msg, now, out),
            b"AgentConnect" => self.on_agent_connect(msg, now, out),
            b"QueueMemberStatus" | b"QueueMemberAdded" | b"QueueMember" => {
                self.on_queue_member(msg)
            }
            b"Hold" => self.on_hold(msg, now, out, false, true),
            b"Unhold" => self.on_hold(msg, now, out, false, false),
            b"MusicOnHoldStart" => self.on_hold(msg, now, out, true, true),
            b"MusicOnHoldStop" => self.on_hold(msg, now, out, true, false),
            b"MixMonitorStart" => self.on_mix_monitor_start(msg, now, out),
            b"OriginateResponse" => self.on_originate_response(msg, now, out),
            b"BlindTransfer" => self.on_blind_transfer(msg, now, out),
            b"AttendedTransfer" => self.on_attended_transfer(msg, now, out),
            b"CoreShowChannel" => self.on_core_show_channel(msg, now),
            b"CoreShowChannelsComplete" => self.on_core_show_channels_complete(now, out),
            b"Shutdown" => self.on_shutdown(now, out),
            _ => {}
        }
        self.heard_of_calls(msg, &out[before..], now);
        self.enforce_bounds(now, out);
        if self.durable {
            self.touch_message(msg, &out[before..]);
        }
    }

    /// Marks changed the open calls a handled message names (through any `…Uniqueid` or
    /// `…Linkedid` header: the channel's own, a dial's or bridge's other party, a Local
    /// pair's halves, a transfer's parties) and those it caused events for.
    fn touch_message(&mut self, msg: &Message, events: &[CallEvent]) {
        for header in msg.headers() {
            let (Some(key), Some(value)) = (header.key_str(), header.value_str()) else {
                continue;
            };
            let linkedid = if key.ends_with("Uniqueid") {
                self.channels.get(value).map(|c| c.linkedid.clone())
            } else if key.ends_with("Linkedid") && self.calls.contains_key(value) {
                Some(value.to_owned())
            } else {
                None
            };
            if let Some(linkedid) = linkedid {
                self.touch(&linkedid);
            }
        }
        for event in events {
            self.touch(&event.linkedid);
        }
    }

    /// Pushes an event of the call `linkedid` (which must be open).
    fn emit(&self, out: &mut Vec<CallEvent>, linkedid: &str, now: i64, kind: CallEventKind) {
        let click_id = self.calls.get(linkedid).and_then(|c| c.click_id.clone());
        out.push(CallEvent {
            linkedid: linkedid.to_owned(),
            at_ms: to_ms(now),
            click_id,
            kind,
        });
    }

    /// Ends the call `linkedid`: forgets it and its remaining channels, settles unresolved
    /// ringing, and emits its record. `end_us` is the last hang-up, or when `end_known` is
    /// false the moment the call was found gone.
    fn finish(&mut self, linkedid: &str, end_us: i64, end_known: bool, out: &mut Vec<CallEvent>) {
        let Some((linkedid, mut call)) = self.calls.remove_entry(linkedid) else {
            return;
        };
        if self.finished.len() == FINISHED_MEMORY
            && let Some(oldest) = self.finished.pop_front()
        {
            self.finished_set.remove(&oldest);
        }
        self.finished.push_back(linkedid.clone());
        self.finished_set.insert(linkedid.clone());
        for uid in call.live.drain(..) {
            self.channels.remove(&uid);
        }
        let click_id = call.click_id.clone();
        for a in call.attempts.iter_mut().filter(|a| a.result.is_none()) {
            a.result = Some(AttemptResult::Cancelled);
            a.ring_ms = Some(time::ms_between(a.rang_us, end_us));
            if a.announced {
                out.push(CallEvent {
                    linkedid: linkedid.clone(),
                    at_ms: to_ms(end_us),
                    click_id: click_id.clone(),
                    kind: CallEventKind::AgentRingStopped {
                        extension: a.agent.map(|i| self.dir.agent(i).extension.clone()),
                        queue: a.queue.clone(),
                        result: AttemptResult::Cancelled,
                        ring_ms: a.ring_ms,
                    },
                });
            }
        }
        if end_known {
            for s in call.segments.iter_mut().filter(|s| s.end_us.is_none()) {
                s.end_us = Some(end_us);
            }
        }
        let record = call.into_record(
            linkedid.clone(),
            &self.settings.pbx,
            &self.dir,
            end_us,
            end_known,
        );
        out.push(CallEvent {
            linkedid,
            at_ms: to_ms(end_us),
            click_id,
            kind: CallEventKind::Ended(Box::new(record)),
        });
    }
}
