//! Filling a template's slots for one call: a [`Binding`] holds this call's Uniqueids,
//! channel names, bridge ids, agents and customer, and [`render`] turns a template event
//! into the event the PBX sends at a given time.

use super::clock::{EpochMicros, cdr_time, timestamp};
use super::event::SimEvent;
use super::slots::{QueueRole, Segment, Slot};
use super::template::{TemplateEvent, TemplateValue};

/// The values of one generated call.
#[derive(Clone, Debug, Default)]
pub(crate) struct Binding {
    pub(crate) uniqueids: Vec<String>,
    pub(crate) channels: Vec<String>,
    pub(crate) bridges: Vec<String>,
    /// Extension and name standing in for each lab agent (by lab index).
    pub(crate) agents: [(String, String); 3],
    pub(crate) customer_number: String,
    pub(crate) customer_name: String,
    pub(crate) linear_queue: (String, String),
    pub(crate) ringall_queue: (String, String),
    pub(crate) click_id: String,
    pub(crate) origin_name: String,
    /// `None`: the Originate had no ActionID, so the header is left out.
    pub(crate) action_id: Option<String>,
}

impl Binding {
    /// The Linkedid of the call (its first Uniqueid).
    pub(crate) fn linkedid(&self) -> &str {
        self.uniqueids.first().map_or("", String::as_str)
    }

    fn slot(&self, slot: Slot) -> &str {
        fn pick(v: &[String], i: usize) -> &str {
            v.get(i).map_or("", String::as_str)
        }
        match slot {
            Slot::Uniqueid(i) => pick(&self.uniqueids, i),
            Slot::Channel(i) => pick(&self.channels, i),
            Slot::Bridge(i) => pick(&self.bridges, i),
            Slot::AgentExt(i) => self.agents.get(i).map_or("", |a| a.0.as_str()),
            Slot::AgentName(i) => self.agents.get(i).map_or("", |a| a.1.as_str()),
            Slot::CustomerNumber => &self.customer_number,
            Slot::CustomerName => &self.customer_name,
            Slot::QueueName(QueueRole::Linear) => &self.linear_queue.0,
            Slot::QueueName(QueueRole::RingAll) => &self.ringall_queue.0,
            Slot::Did(QueueRole::Linear) => &self.linear_queue.1,
            Slot::Did(QueueRole::RingAll) => &self.ringall_queue.1,
            Slot::ClickId => &self.click_id,
            Slot::OriginName => &self.origin_name,
            Slot::ActionId => self.action_id.as_deref().unwrap_or(""),
        }
    }

    fn fill(&self, segments: &[Segment]) -> String {
        let mut out = String::new();
        for s in segments {
            match s {
                Segment::Text(t) => out.push_str(t),
                Segment::Slot(slot) => out.push_str(self.slot(*slot)),
            }
        }
        out
    }
}

/// How much longer than captured a call's talk is: events from the talk's end on are
/// delayed by `seconds`, and the durations they report grow by as much.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stretch {
    /// Offset of the event ending the talk, microseconds after the call's first event.
    pub(crate) from_offset: i64,
    /// Whole seconds added.
    pub(crate) seconds: i64,
}

/// Headers holding whole seconds that grow with the talk (CDR, `AgentComplete`).
const DURATIONS: [&str; 3] = ["Duration", "BillableSeconds", "TalkTime"];

/// The event `template` of a call whose first event happens at `start`; `stretch` is given
/// for the events from the talk's end on.
pub(crate) fn render(
    template: &TemplateEvent,
    binding: &Binding,
    start: EpochMicros,
    stretch: Option<Stretch>,
) -> SimEvent {
    let extra = stretch.map_or(0, |s| s.seconds);
    let mut event = SimEvent::default();
    for (key, value) in &template.headers {
        let key = binding.fill(key);
        if key.eq_ignore_ascii_case("ActionID") && binding.action_id.is_none() {
            continue;
        }
        let value = match value {
            TemplateValue::Text(segments) => {
                let text = binding.fill(segments);
                match text.parse::<i64>() {
                    Ok(n) if extra > 0 && n > 0 && DURATIONS.contains(&key.as_str()) => {
                        (n + extra).to_string()
                    }
                    _ => text,
                }
            }
            TemplateValue::Time(offset) => timestamp(start + offset + extra * 1_000_000),
            TemplateValue::CdrTime(offset) => {
                // A CDR time at or after the talk's end (to the second) moves with it.
                let moved = stretch.is_some_and(|s| (offset + 1) * 1_000_000 >= s.from_offset);
                let seconds = if moved { offset + extra } else { *offset };
                cdr_time(start.div_euclid(1_000_000) + seconds)
            }
        };
        event.headers.push((key, value));
    }
    event
}
