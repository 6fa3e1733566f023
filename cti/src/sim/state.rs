//! What the simulated PBX knows right now — live channels, queue callers, queue members and
//! counters — learnt only from the events it sends, so the answers to `CoreShowChannels`,
//! `QueueStatus` and `QueueSummary` always agree with the event stream.

use std::collections::{HashMap, HashSet};

use super::clock::EpochMicros;
use super::event::SimEvent;
use super::settings::SimSettings;

/// The channel snapshot headers every channel event carries, in Asterisk's order.
pub(crate) const SNAPSHOT_KEYS: [&str; 14] = [
    "Channel",
    "ChannelState",
    "ChannelStateDesc",
    "CallerIDNum",
    "CallerIDName",
    "ConnectedLineNum",
    "ConnectedLineName",
    "Language",
    "AccountCode",
    "Context",
    "Exten",
    "Priority",
    "Uniqueid",
    "Linkedid",
];

/// A live channel.
#[derive(Clone, Debug)]
pub(crate) struct LiveChannel {
    pub(crate) seq: u64,
    /// The snapshot headers (and `ChanVariable` lines), unprefixed.
    pub(crate) snapshot: Vec<(String, String)>,
    pub(crate) application: String,
    pub(crate) app_data: String,
    pub(crate) created: EpochMicros,
    pub(crate) bridge: String,
}

/// A queue member.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub(crate) name: String,
    pub(crate) extension: String,
    pub(crate) location: String,
    pub(crate) state_interface: String,
    pub(crate) calls_taken: u32,
    pub(crate) last_call: i64,
    pub(crate) last_pause: i64,
    pub(crate) login_time: i64,
    pub(crate) in_call: bool,
    pub(crate) status: u8,
    pub(crate) paused: bool,
    pub(crate) paused_reason: String,
}

/// A caller waiting in a queue.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) uniqueid: String,
    pub(crate) snapshot: Vec<(String, String)>,
    pub(crate) joined: EpochMicros,
}

/// A queue with its members, waiting callers and counters since the PBX started.
#[derive(Clone, Debug)]
pub(crate) struct QueueState {
    pub(crate) name: String,
    pub(crate) strategy: &'static str,
    pub(crate) members: Vec<Member>,
    /// Member index by location (interface).
    by_location: HashMap<String, usize>,
    pub(crate) entries: Vec<Entry>,
    pub(crate) completed: u32,
    pub(crate) abandoned: u32,
    pub(crate) answered_in_sl: u32,
    /// Rolling averages in whole seconds, as app_queue keeps them.
    pub(crate) holdtime: u32,
    pub(crate) talktime: u32,
}

/// Answers within this many seconds count for the service level (`ServiceLevel`).
pub(crate) const SERVICE_LEVEL: u32 = 20;

/// The PBX's live state.
#[derive(Clone, Debug)]
pub(crate) struct PbxState {
    pub(crate) channels: HashMap<String, LiveChannel>,
    pub(crate) queues: Vec<QueueState>,
    /// Extensions paused in at least one queue.
    paused: HashSet<String>,
    /// Extensions whose phone is unreachable or unregistered.
    unreachable: HashSet<String>,
    next_seq: u64,
}

impl PbxState {
    /// No channels; both queues with every agent as a member, logged in at `boot`.
    pub(crate) fn new(settings: &SimSettings, boot_seconds: i64) -> Self {
        let member = |name: &str, ext: &str, location: String| Member {
            name: name.to_owned(),
            extension: ext.to_owned(),
            location,
            state_interface: format!("PJSIP/{ext}"),
            calls_taken: 0,
            last_call: 0,
            last_pause: 0,
            login_time: boot_seconds,
            in_call: false,
            status: 1,
            paused: false,
            paused_reason: String::new(),
        };
        let agents = &settings.agents;
        let linear = QueueState::new(
            &settings.queues.linear.name,
            "linear",
            agents
                .iter()
                .map(|a| member(&a.name, &a.extension, format!("PJSIP/{}", a.extension)))
                .collect(),
        );
        let ringall = QueueState::new(
            &settings.queues.ringall.name,
            "ringall",
            agents
                .iter()
                .map(|a| {
                    let location = format!("Local/{}@queue-agents/n", a.extension);
                    member(&a.name, &a.extension, location)
                })
                .collect(),
        );
        PbxState {
            channels: HashMap::new(),
            queues: vec![linear, ringall],
            paused: HashSet::new(),
            unreachable: HashSet::new(),
            next_seq: 0,
        }
    }

    /// Live channels in creation order.
    pub(crate) fn channels_in_order(&self) -> Vec<&LiveChannel> {
        let mut channels: Vec<&LiveChannel> = self.channels.values().collect();
        channels.sort_by_key(|c| c.seq);
        channels
    }

    pub(crate) fn queue_mut(&mut self, name: &str) -> Option<&mut QueueState> {
        self.queues.iter_mut().find(|q| q.name == name)
    }

    /// Whether the phone of the agent with this extension can be rung.
    pub(crate) fn is_reachable(&self, extension: &str) -> bool {
        !self.unreachable.contains(extension)
    }

    /// Whether the agent with this extension is paused in any queue.
    pub(crate) fn is_paused(&self, extension: &str) -> bool {
        self.paused.contains(extension)
    }

    /// Rewrites the member fields of a `QueueMemberStatus` from what the PBX knows (calls
    /// taken, last call, pause) before it is sent.
    pub(crate) fn patch_member_status(&self, event: &mut SimEvent) {
        if event.name() != Some("QueueMemberStatus") {
            return;
        }
        let (Some(queue), Some(interface)) = (event.get("Queue"), event.get("Interface")) else {
            return;
        };
        let Some(m) = self
            .queues
            .iter()
            .find(|q| q.name == queue)
            .and_then(|q| q.member(interface))
        else {
            return;
        };
        let m = m.clone();
        event.set("CallsTaken", m.calls_taken.to_string());
        event.set("LastCall", m.last_call.to_string());
        event.set("LastPause", m.last_pause.to_string());
        event.set("LoginTime", m.login_time.to_string());
        event.set("Paused", if m.paused { "1" } else { "0" });
        event.set("PausedReason", m.paused_reason);
    }

    /// Learns from an event the PBX sends at `at`.
    pub(crate) fn apply(&mut self, event: &SimEvent, at: EpochMicros) {
        let Some(name) = event.name() else {
            return;
        };
        self.apply_channel(name, event, at);
        if name == "ContactStatus"
            && let Some(ext) = event.get("EndpointName")
        {
            if event.get("ContactStatus") == Some("Unreachable") {
                self.unreachable.insert(ext.to_owned());
            } else {
                self.unreachable.remove(ext);
            }
        }
        if let Some(queue) = event.get("Queue") {
            let queue = queue.to_owned();
            if let Some(q) = self.queue_mut(&queue) {
                q.apply(name, event, at);
            }
            if name == "QueueMemberPause"
                && let Some(ext) = event
                    .get("StateInterface")
                    .and_then(|s| s.strip_prefix("PJSIP/"))
            {
                let paused = self
                    .queues
                    .iter()
                    .filter_map(|q| q.members.iter().find(|m| m.extension == ext))
                    .any(|m| m.paused);
                if paused {
                    self.paused.insert(ext.to_owned());
                } else {
                    self.paused.remove(ext);
                }
            }
        }
    }

    fn apply_channel(&mut self, name: &str, event: &SimEvent, at: EpochMicros) {
        // Only events with a whole snapshot (not `Cdr`, `OriginateResponse` …) update it.
        let has_snapshot = event.get("Channel").is_some() && event.get("ChannelState").is_some();
        if let Some(uniqueid) = event.get("Uniqueid").filter(|_| has_snapshot) {
            match name {
                "Newchannel" => {
                    self.next_seq += 1;
                    let channel = LiveChannel {
                        seq: self.next_seq,
                        snapshot: snapshot(event, ""),
                        application: String::new(),
                        app_data: String::new(),
                        created: at,
                        bridge: String::new(),
                    };
                    self.channels.insert(uniqueid.to_owned(), channel);
                }
                "Hangup" => {
                    self.channels.remove(uniqueid);
                }
                _ => {
                    if let Some(c) = self.channels.get_mut(uniqueid) {
                        c.snapshot = snapshot(event, "");
                        match name {
                            "Newexten" => {
                                c.application = event.get("Application").unwrap_or("").to_owned();
                                c.app_data = event.get("AppData").unwrap_or("").to_owned();
                            }
                            "BridgeEnter" => {
                                c.bridge = event.get("BridgeUniqueid").unwrap_or("").to_owned();
                            }
                            "BridgeLeave" => c.bridge.clear(),
                            _ => {}
                        }
                    }
                }
            }
        }
        let dialled_by_queue = name == "DialBegin"
            && event
                .get("Uniqueid")
                .and_then(|u| self.channels.get(u))
                .is_some_and(|c| c.application == "Queue");
        if let Some(dest) = event.get("DestUniqueid")
            && event.get("DestChannelState").is_some()
            && let Some(c) = self.channels.get_mut(dest)
        {
            c.snapshot = snapshot(event, "Dest");
            // app_queue names the channels it rings `AppQueue` (its dials too), app_dial
            // `AppDial` (capture 10: a queue member's channel, bridged, shows AppQueue).
            // app_queue names the channels it rings `AppQueue` (its dials too), app_dial
            // `AppDial` (capture 10: a queue member's channel, bridged, shows AppQueue).
            let app = match name {
                "AgentCalled" => "AppQueue",
                "DialBegin" if dialled_by_queue => "AppQueue",
                "DialBegin" => "AppDial",
                _ => "",
            };
            if !app.is_empty() {
                c.application = app.to_owned();
                c.app_data = "(Outgoing Line)".to_owned();
            }
        }
    }
}

impl QueueState {
    fn new(name: &str, strategy: &'static str, members: Vec<Member>) -> Self {
        let by_location = members
            .iter()
            .enumerate()
            .map(|(i, m)| (m.location.clone(), i))
            .collect();
        QueueState {
            name: name.to_owned(),
            strategy,
            members,
            by_location,
            entries: Vec::new(),
            completed: 0,
            abandoned: 0,
            answered_in_sl: 0,
            holdtime: 0,
            talktime: 0,
        }
    }

    /// The member at `location`.
    pub(crate) fn member(&self, location: &str) -> Option<&Member> {
        self.members.get(*self.by_location.get(location)?)
    }

    fn member_mut(&mut self, event: &SimEvent) -> Option<&mut Member> {
        let i = *self.by_location.get(event.get("Interface")?)?;
        self.members.get_mut(i)
    }

    fn apply(&mut self, name: &str, event: &SimEvent, at: EpochMicros) {
        let seconds = |key: &str| {
            event
                .get(key)
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0)
        };
        match name {
            "QueueCallerJoin" => {
                if let Some(uniqueid) = event.get("Uniqueid") {
                    self.entries.push(Entry {
                        uniqueid: uniqueid.to_owned(),
                        snapshot: snapshot(event, ""),
                        joined: at,
                    });
                }
            }
            "QueueCallerLeave" => {
                if let Some(uniqueid) = event.get("Uniqueid") {
                    self.entries.retain(|e| e.uniqueid != uniqueid);
                }
            }
            "QueueCallerAbandon" => self.abandoned += 1,
            "AgentConnect" => {
                let hold = seconds("HoldTime");
                self.holdtime = (self.holdtime * 3 + hold) / 4;
                if hold <= SERVICE_LEVEL {
                    self.answered_in_sl += 1;
                }
                // app_queue marks the member in a call of this queue without an event
                // (capture 10: `InCall: 1` in QueueStatus, never in QueueMemberStatus).
                if let Some(m) = self.member_mut(event) {
                    m.in_call = true;
                }
            }
            "AgentComplete" => {
                self.completed += 1;
                self.talktime = (self.talktime * 3 + seconds("TalkTime")) / 4;
                if let Some(m) = self.member_mut(event) {
                    m.calls_taken += 1;
                    m.last_call = at.div_euclid(1_000_000);
                    m.in_call = false;
                }
            }
            "QueueMemberStatus" => {
                let status = event.get("Status").and_then(|s| s.parse().ok());
                let in_call = event.get("InCall") == Some("1");
                if let Some(m) = self.member_mut(event) {
                    if let Some(status) = status {
                        m.status = status;
                    }
                    m.in_call = in_call;
                }
            }
            "QueueMemberPause" => {
                let paused = event.get("Paused") == Some("1");
                let reason = event.get("PausedReason").unwrap_or("").to_owned();
                if let Some(m) = self.member_mut(event) {
                    m.paused = paused;
                    m.paused_reason = reason;
                    if paused {
                        m.last_pause = at.div_euclid(1_000_000);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The snapshot headers of `event` with `prefix` (`""`, `Dest` …), unprefixed.
fn snapshot(event: &SimEvent, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(SNAPSHOT_KEYS.len() + 2);
    for (k, v) in &event.headers {
        let Some(key) = k.strip_prefix(prefix) else {
            continue;
        };
        if key == "ChanVariable" {
            out.push((key.to_owned(), v.clone()));
        } else if let Some(known) = SNAPSHOT_KEYS.iter().find(|s| **s == key)
            && !out.iter().any(|(o, _)| o == known)
        {
            out.push(((*known).to_owned(), v.clone()));
        }
    }
    out
}
