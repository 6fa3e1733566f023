//! The live queues for the wallboard: callers waiting and queue members' states, built
//! from `QueueStatus` at (re)connect and kept current from queue events. Pure, like the
//! tracker: fed AMI messages, no clock of its own.
//!
//! AMI: `QueueStatus` answers with `QueueParams`, `QueueMember` and `QueueEntry` items
//! (each carrying the action's ActionID) and ends with `QueueStatusComplete`. The items of
//! one answer replace the whole board when the `Complete` arrives, so callers and members
//! that vanished while Tamas was away do not linger.
//!
//! A member whose phone is not registered or not reachable shows as unavailable: PJSIP's
//! `ContactStatus` (through [`crate::sip`]) and `DeviceStateChange` say so per endpoint,
//! and a member's endpoint is its extension (`PJSIP/1001`, `Local/1001@queue-agents/n`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ami::Message;
use crate::sip::{self, Reachability};

/// The most callers a queue shows waiting: past it, the one waiting longest is forgotten
/// (a PBX that never sends their `QueueCallerLeave` cannot grow the board without end; no
/// trunk carries this many callers into one queue).
pub const MAX_WAITING_PER_QUEUE: usize = 2_000;

/// What a queue member is doing, from its device state and pause flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberState {
    /// Idle and not paused: can take a call.
    Available,
    /// The phone rings.
    Ringing,
    /// On a call (in use, busy or on hold).
    OnCall,
    /// Paused by the agent or a supervisor.
    Paused,
    /// The phone is not registered or unreachable.
    Unavailable,
    /// The PBX does not know.
    Unknown,
}

/// One member of a queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemberView {
    /// The member's interface (`PJSIP/1001`, `Local/1001@queue-agents/n`).
    pub interface: String,
    /// The member's name.
    pub name: String,
    /// What it is doing.
    pub state: MemberState,
    /// The pause reason, when paused.
    pub paused_reason: Option<String>,
    /// Calls taken since the PBX started.
    pub calls_taken: u64,
    /// PBX time of the last change seen, ms since the epoch (`None`: known from a resync).
    pub since_ms: Option<i64>,
    /// Where the phone registered from (`10.0.0.7:5060`), when PJSIP said.
    pub registered_from: Option<String>,
}

/// One caller waiting in a queue (caller ID from the outside world: show it as text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WaitingCaller {
    /// The caller's channel Uniqueid.
    pub uniqueid: String,
    /// Position in the queue (1 = next).
    pub position: u32,
    /// Caller ID number.
    pub number: Option<String>,
    /// Caller ID name.
    pub name: Option<String>,
    /// PBX time the caller joined, ms since the epoch.
    pub joined_at_ms: i64,
}

/// One queue.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QueueView {
    /// The queue's name.
    pub name: String,
    /// Callers waiting, by position.
    pub waiting: Vec<WaitingCaller>,
    /// Members, by interface.
    pub members: Vec<MemberView>,
}

#[derive(Clone, Debug, Default)]
struct Queue {
    callers: BTreeMap<String, WaitingCaller>,
    members: BTreeMap<String, MemberView>,
    /// Members whose phone rings for a caller (interface → caller Uniqueid). PJSIP reports
    /// a ringing phone as busy, so ringing is known from `AgentCalled`, not device state.
    ringing: BTreeMap<String, String>,
}

impl Queue {
    /// A caller joins; past [`MAX_WAITING_PER_QUEUE`] the one waiting longest goes.
    fn join(&mut self, caller: WaitingCaller) {
        self.callers.insert(caller.uniqueid.clone(), caller);
        if self.callers.len() > MAX_WAITING_PER_QUEUE
            && let Some(oldest) = self
                .callers
                .values()
                .min_by_key(|c| c.joined_at_ms)
                .map(|c| c.uniqueid.clone())
        {
            self.callers.remove(&oldest);
            self.ringing.retain(|_, caller| *caller != oldest);
        }
    }
}

/// What PJSIP last said about one phone.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Device {
    reachable: bool,
    since_ms: i64,
    registered_from: Option<String>,
}

/// The live queues.
#[derive(Clone, Debug, Default)]
pub struct QueueBoard {
    queues: BTreeMap<String, Queue>,
    /// The answer to a `QueueStatus` being collected.
    incoming: Option<BTreeMap<String, Queue>>,
    /// Phones' reachability by endpoint (the extension), from PJSIP's events.
    devices: BTreeMap<String, Device>,
    /// Whether the board is current: a `QueueStatus` answer arrived since the last
    /// connection loss.
    synced: bool,
    clock_ms: i64,
}

impl QueueBoard {
    /// An empty board.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one AMI message; returns whether the board changed.
    pub fn handle(&mut self, msg: &Message) -> bool {
        let Some(event) = msg.event() else {
            return false;
        };
        if let Some(ts) = msg.get("Timestamp").and_then(parse_timestamp_ms) {
            self.clock_ms = ts;
        }
        let now = self.clock_ms;
        match event {
            "QueueParams" => {
                let queues = self.incoming.get_or_insert_with(BTreeMap::new);
                if let Some(name) = msg.get("Queue") {
                    queues.entry(name.to_owned()).or_default();
                }
                false
            }
            "QueueMember" => {
                let queues = self.incoming.get_or_insert_with(BTreeMap::new);
                if let (Some(queue), Some(member)) = (msg.get("Queue"), member_from(msg, None)) {
                    queues
                        .entry(queue.to_owned())
                        .or_default()
                        .members
                        .insert(member.interface.clone(), member);
                }
                false
            }
            "QueueEntry" => {
                let queues = self.incoming.get_or_insert_with(BTreeMap::new);
                if let (Some(queue), Some(uniqueid)) = (msg.get("Queue"), msg.get("Uniqueid")) {
                    let waited_ms = number(msg, "Wait").map_or(0, |s| s as i64 * 1000);
                    let caller = WaitingCaller {
                        uniqueid: uniqueid.to_owned(),
                        position: number(msg, "Position").map_or(0, |p| p as u32),
                        number: text(msg, "CallerIDNum"),
                        name: text(msg, "CallerIDName"),
                        joined_at_ms: now - waited_ms,
                    };
                    queues
                        .entry(queue.to_owned())
                        .or_default()
                        .callers
                        .insert(caller.uniqueid.clone(), caller);
                }
                false
            }
            "QueueStatusComplete" => match self.incoming.take() {
                Some(queues) => {
                    self.queues = queues;
                    self.synced = true;
                    // The members' fresh statuses say who is unavailable now.
                    self.devices.clear();
                    true
                }
                None => {
                    // An empty answer: no queue at all.
                    let changed = !self.queues.is_empty() || !self.synced;
                    self.queues.clear();
                    self.synced = true;
                    changed
                }
            },
            "QueueCallerJoin" => {
                let (Some(queue), Some(uniqueid)) = (msg.get("Queue"), msg.get("Uniqueid")) else {
                    return false;
                };
                let caller = WaitingCaller {
                    uniqueid: uniqueid.to_owned(),
                    position: number(msg, "Position").map_or(0, |p| p as u32),
                    number: text(msg, "CallerIDNum"),
                    // Escaped here (a channel snapshot), unlike in `QueueEntry`.
                    name: text(msg, "CallerIDName")
                        .map(|name| crate::ami::unescape_c(&name).into_owned()),
                    joined_at_ms: now,
                };
                self.queue(queue).join(caller);
                true
            }
            "QueueCallerLeave" | "QueueCallerAbandon" => {
                let (Some(queue), Some(uniqueid)) = (msg.get("Queue"), msg.get("Uniqueid")) else {
                    return false;
                };
                let queue = self.queue(queue);
                queue.ringing.retain(|_, caller| caller != uniqueid);
                let removed = queue.callers.remove(uniqueid);
                if let Some(removed) = &removed {
                    for caller in queue.callers.values_mut() {
                        if caller.position > removed.position {
                            caller.position -= 1;
                        }
                    }
                }
                removed.is_some()
            }
            "QueueMemberStatus" | "QueueMemberAdded" | "QueueMemberPause" => {
                let (Some(queue), Some(member)) = (msg.get("Queue"), member_from(msg, Some(now)))
                else {
                    return false;
                };
                let members = &mut self.queue(queue).members;
                let changed = members.get(&member.interface).is_none_or(|old| {
                    old.state != member.state || old.paused_reason != member.paused_reason
                });
                members.insert(member.interface.clone(), member);
                changed
            }
            "AgentCalled" => {
                let (Some(queue), Some(interface), Some(caller)) =
                    (msg.get("Queue"), msg.get("Interface"), msg.get("Uniqueid"))
                else {
                    return false;
                };
                self.queue(queue)
                    .ringing
                    .insert(interface.to_owned(), caller.to_owned());
                true
            }
            "AgentConnect" | "AgentRingNoAnswer" => {
                let (Some(queue), Some(interface)) = (msg.get("Queue"), msg.get("Interface"))
                else {
                    return false;
                };
                let connected = event == "AgentConnect";
                let queue = self.queue(queue);
                queue.ringing.remove(interface);
                if connected && let Some(member) = queue.members.get_mut(interface) {
                    member.state = MemberState::OnCall;
                    member.since_ms = Some(now);
                }
                true
            }
            "QueueMemberRemoved" => {
                let (Some(queue), Some(interface)) = (msg.get("Queue"), msg.get("Interface"))
                else {
                    return false;
                };
                self.queue(queue).members.remove(interface).is_some()
            }
            "ContactStatus" => {
                let Some(status) = sip::contact_status(msg) else {
                    return false;
                };
                let reachable = status.reachability == Reachability::Reachable;
                let registered_from = status.contact.map(|c| c.to_string());
                self.set_device(&status.endpoint, reachable, registered_from, now)
            }
            "DeviceStateChange" => {
                let (Some(device), Some(state)) = (msg.get("Device"), msg.get("State")) else {
                    return false;
                };
                let Some(endpoint) = endpoint_of(device) else {
                    return false;
                };
                let reachable = !matches!(state.trim(), "UNAVAILABLE" | "INVALID");
                let registered_from = self
                    .devices
                    .get(endpoint)
                    .and_then(|d| d.registered_from.clone());
                let endpoint = endpoint.to_owned();
                self.set_device(&endpoint, reachable, registered_from, now)
            }
            _ => false,
        }
    }

    /// Records a phone's reachability; returns whether a member's view changed.
    fn set_device(
        &mut self,
        endpoint: &str,
        reachable: bool,
        registered_from: Option<String>,
        now: i64,
    ) -> bool {
        let old = self.devices.get(endpoint);
        if old.is_some_and(|d| d.reachable == reachable && d.registered_from == registered_from)
            || (old.is_none() && reachable && registered_from.is_none())
        {
            return false;
        }
        let since_ms = match old {
            Some(d) if d.reachable == reachable => d.since_ms,
            _ => now,
        };
        self.devices.insert(
            endpoint.to_owned(),
            Device {
                reachable,
                since_ms,
                registered_from,
            },
        );
        self.queues.values().any(|q| {
            q.members
                .keys()
                .any(|interface| endpoint_of(interface) == Some(endpoint))
        })
    }

    /// The PBX connection was lost: the board is kept but no longer current until the
    /// next `QueueStatus` answer; returns whether that changed.
    pub fn connection_lost(&mut self) -> bool {
        self.incoming = None;
        std::mem::replace(&mut self.synced, false)
    }

    /// Whether the board reflects the PBX now (it answered `QueueStatus` since the last
    /// connection loss).
    pub fn is_synced(&self) -> bool {
        self.synced
    }

    fn queue(&mut self, name: &str) -> &mut Queue {
        self.queues.entry(name.to_owned()).or_default()
    }

    /// Every queue with its waiting callers (by position) and members.
    pub fn snapshot(&self) -> Vec<QueueView> {
        // A phone that rings for one queue rings in all of them: PJSIP reports it busy,
        // which every other queue would show as on a call.
        let ringing: std::collections::BTreeSet<&str> = self
            .queues
            .values()
            .flat_map(|q| q.ringing.keys())
            .filter_map(|interface| endpoint_of(interface))
            .collect();
        self.queues
            .iter()
            .map(|(name, queue)| {
                let mut waiting: Vec<WaitingCaller> = queue.callers.values().cloned().collect();
                waiting.sort_by_key(|c| (c.position, c.joined_at_ms));
                let members = queue
                    .members
                    .values()
                    .map(|member| {
                        let mut member = member.clone();
                        let can_ring =
                            !matches!(member.state, MemberState::Paused | MemberState::Unavailable);
                        let rings = endpoint_of(&member.interface)
                            .is_some_and(|endpoint| ringing.contains(endpoint));
                        if can_ring && rings {
                            member.state = MemberState::Ringing;
                        }
                        let device = endpoint_of(&member.interface)
                            .and_then(|endpoint| self.devices.get(endpoint));
                        if let Some(device) = device {
                            member.registered_from.clone_from(&device.registered_from);
                            if !device.reachable {
                                member.state = MemberState::Unavailable;
                                member.since_ms = Some(device.since_ms);
                            }
                        }
                        member
                    })
                    .collect();
                QueueView {
                    name: name.clone(),
                    waiting,
                    members,
                }
            })
            .collect()
    }
}

fn text(msg: &Message, key: &str) -> Option<String> {
    msg.get_lossy(key)
        .map(|v| v.into_owned())
        .filter(|v| !v.is_empty() && v != "<unknown>")
}

fn number(msg: &Message, key: &str) -> Option<u64> {
    msg.get(key).and_then(|v| v.trim().parse().ok())
}

/// `1795342979.722247` (seconds with µs) → ms.
fn parse_timestamp_ms(value: &str) -> Option<i64> {
    let (secs, frac) = value.split_once('.').unwrap_or((value, "0"));
    let secs: i64 = secs.parse().ok()?;
    let frac = format!("{frac:0<3}");
    let ms: i64 = frac.get(..3)?.parse().ok()?;
    Some(secs * 1000 + ms)
}

/// A member from `QueueMember` / `QueueMemberStatus` / `QueueMemberPause` headers.
fn member_from(msg: &Message, since_ms: Option<i64>) -> Option<MemberView> {
    let interface = msg
        .get("Interface")
        .or_else(|| msg.get("Location"))?
        .to_owned();
    let paused = msg.get("Paused") == Some("1");
    // Asterisk device states (AST_DEVICE_*): 1 not in use, 2 in use, 3 busy, 4 invalid,
    // 5 unavailable, 6 ringing, 7 ring in use, 8 on hold, 0 unknown.
    let state = match number(msg, "Status") {
        Some(4 | 5) => MemberState::Unavailable,
        _ if paused => MemberState::Paused,
        Some(1) => MemberState::Available,
        Some(2 | 3 | 8) => MemberState::OnCall,
        Some(6 | 7) => MemberState::Ringing,
        _ => MemberState::Unknown,
    };
    Some(MemberView {
        name: text(msg, "MemberName")
            .or_else(|| text(msg, "Name"))
            .unwrap_or_else(|| interface.clone()),
        interface,
        state,
        paused_reason: if paused {
            text(msg, "PausedReason")
        } else {
            None
        },
        calls_taken: number(msg, "CallsTaken").unwrap_or(0),
        since_ms,
        registered_from: None,
    })
}

/// The endpoint behind a device or member interface: `PJSIP/1001` and
/// `Local/1001@queue-agents/n` are `1001`; `PJSIP/trunk` is `trunk`.
fn endpoint_of(interface: &str) -> Option<&str> {
    let (tech, rest) = interface.split_once('/')?;
    let endpoint = if tech.eq_ignore_ascii_case("local") {
        rest.split_once('@').map_or(rest, |(exten, _)| exten)
    } else {
        rest
    };
    (!endpoint.is_empty()).then_some(endpoint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ami::{Frame, Frames};

    fn capture(name: &str) -> Vec<Message> {
        let path = format!(
            "{}/../../shared/fixtures/asterisk/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(path).expect("capture");
        Frames::new(bytes)
            .filter_map(|f| match f {
                Ok(Frame::Message(m)) => Some(m),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_waiting_caller_appears_rings_and_leaves() {
        let mut board = QueueBoard::new();
        let mut seen_waiting = false;
        let mut seen_ringing = false;
        let mut seen_on_call = false;
        for msg in capture("01-inbound-answered.ami") {
            board.handle(&msg);
            for queue in board.snapshot() {
                seen_waiting |= queue.waiting.iter().any(|c| {
                    c.number.as_deref() == Some("09121234567")
                        && c.name.as_deref() == Some("Ali Rezaei")
                });
                for member in &queue.members {
                    seen_ringing |=
                        member.interface == "PJSIP/1001" && member.state == MemberState::Ringing;
                    seen_on_call |=
                        member.interface == "PJSIP/1001" && member.state == MemberState::OnCall;
                }
            }
        }
        assert!(seen_waiting && seen_ringing && seen_on_call);
        let support = board
            .snapshot()
            .into_iter()
            .find(|q| q.name == "support")
            .expect("support");
        assert!(support.waiting.is_empty(), "the caller left the queue");
    }

    #[test]
    fn a_joining_caller_s_escaped_name_is_unescaped_and_a_listed_one_kept() {
        let mut board = QueueBoard::new();
        // QueueCallerJoin carries the channel's name escaped (`ast_escape_c`) ...
        let join = Message::parse(
            &b"Event: QueueCallerJoin\r\nQueue: support\r\nUniqueid: 1.1\r\nPosition: 1\r\n\
               CallerIDNum: 09121234567\r\nCallerIDName: Tose\\'e \\\"A\\\\B\\\"\r\n\r\n"[..],
        )
        .unwrap();
        board.handle(&join);
        let waiting = |board: &QueueBoard| -> Vec<Option<String>> {
            board
                .snapshot()
                .into_iter()
                .flat_map(|q| q.waiting)
                .map(|c| c.name)
                .collect()
        };
        assert_eq!(waiting(&board), [Some("Tose'e \"A\\B\"".to_owned())]);
        // ... QueueStatus's QueueEntry as it is: `\t` here is no tab.
        let entry = Message::parse(
            &b"Event: QueueEntry\r\nQueue: sales\r\nUniqueid: 2.2\r\nPosition: 1\r\n\
               CallerIDNum: 09121234568\r\nCallerIDName: C:\\temp\r\nWait: 3\r\n\r\n"[..],
        )
        .unwrap();
        board.handle(&entry);
        board.handle(
            &Message::parse(&b"Event: QueueStatusComplete\r\nListItems: 1\r\n\r\n"[..]).unwrap(),
        );
        assert_eq!(waiting(&board), [Some("C:\\temp".to_owned())]);
    }

    #[test]
    fn queue_status_replaces_the_board() {
        let mut board = QueueBoard::new();
        for msg in capture("10-state-queries.ami") {
            board.handle(&msg);
        }
        // The reconnect's QueueStatus lists members and no callers: stale callers go.
        for msg in capture("11-reconnect-resync.ami") {
            board.handle(&msg);
        }
        let queues = board.snapshot();
        assert_eq!(
            queues.iter().map(|q| q.name.as_str()).collect::<Vec<_>>(),
            vec!["sales", "support"]
        );
        assert!(queues.iter().all(|q| q.waiting.is_empty()));
        assert!(board.is_synced());
        assert!(board.connection_lost(), "no longer current");
        assert!(!board.is_synced() && !board.connection_lost());
        for msg in capture("11-reconnect-resync.ami") {
            board.handle(&msg);
        }
        assert!(board.is_synced(), "current again after the resync");
        let support = &queues[1];
        assert_eq!(support.members.len(), 3);
        assert!(
            support
                .members
                .iter()
                .all(|m| m.state == MemberState::Available)
        );
        let sales = &queues[0];
        assert!(
            sales
                .members
                .iter()
                .any(|m| m.interface == "Local/1002@queue-agents/n")
        );
    }

    #[test]
    fn queue_entry_from_a_resync_knows_how_long_the_caller_waited() {
        let mut board = QueueBoard::new();
        let mut entry_seen = false;
        let mut shown = None;
        for msg in capture("10-state-queries.ami") {
            entry_seen |= msg.is_event("QueueEntry");
            let complete = msg.is_event("QueueStatusComplete");
            board.handle(&msg);
            if entry_seen && complete && shown.is_none() {
                shown = board
                    .snapshot()
                    .into_iter()
                    .find(|q| q.name == "support")
                    .and_then(|q| q.waiting.into_iter().next());
            }
        }
        let caller = shown.expect("the QueueStatus answer listed a waiting caller");
        assert_eq!(caller.uniqueid, "1795343298.108");
        assert_eq!(caller.name.as_deref(), Some("Sima Nouri"));
        assert_eq!(caller.position, 1);
        assert!(caller.joined_at_ms > 1_795_343_290_000);
        assert_eq!(
            parse_timestamp_ms("1795342979.722247"),
            Some(1_795_342_979_722)
        );
        assert_eq!(parse_timestamp_ms("1795342979"), Some(1_795_342_979_000));
    }

    #[test]
    fn a_queue_forgets_its_longest_waiting_caller_past_the_bound() {
        let mut board = QueueBoard::new();
        for n in 0..=MAX_WAITING_PER_QUEUE {
            board.handle(&message(&format!(
                "Event: QueueCallerJoin\nTimestamp: {}.000000\nQueue: support\n\
                 Uniqueid: 1.{n}\nPosition: {}\nCallerIDNum: 0912{n:07}",
                1_795_300_000 + n,
                n + 1
            )));
        }
        let waiting = &board.snapshot()[0].waiting;
        assert_eq!(waiting.len(), MAX_WAITING_PER_QUEUE);
        assert!(
            waiting.iter().all(|c| c.uniqueid != "1.0"),
            "the oldest went"
        );
        assert!(waiting.iter().any(|c| c.uniqueid == "1.1"));
    }

    fn message(text: &str) -> Message {
        let bytes = format!("{}\r\n\r\n", text.replace('\n', "\r\n"));
        match Frames::new(bytes.into_bytes()).next() {
            Some(Ok(Frame::Message(m))) => m,
            other => panic!("not a message: {other:?}"),
        }
    }

    fn member_state(board: &QueueBoard, queue: &str, interface: &str) -> MemberView {
        board
            .snapshot()
            .into_iter()
            .find(|q| q.name == queue)
            .and_then(|q| q.members.into_iter().find(|m| m.interface == interface))
            .expect("member on the board")
    }

    #[test]
    fn an_unreachable_or_unregistered_phone_makes_its_member_unavailable() {
        let mut board = QueueBoard::new();
        for msg in capture("11-reconnect-resync.ami") {
            board.handle(&msg);
        }
        assert_eq!(
            member_state(&board, "support", "PJSIP/1001").state,
            MemberState::Available
        );
        let changed = board.handle(&message(
            "Event: ContactStatus\nTimestamp: 1795343500.000100\nURI: sip:1001@10.0.0.5:5060;ob\nContactStatus: Unreachable\nAOR: 1001\nEndpointName: 1001",
        ));
        assert!(changed);
        let member = member_state(&board, "support", "PJSIP/1001");
        assert_eq!(member.state, MemberState::Unavailable);
        assert_eq!(member.since_ms, Some(1_795_343_500_000));
        assert_eq!(member.registered_from.as_deref(), Some("10.0.0.5:5060"));

        board.handle(&message(
            "Event: ContactStatus\nURI: sip:1001@10.0.0.5:5060\nContactStatus: Reachable\nAOR: 1001\nEndpointName: 1001",
        ));
        assert_eq!(
            member_state(&board, "support", "PJSIP/1001").state,
            MemberState::Available
        );

        // A Local-channel member follows its extension's phone.
        board.handle(&message(
            "Event: DeviceStateChange\nDevice: PJSIP/1002\nState: UNAVAILABLE",
        ));
        assert_eq!(
            member_state(&board, "sales", "Local/1002@queue-agents/n").state,
            MemberState::Unavailable
        );
        assert!(!board.handle(&message(
            "Event: DeviceStateChange\nDevice: PJSIP/trunk\nState: INUSE"
        )));
        board.handle(&message(
            "Event: DeviceStateChange\nDevice: PJSIP/1002\nState: NOT_INUSE",
        ));
        assert_eq!(
            member_state(&board, "sales", "Local/1002@queue-agents/n").state,
            MemberState::Available
        );
    }
}
