//! The calls the simulator knows how to make, each a template of one call's events
//! (`scenarios/*.ami`, embedded in the binary; see `scenarios/README.md`) plus what its values
//! mean: who the customer is, which lab agent answers or dials. Seven are real Asterisk 22
//! captures; hold and the two transfers extend capture 01 with the events Asterisk 22
//! documents for them.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use super::SimError;
use super::roles::{CallPlan, roles};
use super::slots::QueueRole;
use super::template::{KnownValues, TalkEnd, Template};

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
    /// As [`InboundAnswered`](Self::InboundAnswered), with the customer on hold for 7 s
    /// (`Hold`, `MusicOnHoldStart` … `Unhold`, `MusicOnHoldStop`).
    Hold,
    /// The answering agent blind-transfers the customer (SIP REFER) to a second agent, who
    /// answers after 3 s; 6 s talk (`BlindTransfer`).
    BlindTransfer,
    /// The answering agent holds the customer, calls a second agent, talks to them 5 s and
    /// completes the transfer; 6 s talk (`AttendedTransfer`, bridges merged).
    AttendedTransfer,
}

impl Scenario {
    /// Every scenario, in the catalog's order.
    pub const ALL: [Scenario; 10] = [
        Scenario::InboundAnswered,
        Scenario::InboundAbandoned,
        Scenario::RingNoAnswer,
        Scenario::RingAllAnswered,
        Scenario::ClickToCall,
        Scenario::Outbound,
        Scenario::Internal,
        Scenario::Hold,
        Scenario::BlindTransfer,
        Scenario::AttendedTransfer,
    ];

    /// The scenario's name on the command line and in truth lines: `inbound-answered`,
    /// `inbound-abandoned`, `ring-no-answer`, `ringall-answered`, `click-to-call`,
    /// `outbound`, `internal`, `hold`, `blind-transfer`, `attended-transfer`.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::InboundAnswered => "inbound-answered",
            Scenario::InboundAbandoned => "inbound-abandoned",
            Scenario::RingNoAnswer => "ring-no-answer",
            Scenario::RingAllAnswered => "ringall-answered",
            Scenario::ClickToCall => "click-to-call",
            Scenario::Outbound => "outbound",
            Scenario::Internal => "internal",
            Scenario::Hold => "hold",
            Scenario::BlindTransfer => "blind-transfer",
            Scenario::AttendedTransfer => "attended-transfer",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = SimError;

    /// A scenario by its [`name`](Scenario::name).
    fn from_str(text: &str) -> Result<Scenario, SimError> {
        Scenario::ALL
            .into_iter()
            .find(|s| s.name() == text.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
                SimError::Mix(format!(
                    "no scenario {text:?} (known: {})",
                    names.join(", ")
                ))
            })
    }
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
    /// Where the talk (or the wait before abandoning) ends, to vary its length.
    pub(crate) talk_end: TalkEnd,
    /// The most a generated call's talk may be made longer, in seconds (`None`: as the
    /// settings say).
    pub(crate) extra_cap: Option<u64>,
}

const fn ends(event: &'static str, channel: &'static str) -> TalkEnd {
    TalkEnd { event, channel }
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
pub(crate) const SPECS: [Spec; 10] = [
    Spec {
        scenario: Scenario::InboundAnswered,
        bytes: include_bytes!("scenarios/inbound-answered.ami"),
        known: customer("09121234567", Some("Ali Rezaei")),
        primary: Some(0),
        queue: Some(QueueRole::Linear),
        weight: 30,
        talk_end: ends("HangupRequest", "PJSIP/trunk"),
        extra_cap: None,
    },
    Spec {
        scenario: Scenario::InboundAbandoned,
        bytes: include_bytes!("scenarios/inbound-abandoned.ami"),
        known: customer("09351234567", Some("Neda Moradi")),
        primary: None,
        queue: Some(QueueRole::RingAll),
        weight: 10,
        talk_end: ends("HangupRequest", "PJSIP/trunk"),
        extra_cap: Some(8),
    },
    Spec {
        scenario: Scenario::RingNoAnswer,
        bytes: include_bytes!("scenarios/ring-no-answer.ami"),
        known: customer("02144556677", Some("Kaveh Trading")),
        primary: Some(1),
        queue: Some(QueueRole::Linear),
        weight: 12,
        talk_end: ends("HangupRequest", "PJSIP/1002"),
        extra_cap: None,
    },
    Spec {
        scenario: Scenario::RingAllAnswered,
        bytes: include_bytes!("scenarios/ringall-answered.ami"),
        known: customer("09123334455", Some("Hamid Saberi")),
        primary: Some(1),
        queue: Some(QueueRole::RingAll),
        weight: 16,
        talk_end: ends("HangupRequest", "PJSIP/trunk"),
        extra_cap: None,
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
        talk_end: ends("HangupRequest", "PJSIP/1002"),
        extra_cap: None,
    },
    Spec {
        scenario: Scenario::Outbound,
        bytes: include_bytes!("scenarios/outbound.ami"),
        known: customer("09129876543", None),
        primary: Some(2),
        queue: None,
        weight: 14,
        talk_end: ends("HangupRequest", "PJSIP/trunk"),
        extra_cap: None,
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
        talk_end: ends("HangupRequest", "PJSIP/1001"),
        extra_cap: None,
    },
    Spec {
        scenario: Scenario::Hold,
        bytes: include_bytes!("scenarios/hold.ami"),
        known: customer("09121234567", Some("Ali Rezaei")),
        primary: Some(0),
        queue: Some(QueueRole::Linear),
        weight: 6,
        talk_end: ends("HangupRequest", "PJSIP/trunk"),
        extra_cap: None,
    },
    Spec {
        scenario: Scenario::BlindTransfer,
        bytes: include_bytes!("scenarios/blind-transfer.ami"),
        known: customer("09121234567", Some("Ali Rezaei")),
        primary: Some(0),
        queue: Some(QueueRole::Linear),
        weight: 4,
        talk_end: ends("HangupRequest", "PJSIP/trunk"),
        extra_cap: None,
    },
    Spec {
        scenario: Scenario::AttendedTransfer,
        bytes: include_bytes!("scenarios/attended-transfer.ami"),
        known: customer("09121234567", Some("Ali Rezaei")),
        primary: Some(0),
        queue: Some(QueueRole::Linear),
        weight: 3,
        talk_end: ends("HangupRequest", "PJSIP/trunk"),
        extra_cap: None,
    },
];

/// A scenario ready to be placed: what its values mean, its template, and its calls' roles
/// found in the template (the truth of what it does).
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) spec: Spec,
    pub(crate) template: Arc<Template>,
    /// The calls it makes, the customer's first.
    pub(crate) plans: Arc<[CallPlan]>,
}

/// Every scenario's spec, parsed template and call plans.
#[derive(Debug)]
pub(crate) struct Catalog {
    entries: Vec<Arc<Entry>>,
}

impl Catalog {
    /// Parses every embedded template and finds its calls' roles in it.
    pub(crate) fn load() -> Result<Catalog, SimError> {
        let entries = SPECS
            .iter()
            .map(|spec| {
                let name = spec.scenario.name();
                let template = Template::parse(name, spec.bytes, spec.known, Some(spec.talk_end))?;
                let plans = roles(spec.scenario)
                    .iter()
                    .map(|r| CallPlan::resolve(name, *r, spec.bytes, &template))
                    .collect::<Result<Arc<[CallPlan]>, SimError>>()?;
                Ok(Arc::new(Entry {
                    spec: *spec,
                    template: Arc::new(template),
                    plans,
                }))
            })
            .collect::<Result<_, SimError>>()?;
        Ok(Catalog { entries })
    }

    /// The entry of `scenario`.
    pub(crate) fn get(&self, scenario: Scenario) -> Option<&Arc<Entry>> {
        self.entries.iter().find(|e| e.spec.scenario == scenario)
    }

    /// Every entry, in declaration order.
    pub(crate) fn entries(&self) -> &[Arc<Entry>] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_and_role_loads_and_names_round_trip() {
        let catalog = Catalog::load().unwrap();
        assert_eq!(catalog.entries().len(), Scenario::ALL.len());
        for scenario in Scenario::ALL {
            assert_eq!(scenario.name().parse::<Scenario>().unwrap(), scenario);
            let entry = catalog.get(scenario).unwrap();
            let main = &entry.plans[0];
            assert_eq!(
                main.linkedid, 0,
                "{scenario}: the first channel is the Linkedid"
            );
            assert_eq!(main.started, 0, "{scenario}");
            let queued = entry.spec.queue.is_some();
            assert_eq!(entry.template.ring_start.is_some(), queued, "{scenario}");
        }
        assert!("nothing".parse::<Scenario>().is_err());
    }
}
