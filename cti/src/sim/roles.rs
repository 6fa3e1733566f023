//! What each scenario's calls really are, in the terms the fixtures' README defines the
//! expected facts in: per call its Linkedid, direction, queue, who answers, and which events
//! of its template are the queue join, the answer, the abandon, the customer's hang-up, each
//! agent's connected time and the end. Marks name events as the capture does (event name
//! and channel); [`CallPlan::resolve`] finds them in the template once, at start, and the
//! truth of every generated call is read off the times those events were sent at
//! (`truth`), never from what a client makes of them.

use super::SimError;
use super::scenarios::Scenario;
use super::slots::{QueueRole, Segment, Slot};
use super::template::Template;
use crate::ami::{Frame, Frames};
use crate::tracker::{Direction, Disposition};

/// The `nth` (from 0) event named `event` on `channel` (the capture's channel name), with
/// `ChannelState: state` when given.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mark {
    event: &'static str,
    channel: &'static str,
    state: Option<&'static str>,
    nth: usize,
}

const fn on(event: &'static str, channel: &'static str) -> Mark {
    Mark {
        event,
        channel,
        state: None,
        nth: 0,
    }
}

/// The channel going up (answered).
const fn up(channel: &'static str) -> Mark {
    Mark {
        event: "Newstate",
        channel,
        state: Some("6"),
        nth: 0,
    }
}

const fn hangup(channel: &'static str) -> Mark {
    on("Hangup", channel)
}

impl Mark {
    const fn nth(self, nth: usize) -> Mark {
        Mark { nth, ..self }
    }
}

/// Who ended the call: the device that sent the hang-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hanger {
    Customer,
    /// A lab agent (index).
    Agent(usize),
    /// Asterisk itself (the channels of a completed attended transfer's consultation).
    System,
}

/// One call of a scenario. Agents are lab agents (0 = 1001 …), queue roles the lab's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Roles {
    pub(crate) direction: Direction,
    pub(crate) disposition: Disposition,
    /// Whether a customer (trunk) takes part; their number is the call's.
    pub(crate) customer: bool,
    pub(crate) queue: Option<QueueRole>,
    /// Inbound: the agent connected first; internal: the callee.
    pub(crate) answered_by: Option<usize>,
    /// Inbound: the answering agent; outbound and internal: the calling agent.
    pub(crate) agent: Option<usize>,
    /// Internal: caller and callee.
    pub(crate) between: Option<(usize, usize)>,
    /// The call's first channel created (its Uniqueid is the Linkedid).
    pub(crate) started: Mark,
    pub(crate) queued: Option<Mark>,
    /// An agent connecting (`AgentConnect`) or, without a queue, the far end answering.
    pub(crate) answered: Option<Mark>,
    pub(crate) abandoned: Option<Mark>,
    /// The customer's channel (internal: the caller's) hanging up: the talk's end.
    pub(crate) customer_gone: Option<Mark>,
    /// The last channel of the call hanging up.
    pub(crate) ended: Mark,
    /// Each agent's connected time: (agent, connected, gone from the call).
    pub(crate) segments: &'static [(usize, Mark, Mark)],
    pub(crate) hangup_by: Hanger,
    /// MixMonitor records the Linkedid's channel (`<linkedid>.wav`).
    pub(crate) recorded: bool,
}

const TRUNK_01: &str = "PJSIP/trunk-00000000";
const AGENT_01: &str = "PJSIP/1001-00000001";

/// An answered call of queue `support` in the shape of capture 01 (also hold and both
/// transfers, which are built on it).
const fn support_01(segments: &'static [(usize, Mark, Mark)], ended: Mark) -> Roles {
    Roles {
        direction: Direction::Inbound,
        disposition: Disposition::Answered,
        customer: true,
        queue: Some(QueueRole::Linear),
        answered_by: Some(0),
        agent: Some(0),
        between: None,
        started: on("Newchannel", TRUNK_01),
        queued: Some(on("QueueCallerJoin", TRUNK_01)),
        answered: Some(on("AgentConnect", TRUNK_01)),
        abandoned: None,
        customer_gone: Some(hangup(TRUNK_01)),
        ended,
        segments,
        hangup_by: Hanger::Customer,
        recorded: true,
    }
}

const AGENT_01_SEGMENT: (usize, Mark, Mark) = (0, up(AGENT_01), hangup(AGENT_01));

/// An answered call of a queue: `trunk` rings `agent`, whose `channel` answers.
const fn queue_answered(
    queue: QueueRole,
    trunk: &'static str,
    agent: usize,
    segments: &'static [(usize, Mark, Mark)],
    hangup_by: Hanger,
) -> Roles {
    Roles {
        queue: Some(queue),
        answered_by: Some(agent),
        agent: Some(agent),
        started: on("Newchannel", trunk),
        queued: Some(on("QueueCallerJoin", trunk)),
        answered: Some(on("AgentConnect", trunk)),
        customer_gone: Some(hangup(trunk)),
        ended: hangup(trunk),
        segments,
        hangup_by,
        ..support_01(&[], hangup(trunk))
    }
}

/// An agent's phone (lab `agent`, `channel`) calling out through `trunk`.
const fn outbound(agent: usize, channel: &'static str, trunk: &'static str) -> Roles {
    Roles {
        direction: Direction::Outbound,
        disposition: Disposition::Answered,
        customer: true,
        queue: None,
        answered_by: None,
        agent: Some(agent),
        between: None,
        started: on("Newchannel", channel),
        queued: None,
        answered: Some(up(trunk)),
        abandoned: None,
        customer_gone: Some(hangup(trunk)),
        ended: hangup(channel),
        segments: &[],
        hangup_by: Hanger::Customer,
        recorded: true,
    }
}

/// One agent calling another: `from` on `caller`, `to` answering on `callee`.
const fn internal(
    (from, caller): (usize, &'static str),
    (to, callee): (usize, &'static str),
    segments: &'static [(usize, Mark, Mark)],
    hangup_by: Hanger,
) -> Roles {
    Roles {
        direction: Direction::Internal,
        customer: false,
        answered_by: Some(to),
        agent: Some(from),
        between: Some((from, to)),
        answered: Some(up(callee)),
        customer_gone: Some(hangup(caller)),
        ended: hangup(caller),
        segments,
        hangup_by,
        recorded: false,
        ..outbound(from, caller, callee)
    }
}

/// The calls a scenario makes, the main one (the customer's) first.
pub(crate) fn roles(scenario: Scenario) -> &'static [Roles] {
    match scenario {
        Scenario::InboundAnswered | Scenario::Hold => INBOUND_ANSWERED,
        Scenario::InboundAbandoned => INBOUND_ABANDONED,
        Scenario::RingNoAnswer => RING_NO_ANSWER,
        Scenario::RingAllAnswered => RINGALL_ANSWERED,
        Scenario::ClickToCall => CLICK_TO_CALL,
        Scenario::Outbound => OUTBOUND,
        Scenario::Internal => INTERNAL,
        Scenario::BlindTransfer => BLIND_TRANSFER,
        Scenario::AttendedTransfer => ATTENDED_TRANSFER,
    }
}

/// Capture 01 (and hold, 7 s on hold within the talk).
const INBOUND_ANSWERED: &[Roles] = &[support_01(&[AGENT_01_SEGMENT], hangup(TRUNK_01))];

/// Capture 02: nobody answers the ring-all queue, the caller hangs up.
const INBOUND_ABANDONED: &[Roles] = {
    const TRUNK: &str = "PJSIP/trunk-00000002";
    &[Roles {
        disposition: Disposition::Abandoned,
        answered_by: None,
        agent: None,
        answered: None,
        abandoned: Some(on("QueueCallerAbandon", TRUNK)),
        customer_gone: None,
        ..queue_answered(QueueRole::RingAll, TRUNK, 0, &[], Hanger::Customer)
    }]
};

/// Capture 03: 1001 does not answer, 1002 does and hangs up.
const RING_NO_ANSWER: &[Roles] = {
    const AGENT: &str = "PJSIP/1002-00000008";
    &[queue_answered(
        QueueRole::Linear,
        "PJSIP/trunk-00000006",
        1,
        &[(1, up(AGENT), hangup(AGENT))],
        Hanger::Agent(1),
    )]
};

/// Capture 12: 1002 answers the ring-all queue (through a Local channel).
const RINGALL_ANSWERED: &[Roles] = {
    const AGENT: &str = "PJSIP/1002-0000002a";
    &[queue_answered(
        QueueRole::RingAll,
        "PJSIP/trunk-00000029",
        1,
        &[(1, up(AGENT), hangup(AGENT))],
        Hanger::Customer,
    )]
};

/// Capture 04: 1002's phone is originated, then the customer dialled; 1002 hangs up.
const CLICK_TO_CALL: &[Roles] = {
    const AGENT: &str = "PJSIP/1002-00000009";
    const TRUNK: &str = "PJSIP/trunk-0000000a";
    &[Roles {
        ended: hangup(TRUNK),
        segments: &[(1, up(TRUNK), hangup(AGENT))],
        hangup_by: Hanger::Agent(1),
        ..outbound(1, AGENT, TRUNK)
    }]
};

/// Capture 06: 1003 dials out; the customer hangs up.
const OUTBOUND: &[Roles] = {
    const AGENT: &str = "PJSIP/1003-00000011";
    const TRUNK: &str = "PJSIP/trunk-00000012";
    &[Roles {
        segments: &[(2, up(TRUNK), hangup(AGENT))],
        ..outbound(2, AGENT, TRUNK)
    }]
};

/// Capture 07: 1001 calls 1003 and hangs up.
const INTERNAL: &[Roles] = {
    const CALLER: &str = "PJSIP/1001-00000013";
    const CALLEE: &str = "PJSIP/1003-00000014";
    &[internal(
        (0, CALLER),
        (2, CALLEE),
        &[(2, up(CALLEE), hangup(CALLEE))],
        Hanger::Agent(0),
    )]
};

/// 1001 blind-transfers the caller to 1002; the caller hangs up.
const BLIND_TRANSFER: &[Roles] = {
    const TARGET: &str = "PJSIP/1002-00000002";
    &[support_01(
        &[AGENT_01_SEGMENT, (1, up(TARGET), hangup(TARGET))],
        hangup(TRUNK_01),
    )]
};

/// 1001 consults 1002 on a second channel (a call of its own until the transfer merges
/// it), then transfers; the caller hangs up.
const ATTENDED_TRANSFER: &[Roles] = {
    const CONSULT: &str = "PJSIP/1001-00000002";
    const TARGET: &str = "PJSIP/1002-00000003";
    &[
        support_01(
            &[
                AGENT_01_SEGMENT,
                (1, on("BridgeEnter", TARGET).nth(1), hangup(TARGET)),
            ],
            hangup(TRUNK_01),
        ),
        internal(
            (0, CONSULT),
            (1, TARGET),
            &[(1, up(TARGET), on("BridgeLeave", TARGET))],
            Hanger::System,
        ),
    ]
};

/// A call's roles with its marks found: indexes into the template's events.
#[derive(Clone, Debug)]
pub(crate) struct CallPlan {
    pub(crate) roles: Roles,
    /// The Uniqueid slot that is the call's Linkedid.
    pub(crate) linkedid: usize,
    pub(crate) started: usize,
    pub(crate) queued: Option<usize>,
    pub(crate) answered: Option<usize>,
    pub(crate) abandoned: Option<usize>,
    pub(crate) customer_gone: Option<usize>,
    pub(crate) ended: usize,
    pub(crate) segments: Vec<(usize, usize, usize)>,
}

impl CallPlan {
    /// Finds `roles`' marks in the template parsed from `bytes`.
    pub(crate) fn resolve(
        name: &str,
        roles: Roles,
        bytes: &'static [u8],
        template: &Template,
    ) -> Result<CallPlan, SimError> {
        let messages: Vec<_> = Frames::new(bytes)
            .filter_map(|f| match f {
                Ok(Frame::Message(m)) => Some(m),
                _ => None,
            })
            .collect();
        let find = |mark: Mark| {
            messages
                .iter()
                .enumerate()
                .filter(|(_, m)| {
                    m.is_event(mark.event)
                        && m.get("Channel") == Some(mark.channel)
                        && mark.state.is_none_or(|s| m.get("ChannelState") == Some(s))
                })
                .nth(mark.nth)
                .map(|(i, _)| i)
                .ok_or_else(|| SimError::Template(format!("{name}: no {mark:?}")))
        };
        let find_opt = |mark: Option<Mark>| mark.map(find).transpose();
        let started = find(roles.started)?;
        let linkedid = template.events[started]
            .headers
            .iter()
            .find_map(|(key, value)| match (key.as_slice(), value) {
                ([Segment::Text(k)], super::template::TemplateValue::Text(v))
                    if &**k == "Uniqueid" =>
                {
                    match v.as_slice() {
                        [Segment::Slot(Slot::Uniqueid(i))] => Some(*i),
                        _ => None,
                    }
                }
                _ => None,
            })
            .ok_or_else(|| SimError::Template(format!("{name}: no Uniqueid at the start")))?;
        let segments = roles
            .segments
            .iter()
            .map(|&(agent, from, to)| Ok((agent, find(from)?, find(to)?)))
            .collect::<Result<_, SimError>>()?;
        Ok(CallPlan {
            roles,
            linkedid,
            started,
            queued: find_opt(roles.queued)?,
            answered: find_opt(roles.answered)?,
            abandoned: find_opt(roles.abandoned)?,
            customer_gone: find_opt(roles.customer_gone)?,
            ended: find(roles.ended)?,
            segments,
        })
    }

    /// The captured wait (queue join → connect or abandon), microseconds.
    pub(crate) fn captured_wait(&self, template: &Template) -> Option<i64> {
        let end = self.answered.or(self.abandoned)?;
        Some(template.events[end].offset - template.events[self.queued?].offset)
    }

    /// The captured talk (answer → the customer's hang-up), microseconds.
    pub(crate) fn captured_talk(&self, template: &Template) -> Option<i64> {
        Some(template.events[self.customer_gone?].offset - template.events[self.answered?].offset)
    }
}
