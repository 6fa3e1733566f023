//! Filling a template's slots for one call: a [`Binding`] holds this call's Uniqueids,
//! channel names, bridge ids, agents and customer, a [`Stretch`] how much longer than
//! captured its wait and talk are, and [`render`] turns a template event into the event the
//! PBX sends at a given time.

use super::clock::{EpochMicros, cdr_time, timestamp};
use super::event::SimEvent;
use super::slots::{QueueRole, Segment, Slot};
use super::template::{Template, TemplateEvent, TemplateValue};
use crate::ami::escape_c;

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
                // Outside the escaped name headers (`AppData`, a CDR's `CallerID`) a name
                // is printed as it is; a line break in it would end the header, so it is
                // kept on one line.
                Segment::Slot(slot) => out.extend(
                    self.slot(*slot)
                        .chars()
                        .map(|c| if matches!(c, '\r' | '\n') { ' ' } else { c }),
                ),
            }
        }
        out
    }

    /// The value of a name header (`CallerIDName`, `DestConnectedLineName`, …): the names
    /// put in are escaped as Asterisk's `ast_escape_c` does; the captured text already is.
    fn fill_name(&self, segments: &[Segment]) -> String {
        let mut out = String::new();
        for s in segments {
            match s {
                Segment::Text(t) => out.push_str(t),
                Segment::Slot(slot) => out.push_str(&escape_c(self.slot(*slot))),
            }
        }
        out
    }
}

/// How much longer than captured a call is made, at two points of its template: the wait
/// (events from the first ring of a queue call on are delayed: the caller waits in the
/// queue before any member is rung) and the talk (events from the talk's end on are
/// delayed). The durations Asterisk reports grow to match.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Stretch {
    /// The wait's stretch, if any.
    pub(crate) wait: Option<StretchPoint>,
    /// The talk's stretch, if any.
    pub(crate) talk: Option<StretchPoint>,
}

/// One point of a [`Stretch`]: events from `index` on come `seconds` later.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StretchPoint {
    /// Index of the first delayed event.
    pub(crate) index: usize,
    /// That event's offset, microseconds after the call's first event.
    pub(crate) from_offset: i64,
    /// Whole seconds added.
    pub(crate) seconds: i64,
}

impl Stretch {
    /// The stretch as it applies to event `index`: the points it comes after.
    pub(crate) fn at(self, index: usize) -> Stretch {
        let passed = |p: Option<StretchPoint>| p.filter(|p| p.index <= index);
        Stretch {
            wait: passed(self.wait),
            talk: passed(self.talk),
        }
    }

    /// How many microseconds later than captured an event comes (given [`at`](Self::at)
    /// its index).
    pub(crate) fn delay_micros(self) -> i64 {
        (seconds(self.wait) + seconds(self.talk)).saturating_mul(1_000_000)
    }

    /// How many seconds a CDR time `offset` whole seconds after the call's start moves; a
    /// row of a Local channel (created when a member is rung) moves whole with the wait.
    fn cdr_seconds(self, offset: i64, local_row: bool) -> i64 {
        let wait = self
            .wait
            .filter(|p| local_row || offset.saturating_mul(1_000_000) >= p.from_offset);
        // A CDR time in the second of the talk's end (or after) moves with it.
        let talk = self
            .talk
            .filter(|p| (offset + 1).saturating_mul(1_000_000) >= p.from_offset);
        seconds(wait) + seconds(talk)
    }
}

/// When a call's events are sent: its first at `start`, the others at their captured
/// offsets, delayed by the [`Stretch`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Schedule {
    /// When the call's first event is sent.
    pub(crate) start: EpochMicros,
    /// How much longer than captured the call is.
    pub(crate) stretch: Stretch,
}

impl Schedule {
    /// When event `index` of `template` is sent.
    pub(crate) fn at(&self, template: &Template, index: usize) -> EpochMicros {
        let offset = template.events.get(index).map_or(0, |e| e.offset);
        self.start + offset + self.stretch.at(index).delay_micros()
    }
}

fn seconds(point: Option<StretchPoint>) -> i64 {
    point.map_or(0, |p| p.seconds)
}

/// CDR times and the durations computed from them.
const CDR_TIMES: [&str; 3] = ["StartTime", "AnswerTime", "EndTime"];

/// The event `template` of a call whose first event happens at `start`; `stretch` is the
/// call's [`Stretch`] as it applies to this event ([`Stretch::at`]).
pub(crate) fn render(
    template: &TemplateEvent,
    binding: &Binding,
    start: EpochMicros,
    stretch: Stretch,
) -> SimEvent {
    let name = template.headers.first().map(|(_, v)| match v {
        TemplateValue::Text(segments) => binding.fill(segments),
        _ => String::new(),
    });
    let name = name.as_deref().unwrap_or("");
    // Whole seconds each CDR time moves (Cdr events only), for their durations.
    let is_cdr = template
        .headers
        .iter()
        .any(|(_, v)| matches!(v, TemplateValue::CdrTime(_)));
    let local_row = is_cdr
        && template.headers.iter().any(|(k, v)| {
            binding.fill(k) == "Channel"
                && matches!(v, TemplateValue::Text(s) if binding.fill(s).starts_with("Local/"))
        });
    let mut cdr_moves = [None; 3];
    for (key, value) in template.headers.iter().filter(|_| is_cdr) {
        if let TemplateValue::CdrTime(offset) = value
            && let Some(i) = CDR_TIMES.iter().position(|k| *k == binding.fill(key))
        {
            cdr_moves[i] = Some(stretch.cdr_seconds(*offset, local_row));
        }
    }
    let [start_moved, answer_moved, end_moved] = cdr_moves;
    let grown_by = |key: &str| match key {
        "HoldTime" if name == "QueueCallerAbandon" => seconds(stretch.wait) + seconds(stretch.talk),
        "HoldTime" => seconds(stretch.wait),
        "TalkTime" => seconds(stretch.talk),
        "Duration" => end_moved.unwrap_or(0) - start_moved.unwrap_or(0),
        "BillableSeconds" => answer_moved.map_or(0, |a| end_moved.unwrap_or(0) - a),
        _ => 0,
    };
    let mut event = SimEvent::default();
    for (key, value) in &template.headers {
        let key = binding.fill(key);
        if key.eq_ignore_ascii_case("ActionID") && binding.action_id.is_none() {
            continue;
        }
        let value = match value {
            TemplateValue::Text(segments)
                if key.ends_with("CallerIDName") || key.ends_with("ConnectedLineName") =>
            {
                binding.fill_name(segments)
            }
            TemplateValue::Text(segments) => {
                let text = binding.fill(segments);
                let grown = grown_by(&key);
                match text.parse::<i64>() {
                    Ok(n) if grown != 0 && n > 0 => (n + grown).to_string(),
                    _ => text,
                }
            }
            TemplateValue::Time(offset) => timestamp(start + offset + stretch.delay_micros()),
            TemplateValue::CdrTime(offset) => {
                let seconds = offset + stretch.cdr_seconds(*offset, local_row);
                cdr_time(start.div_euclid(1_000_000) + seconds)
            }
        };
        event.headers.push((key, value));
    }
    event
}
