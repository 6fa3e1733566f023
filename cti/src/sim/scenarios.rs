//! The calls the simulator knows how to make, each a template taken from a real Asterisk 22
//! capture (`scenarios/*.ami`, the events of one call, embedded in the binary) plus what
//! the capture's values mean: who the customer is, which lab agent answers or dials.

use std::sync::Arc;

use super::SimError;
use super::template::{KnownValues, QueueRole, Template};

/// A kind of call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// Queue `support` (linear): the agent rings 5 s and answers; 8 s talk; the caller
    /// hangs up (capture 01).
    InboundAnswered,
    /// Queue `sales` (ringall through Local channels): three agents ring, nobody answers, the
    /// caller hangs up after 6 s (capture 02).
    InboundAbandoned,
    /// Queue `support`: a first agent rings 7 s without answering, a second answers after
    /// 3 s; 6 s talk; the agent hangs up (capture 03).
    RingNoAnswer,
    /// Queue `sales`: three agents ring, one answers after 4 s; 8 s talk (capture 12).
    RingAllAnswered,
    /// `Originate` from an agent's phone to a customer (capture 04); only on request.
    ClickToCall,
    /// An agent dials a customer from the desk phone; 9 s talk (capture 06).
    Outbound,
    /// One agent calls another; 10 s talk (capture 07).
    Internal,
}

/// What a scenario's capture values mean.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spec {
    pub(crate) scenario: Scenario,
    pub(crate) bytes: &'static [u8],
    pub(crate) known: KnownValues,
    /// The lab agent (index) who answers, dials or is originated from.
    pub(crate) primary: Option<usize>,
    /// The queue the call goes through.
    pub(crate) queue: Option<QueueRole>,
    /// Relative frequency among generated calls (0: never generated).
    pub(crate) weight: u32,
}

const fn customer(number: &'static str, name: Option<&'static str>) -> KnownValues {
    KnownValues {
        customer_number: Some(number),
        customer_name: name,
        click_id: None,
        origin_name: None,
        action_id: None,
    }
}

/// Every scenario.
pub(crate) const SPECS: [Spec; 7] = [
    Spec {
        scenario: Scenario::InboundAnswered,
        bytes: include_bytes!("scenarios/inbound-answered.ami"),
        known: customer("09121234567", Some("Ali Rezaei")),
        primary: Some(0),
        queue: Some(QueueRole::Linear),
        weight: 30,
    },
    Spec {
        scenario: Scenario::InboundAbandoned,
        bytes: include_bytes!("scenarios/inbound-abandoned.ami"),
        known: customer("09351234567", Some("Neda Moradi")),
        primary: None,
        queue: Some(QueueRole::RingAll),
        weight: 10,
    },
    Spec {
        scenario: Scenario::RingNoAnswer,
        bytes: include_bytes!("scenarios/ring-no-answer.ami"),
        known: customer("02144556677", Some("Kaveh Trading")),
        primary: Some(1),
        queue: Some(QueueRole::Linear),
        weight: 12,
    },
    Spec {
        scenario: Scenario::RingAllAnswered,
        bytes: include_bytes!("scenarios/ringall-answered.ami"),
        known: customer("09123334455", Some("Hamid Saberi")),
        primary: Some(1),
        queue: Some(QueueRole::RingAll),
        weight: 16,
    },
    Spec {
        scenario: Scenario::ClickToCall,
        bytes: include_bytes!("scenarios/click-to-call.ami"),
        known: KnownValues {
            customer_number: Some("09127654321"),
            customer_name: None,
            click_id: Some("ctc-7f3a"),
            origin_name: Some("Click-to-call"),
            action_id: Some("tamas-27271-002"),
        },
        primary: Some(1),
        queue: None,
        weight: 0,
    },
    Spec {
        scenario: Scenario::Outbound,
        bytes: include_bytes!("scenarios/outbound.ami"),
        known: customer("09129876543", None),
        primary: Some(2),
        queue: None,
        weight: 14,
    },
    Spec {
        scenario: Scenario::Internal,
        bytes: include_bytes!("scenarios/internal.ami"),
        known: KnownValues {
            customer_number: None,
            customer_name: None,
            click_id: None,
            origin_name: None,
            action_id: None,
        },
        primary: Some(0),
        queue: None,
        weight: 6,
    },
];

/// Every scenario's spec and parsed template.
#[derive(Debug)]
pub(crate) struct Catalog {
    entries: Vec<(Spec, Arc<Template>)>,
}

impl Catalog {
    /// Parses every embedded template.
    pub(crate) fn load() -> Result<Catalog, SimError> {
        let entries = SPECS
            .iter()
            .map(|spec| {
                let name = format!("{:?}", spec.scenario);
                Template::parse(&name, spec.bytes, spec.known).map(|t| (*spec, Arc::new(t)))
            })
            .collect::<Result<_, _>>()?;
        Ok(Catalog { entries })
    }

    /// The spec and template of `scenario`.
    pub(crate) fn get(&self, scenario: Scenario) -> Option<&(Spec, Arc<Template>)> {
        self.entries.iter().find(|(s, _)| s.scenario == scenario)
    }

    /// Every entry, in declaration order.
    pub(crate) fn entries(&self) -> &[(Spec, Arc<Template>)] {
        &self.entries
    }
}
