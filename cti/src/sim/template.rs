//! Call templates: the events of one captured call, in order, with their offsets from the
//! first event, and every call-specific value (Uniqueids, channel names, bridge ids, agents,
//! the customer's number and name, queues, DIDs, the click-to-call id) replaced by a
//! [`Slot`] to fill in for each generated call.
//!
//! Slots are found in the capture itself: Uniqueids in `…Uniqueid`/`…Linkedid` headers,
//! channels in `…Channel` headers (`PJSIP/1001-00000001`, `Local/1001@queue-agents-…;1`),
//! bridges in `…BridgeUniqueid`; agents from the channels' devices. Their occurrences
//! anywhere else (file names, `AppData`, CDR fields, keys such as
//! `ChanVariable(PJSIP/1002-00000009)`) are replaced too, whole words only. `Timestamp` and
//! the CDR times become offsets from the call's start.

use std::collections::BTreeMap;

use super::SimError;
use super::clock::parse_cdr_time;
use super::settings::LAB_AGENTS;
use super::slots::{QueueRole, Segment, Slot, segments};
use crate::ami::{Frame, Frames, Message};

/// A header value of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TemplateValue {
    /// Text with slots.
    Text(Vec<Segment>),
    /// `Timestamp`: microseconds after the call's first event.
    Time(i64),
    /// A CDR date: whole seconds after the second of the call's first event.
    CdrTime(i64),
}

/// One event of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TemplateEvent {
    /// Microseconds after the call's first event.
    pub(crate) offset: i64,
    pub(crate) headers: Vec<(Vec<Segment>, TemplateValue)>,
}

/// What a channel name is made of: `PJSIP/` + device + tail + `-` + counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChannelName {
    /// `PJSIP/` or `Local/`.
    pub(crate) tech: Box<str>,
    /// The device: a lab agent (by index) or a fixed name such as `trunk`.
    pub(crate) agent: Option<usize>,
    /// The fixed device name when it is not an agent.
    pub(crate) device: Box<str>,
    /// What follows the device before the counter, e.g. `@queue-agents`.
    pub(crate) tail: Box<str>,
}

/// The values of the capture a scenario knows by meaning.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct KnownValues {
    pub(crate) customer_number: Option<&'static str>,
    pub(crate) customer_name: Option<&'static str>,
    pub(crate) click_id: Option<&'static str>,
    pub(crate) origin_name: Option<&'static str>,
    pub(crate) action_id: Option<&'static str>,
}

/// One call's events, ready to be re-stamped.
#[derive(Clone, Debug)]
pub(crate) struct Template {
    pub(crate) events: Vec<TemplateEvent>,
    pub(crate) uniqueids: usize,
    pub(crate) channels: Vec<ChannelName>,
    pub(crate) bridges: usize,
    /// The lab agents (indexes) taking part, ascending.
    pub(crate) agents: Vec<usize>,
    /// The event ending the talk (or the wait, for an abandoned call): from it on, events
    /// may be delayed to make the call longer.
    pub(crate) talk_end: Option<usize>,
    /// The first event of a queue call's ringing (the first channel created after the caller
    /// joined the queue): from it on, events may be delayed to make the caller wait longer.
    pub(crate) ring_start: Option<usize>,
}

/// Where a template's talk ends: the first event `event` on a channel starting with
/// `channel`, in the capture's own names.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TalkEnd {
    pub(crate) event: &'static str,
    pub(crate) channel: &'static str,
}

/// The lab's queues and DIDs, replaced by the configured ones.
const QUEUE_TOKENS: [(&str, Slot); 4] = [
    ("support", Slot::QueueName(QueueRole::Linear)),
    ("sales", Slot::QueueName(QueueRole::RingAll)),
    ("02191001000", Slot::Did(QueueRole::Linear)),
    ("02191002000", Slot::Did(QueueRole::RingAll)),
];

impl Template {
    /// Builds a template from capture bytes holding one call's events (no banner, no
    /// responses).
    pub(crate) fn parse(
        name: &str,
        bytes: &'static [u8],
        known: KnownValues,
        talk_end: Option<TalkEnd>,
    ) -> Result<Template, SimError> {
        let invalid = |why: String| SimError::Template(format!("{name}: {why}"));
        let mut messages = Vec::new();
        for frame in Frames::new(bytes) {
            match frame.map_err(|e| invalid(e.to_string()))? {
                Frame::Message(m) => messages.push(m),
                Frame::Banner(_) => {}
            }
        }
        let first = messages
            .first()
            .ok_or_else(|| invalid("no events".into()))?;
        let t0 =
            event_time(first).ok_or_else(|| invalid("the first event has no Timestamp".into()))?;
        let found = CaptureValues::find(&messages);
        let slots = found.slots(known).map_err(invalid)?;
        let marks = Marks::find(&messages, talk_end);
        let mut events = Vec::with_capacity(messages.len());
        let mut offset = 0;
        for m in &messages {
            if let Some(t) = event_time(m) {
                offset = t - t0;
            }
            let headers = template_headers(m, t0, &slots.tokens);
            events.push(TemplateEvent { offset, headers });
        }
        Ok(Template {
            events,
            uniqueids: found.uniqueids.len(),
            channels: slots.channels,
            bridges: found.bridges.len(),
            agents: slots.agents,
            talk_end: marks.talk_end,
            ring_start: marks.ring_start,
        })
    }
}

/// The call-specific values of a capture: Uniqueids and channels by their counters, and
/// bridge ids in order of appearance.
struct CaptureValues {
    uniqueids: BTreeMap<u64, String>,
    /// Channel names without their `;1`/`;2` suffix.
    channels: BTreeMap<u64, String>,
    bridges: Vec<String>,
}

/// What a capture's values become in its template.
struct Slots {
    /// Each slot with the text it replaces, longest text first.
    tokens: Vec<(String, Slot)>,
    /// The channels' names split into parts, by counter.
    channels: Vec<ChannelName>,
    /// The lab agents taking part, ascending.
    agents: Vec<usize>,
}

impl CaptureValues {
    /// Finds the values in the headers of `messages`.
    fn find(messages: &[Message]) -> Self {
        let mut uniqueids = BTreeMap::new();
        let mut channels = BTreeMap::new();
        let mut bridges = Vec::new();
        for m in messages {
            for h in m.headers() {
                let key = h.key_str().unwrap_or_default().to_ascii_lowercase();
                let value = h.value_lossy();
                if key.ends_with("bridgeuniqueid") || key == "bridgeid" {
                    if !value.is_empty() && !bridges.contains(&value.to_string()) {
                        bridges.push(value.to_string());
                    }
                } else if key.ends_with("uniqueid") || key.ends_with("linkedid") {
                    if let Some(counter) = uniqueid_counter(&value) {
                        uniqueids.insert(counter, value.to_string());
                    }
                } else if key.ends_with("channel")
                    && let Some((base, counter)) = channel_base(&value)
                {
                    channels.insert(counter, base.to_owned());
                }
            }
        }
        CaptureValues {
            uniqueids,
            channels,
            bridges,
        }
    }

    /// The slots: these values, the lab agents on the channels, the values a scenario
    /// knows and the lab's queues; an error names a channel that cannot be split.
    fn slots(&self, known: KnownValues) -> Result<Slots, String> {
        let mut tokens: Vec<(String, Slot)> = Vec::new();
        for (i, u) in self.uniqueids.values().enumerate() {
            tokens.push((u.clone(), Slot::Uniqueid(i)));
        }
        let mut names = Vec::new();
        let mut agents = Vec::new();
        for (i, base) in self.channels.values().enumerate() {
            let name = channel_name(base).ok_or_else(|| format!("channel {base}"))?;
            if let Some(a) = name.agent
                && !agents.contains(&a)
            {
                agents.push(a);
            }
            names.push(name);
            tokens.push((base.clone(), Slot::Channel(i)));
        }
        agents.sort_unstable();
        for (i, b) in self.bridges.iter().enumerate() {
            tokens.push((b.clone(), Slot::Bridge(i)));
        }
        for &a in &agents {
            tokens.push((LAB_AGENTS[a].0.to_owned(), Slot::AgentExt(a)));
            tokens.push((LAB_AGENTS[a].1.to_owned(), Slot::AgentName(a)));
        }
        let known_tokens = [
            (known.customer_number, Slot::CustomerNumber),
            (known.customer_name, Slot::CustomerName),
            (known.click_id, Slot::ClickId),
            (known.origin_name, Slot::OriginName),
            (known.action_id, Slot::ActionId),
        ];
        for (text, slot) in known_tokens {
            if let Some(text) = text {
                tokens.push((text.to_owned(), slot));
            }
        }
        for (text, slot) in QUEUE_TOKENS {
            tokens.push((text.to_owned(), slot));
        }
        tokens.sort_by_key(|t| std::cmp::Reverse(t.0.len()));
        Ok(Slots {
            tokens,
            channels: names,
            agents,
        })
    }
}

/// Where a template's talk ends and a queue call's ringing starts (indexes of events).
struct Marks {
    talk_end: Option<usize>,
    ring_start: Option<usize>,
}

impl Marks {
    /// Finds the marks in `messages`: the first `talk_end` event, and the first channel
    /// created after the caller joined a queue.
    fn find(messages: &[Message], talk_end: Option<TalkEnd>) -> Self {
        let mut marks = Marks {
            talk_end: None,
            ring_start: None,
        };
        let mut joined = false;
        for (i, m) in messages.iter().enumerate() {
            joined |= m.is_event("QueueCallerJoin");
            if joined && marks.ring_start.is_none() && m.is_event("Newchannel") {
                marks.ring_start = Some(i);
            }
            if let Some(end) = talk_end
                && marks.talk_end.is_none()
                && m.is_event(end.event)
                && m.get("Channel").is_some_and(|c| c.starts_with(end.channel))
            {
                marks.talk_end = Some(i);
            }
        }
        marks
    }
}

/// The headers of `m` with their slots; times become offsets from `t0` (µs), CDR times
/// whole seconds from `t0`'s second.
fn template_headers(
    m: &Message,
    t0: i64,
    tokens: &[(String, Slot)],
) -> Vec<(Vec<Segment>, TemplateValue)> {
    let second0 = t0.div_euclid(1_000_000);
    let mut headers = Vec::with_capacity(m.len());
    for h in m.headers() {
        let key = h.key_str().unwrap_or_default();
        let value = h.value_lossy();
        let template_value = if key.eq_ignore_ascii_case("Timestamp") {
            TemplateValue::Time(parse_micros(&value).map_or(0, |t| t - t0))
        } else if is_cdr_time(key)
            && let Some(secs) = parse_cdr_time(&value)
        {
            TemplateValue::CdrTime(secs - second0)
        } else {
            TemplateValue::Text(segments(&value, tokens))
        };
        headers.push((segments(key, tokens), template_value));
    }
    headers
}

fn is_cdr_time(key: &str) -> bool {
    ["StartTime", "AnswerTime", "EndTime"]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(key))
}

/// Epoch microseconds of an event's `Timestamp`.
pub(crate) fn event_time(m: &Message) -> Option<i64> {
    parse_micros(m.get("Timestamp")?)
}

/// `1795342979.703424` → 1795342979703424.
pub(crate) fn parse_micros(text: &str) -> Option<i64> {
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    let secs: i64 = secs.parse().ok()?;
    let mut micros: i64 = 0;
    let mut digits = 0;
    for c in frac.bytes().take(6) {
        if !c.is_ascii_digit() {
            return None;
        }
        micros = micros * 10 + i64::from(c - b'0');
        digits += 1;
    }
    for _ in digits..6 {
        micros *= 10;
    }
    secs.checked_mul(1_000_000)?.checked_add(micros)
}

/// The counter of a Uniqueid such as `1795342979.12`.
fn uniqueid_counter(value: &str) -> Option<u64> {
    let (epoch, counter) = value.split_once('.')?;
    if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    counter.parse().ok()
}

/// `PJSIP/1001-0000000a;1` → (`PJSIP/1001-0000000a`, 10).
fn channel_base(value: &str) -> Option<(&str, u64)> {
    if !(value.starts_with("PJSIP/") || value.starts_with("Local/")) {
        return None;
    }
    let base = value
        .strip_suffix(";1")
        .or_else(|| value.strip_suffix(";2"))
        .unwrap_or(value);
    let (_, counter) = base.rsplit_once('-')?;
    if counter.len() != 8 {
        return None;
    }
    Some((base, u64::from_str_radix(counter, 16).ok()?))
}

/// Splits `PJSIP/1001-00000001` / `Local/1002@queue-agents-00000004` into its parts.
fn channel_name(base: &str) -> Option<ChannelName> {
    let (tech, rest) = base.split_at(base.find('/')? + 1);
    let (device_tail, _) = rest.rsplit_once('-')?;
    let split = device_tail.find('@').unwrap_or(device_tail.len());
    let (device, tail) = device_tail.split_at(split);
    let agent = LAB_AGENTS.iter().position(|(ext, _)| *ext == device);
    Some(ChannelName {
        tech: tech.into(),
        agent,
        device: device.into(),
        tail: tail.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_split_into_parts() {
        assert_eq!(
            channel_base("Local/1002@queue-agents-0000000a;2"),
            Some(("Local/1002@queue-agents-0000000a", 10))
        );
        assert_eq!(channel_base("PJSIP/1001"), None);
        let name = channel_name("Local/1002@queue-agents-0000000a").unwrap();
        assert_eq!((name.agent, &*name.tail), (Some(1), "@queue-agents"));
        let trunk = channel_name("PJSIP/trunk-00000000").unwrap();
        assert_eq!((trunk.agent, &*trunk.device), (None, "trunk"));
    }

    #[test]
    fn micros_parse() {
        assert_eq!(
            parse_micros("1795342979.703424"),
            Some(1_795_342_979_703_424)
        );
        assert_eq!(parse_micros("1795342979.7"), Some(1_795_342_979_700_000));
        assert_eq!(parse_micros("x"), None);
    }
}
