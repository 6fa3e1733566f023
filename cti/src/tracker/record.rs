//! The finished call: [`CallRecord`] and its parts, as the call log stores them.
//!
//! Field names follow the fixtures' `facts.json` (`expected`). Times are integer
//! milliseconds since the Unix epoch (`*_at_ms`, floor of the PBX's microsecond
//! `Timestamp`); durations are integer milliseconds (`*_ms`) computed from the microsecond
//! timestamps and rounded half up.

use serde::{Deserialize, Serialize};

/// Who started the call and towards whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The first channel is a trunk: a customer called in.
    Inbound,
    /// The first channel is an agent's device and a trunk channel joined.
    Outbound,
    /// Agents (and other internal devices) only.
    Internal,
}

/// How the call ended for the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Somebody answered (inbound: an agent connected; outbound: the customer picked up).
    Answered,
    /// The caller hung up while waiting in a queue.
    Abandoned,
    /// Nobody answered.
    NoAnswer,
    /// The called party was busy.
    Busy,
    /// The call could not be placed (congestion, channel unavailable).
    Failed,
}

/// Which side ended the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HangupBy {
    /// The customer's device (trunk) sent the hang-up.
    Customer,
    /// An agent's device sent it (see `hangup_by_extension`).
    Agent,
    /// Asterisk itself: dialplan, timeout, shutdown.
    System,
}

/// How one attempt to ring an agent ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptResult {
    /// The agent answered.
    Answered,
    /// It rang until the ring timeout.
    RingNoAnswer,
    /// Ringing stopped because the caller left or another agent answered.
    Cancelled,
    /// The agent's device was busy.
    Busy,
    /// The agent's device could not be reached.
    Failed,
}

/// One agent rung for the call (a queue member attempt, or a direct dial of an agent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentAttempt {
    /// The agent's extension; `None` if the member could not be mapped to an agent.
    pub extension: Option<String>,
    /// The agent's name (configured, else the queue's member name).
    pub name: Option<String>,
    /// The queue that rang the agent, if any.
    pub queue: Option<String>,
    /// How the attempt ended.
    pub result: AttemptResult,
    /// How long it rang (ring-no-answer: Asterisk's `RingTime`).
    pub ring_ms: Option<u64>,
    /// When ringing started.
    pub rang_at_ms: i64,
}

/// The time one agent's device was connected in the call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSegment {
    /// The agent's extension.
    pub extension: String,
    /// The agent's configured name.
    pub name: Option<String>,
    /// When the agent's leg was connected.
    pub connected_at_ms: i64,
    /// Answer to hang-up of the agent's channel; `None` when the end is not known.
    pub talk_ms: Option<u64>,
}

/// A MixMonitor recording of the call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    /// The mixed file's name (`1795342979.0.wav`).
    pub file: String,
    /// The full path on the PBX (`MIXMONITOR_FILENAME`), when seen.
    pub path: Option<String>,
    /// The file of the audio received from the recorded channel (MixMonitor `r()`).
    pub rx_leg: Option<String>,
    /// The file of the audio sent to the recorded channel (MixMonitor `t()`).
    pub tx_leg: Option<String>,
    /// Uniqueid of the recorded channel.
    pub channel_uniqueid: String,
}

/// How a transfer was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    /// `BlindTransfer`: sent to an extension without consulting.
    Blind,
    /// `AttendedTransfer`: after a consultation call.
    Attended,
}

/// A transfer of the call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// Blind or attended.
    pub kind: TransferKind,
    /// Whether Asterisk reported `Result: Success`.
    pub succeeded: bool,
    /// The transferring agent.
    pub from_extension: Option<String>,
    /// The agent the call went to, when it is one.
    pub to_extension: Option<String>,
    /// Where it went as Asterisk names it: `exten@context` (blind) or the target channel.
    pub target: Option<String>,
    /// When Asterisk reported the transfer.
    pub at_ms: i64,
}

/// Everything known about a finished call; emitted once per call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    /// The PBX's name from the settings.
    pub pbx: String,
    /// The call's key: the Linkedid shared by all its channels.
    pub linkedid: String,
    /// Inbound, outbound or internal.
    pub direction: Direction,
    /// The customer's number as the PBX gave it (inbound: caller ID; outbound: dialled).
    pub customer_number_raw: Option<String>,
    /// The same, normalised to E.164 by the configured normaliser.
    pub customer_number_e164: Option<String>,
    /// The caller ID name (`<unknown>` and empty are `None`).
    pub customer_name: Option<String>,
    /// The number the customer dialled (inbound).
    pub did: Option<String>,
    /// The queue the call waited in.
    pub queue: Option<String>,
    /// Every agent rung, in order.
    pub agents_rung: Vec<AgentAttempt>,
    /// The agent who answered (inbound: first agent connected; internal: the callee).
    pub answered_by_extension: Option<String>,
    /// That agent's configured name.
    pub answered_by_name: Option<String>,
    /// The agent handling the call: outbound and internal, the calling agent; inbound, the
    /// answering agent.
    pub agent_extension: Option<String>,
    /// That agent's configured name.
    pub agent_name: Option<String>,
    /// Internal calls: the calling extension.
    pub from_extension: Option<String>,
    /// Internal calls: the called extension.
    pub to_extension: Option<String>,
    /// Queue join to agent connect (answered), to abandon, or to leaving the queue.
    pub wait_ms: Option<u64>,
    /// Connect to the customer's hang-up (internal: the caller's), across transfers.
    pub talk_ms: Option<u64>,
    /// Ringing of the party that answered: inbound, the answering agent's ring; outbound,
    /// the customer's phone (dial to answer); internal, call start to answer.
    pub ring_ms: Option<u64>,
    /// Time on hold (Hold/Unhold, or music on hold once connected).
    pub hold_ms: u64,
    /// Outbound: call start to the agent's own channel being up (click-to-call: the agent
    /// picking up before the customer is dialled).
    pub agent_channel_up_after_ms: Option<u64>,
    /// Answered, abandoned, no answer, busy, failed.
    pub disposition: Disposition,
    /// Who hung up; `None` when the end is not known.
    pub hangup_by: Option<HangupBy>,
    /// The agent who hung up, when `hangup_by` is `agent`.
    pub hangup_by_extension: Option<String>,
    /// Q.850 cause of the customer's (internal: the caller's) channel.
    pub hangup_cause: Option<u32>,
    /// The MixMonitor recording, if one was started.
    pub recording: Option<Recording>,
    /// Each agent's connected time.
    pub agent_segments: Vec<AgentSegment>,
    /// Transfers, in order.
    pub transfers: Vec<Transfer>,
    /// The first channel's creation.
    pub started_at_ms: i64,
    /// Joining the queue.
    pub queue_joined_at_ms: Option<i64>,
    /// A queue member connecting (AgentConnect).
    pub agent_connected_at_ms: Option<i64>,
    /// The call being answered (AgentConnect, or the dial being answered).
    pub answered_at_ms: Option<i64>,
    /// The last channel hanging up; when `end_known` is false, the moment the tracker
    /// learnt the call was gone (resync after a reconnect, or PBX shutdown).
    pub ended_at_ms: i64,
    /// Tamas' click-to-call request id, from the configured channel variable.
    pub click_id: Option<String>,
    /// Whether the call's first channel was seen being created (false when the tracker
    /// joined mid-call, e.g. learnt it from a resync).
    pub start_known: bool,
    /// Whether the end came from the channels' own hang-ups (false: closed by resync or by
    /// a PBX shutdown without hang-up events; then the end is an upper bound).
    pub end_known: bool,
}

impl CallRecord {
    /// A click-to-call that never got as far as dialling anyone: the agent's own phone,
    /// rung first by the `Originate`, did not answer (busy, no answer, refused). Its only
    /// channel is the agent's, so it looks internal; it is no call, but a failed outbound
    /// attempt, which Tamas' click-to-call logs itself (with the number and the reason).
    pub fn is_unplaced_click(&self) -> bool {
        self.click_id.is_some()
            && self.direction == Direction::Internal
            && self.to_extension.is_none()
            && self.answered_at_ms.is_none()
    }
}
