//! What the tracker tells the rest of Tamas as a call progresses: [`CallEvent`]s, each with
//! the call's Linkedid and the PBX time, ending with [`CallEventKind::Ended`] carrying the
//! [`CallRecord`].

use serde::{Deserialize, Serialize};

use super::{AttemptResult, CallRecord, Direction, Recording, Transfer};

/// One step of a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEvent {
    /// The call's Linkedid.
    pub linkedid: String,
    /// PBX time of the step, milliseconds since the epoch.
    pub at_ms: i64,
    /// Tamas' click-to-call request id, when the call carries one.
    pub click_id: Option<String>,
    /// What happened.
    #[serde(flatten)]
    pub kind: CallEventKind,
}

/// What happened to the call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CallEventKind {
    /// The call's direction became known: an inbound call arrived, an agent dialled out or
    /// dialled a colleague. Emitted at most once; a step such as `RecordingStarted` may come
    /// first when the dialplan records before it dials.
    Started {
        /// Inbound, outbound or internal.
        direction: Direction,
        /// The customer's number (inbound: caller ID; outbound: dialled).
        customer_number_raw: Option<String>,
        /// The same in E.164.
        customer_number_e164: Option<String>,
        /// The caller's name (inbound).
        customer_name: Option<String>,
        /// The number dialled by the customer (inbound).
        did: Option<String>,
        /// The agent placing the call (outbound, internal).
        agent_extension: Option<String>,
    },
    /// The caller joined a queue.
    Queued {
        /// The queue.
        queue: String,
        /// Position on joining (1 = first).
        position: Option<u32>,
    },
    /// An agent's phone started ringing for this call: the screen-pop.
    AgentRinging {
        /// The agent whose phone rings.
        extension: String,
        /// The agent's configured name.
        agent_name: Option<String>,
        /// The queue ringing the agent, if any.
        queue: Option<String>,
        /// Who is calling: the customer's number (internal calls: the calling extension).
        caller_number: Option<String>,
        /// The customer's number in E.164.
        caller_number_e164: Option<String>,
        /// The caller's name.
        caller_name: Option<String>,
        /// The number the customer dialled.
        did: Option<String>,
        /// How long the caller has waited so far: since joining the queue, else since the
        /// call started; for a call already answered (a transfer's target), since the
        /// transfer (0 while the transferer still consults).
        waited_ms: u64,
    },
    /// An agent's phone stopped ringing without that agent answering.
    AgentRingStopped {
        /// The agent, when known.
        extension: Option<String>,
        /// The queue that rang, if any.
        queue: Option<String>,
        /// Why it stopped.
        result: AttemptResult,
        /// How long it rang.
        ring_ms: Option<u64>,
    },
    /// The call was answered.
    Answered {
        /// The agent in the conversation (inbound: who answered; outbound: who called;
        /// internal: the callee).
        extension: Option<String>,
        /// The agent's configured name.
        agent_name: Option<String>,
        /// Queue wait until the answer.
        wait_ms: Option<u64>,
    },
    /// An agent joined a call someone else answered: a transfer's target picked up.
    AgentJoined {
        /// The agent who joined.
        extension: String,
        /// The agent's configured name.
        agent_name: Option<String>,
    },
    /// An agent's part in a transferred call ended while the call goes on (the transferer
    /// left, or the target hung up before the customer's line cleared).
    AgentLeft {
        /// The agent who left.
        extension: String,
        /// That agent's own connected time.
        talk_ms: u64,
    },
    /// The call went on hold.
    Held,
    /// The call came back from hold.
    Unheld {
        /// Length of this hold.
        hold_ms: u64,
    },
    /// The call was transferred.
    Transferred(Transfer),
    /// MixMonitor started recording the call.
    RecordingStarted(Recording),
    /// The call is over; emitted exactly once per call.
    Ended(Box<CallRecord>),
}
