//! The wallboard's `queue.snapshot` message, built from the live queue board, today's
//! figures per queue and who is in wrap-up. Pure: the task in [`super::feed`] gathers the
//! inputs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crm_core::metrics::{MetricsSettings, Summary};
use cti::live::queues::{MemberState, QueueView};
use serde::Serialize;

use cti::live::queues::member_extension;

/// What an agent is doing, as the wallboard shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WallState {
    /// The PBX does not know.
    Unknown,
    /// Free for calls.
    Available,
    /// Paused.
    Paused,
    /// Filling in the wrap-up of the last call.
    WrapUp,
    /// The phone rings.
    Ringing,
    /// On a call.
    OnCall,
    /// The phone is not registered or not reachable.
    Unavailable,
}

impl WallState {
    fn of(state: MemberState) -> WallState {
        match state {
            MemberState::Available => WallState::Available,
            MemberState::Ringing => WallState::Ringing,
            MemberState::OnCall => WallState::OnCall,
            MemberState::Paused => WallState::Paused,
            MemberState::Unavailable => WallState::Unavailable,
            MemberState::Unknown => WallState::Unknown,
        }
    }
}

/// One caller waiting (caller ID and contact name are outside text: show as text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WaitingCaller {
    /// The caller's channel Uniqueid (inbound: the call's id).
    pub uniqueid: String,
    /// Position in the queue (1 = next).
    pub position: u32,
    /// The number as presented (`None` when withheld).
    pub number: Option<String>,
    /// The number is withheld (`anonymous`, empty, no digit): shown as such.
    pub withheld: bool,
    /// The caller-ID name.
    pub caller_name: Option<String>,
    /// The CRM contact the number belongs to, when exactly one has it.
    pub contact_name: Option<String>,
    /// How many contacts have the number, when several do (none is named: nobody has
    /// picked whose call it is).
    pub shared_by: Option<usize>,
    /// PBX time the caller joined, ms since the epoch.
    pub joined_at_ms: i64,
}

/// Whom a number belongs to in the CRM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumberOwner {
    /// One contact, by name.
    One(String),
    /// This many contacts.
    Shared(usize),
}

/// A waiting caller as the wallboard shows them: a withheld number is no number and has no
/// contact; a shared one names no contact.
fn waiting_caller(
    caller: &cti::live::queues::WaitingCaller,
    owners: &HashMap<String, NumberOwner>,
) -> WaitingCaller {
    let withheld = caller.number.as_deref().is_none_or(crm_core::is_withheld);
    let owner = caller
        .number
        .as_ref()
        .filter(|_| !withheld)
        .and_then(|n| owners.get(n));
    WaitingCaller {
        uniqueid: caller.uniqueid.clone(),
        position: caller.position,
        number: caller.number.clone().filter(|_| !withheld),
        withheld,
        caller_name: caller.name.clone(),
        contact_name: match owner {
            Some(NumberOwner::One(name)) => Some(name.clone()),
            _ => None,
        },
        shared_by: match owner {
            Some(NumberOwner::Shared(count)) => Some(*count),
            _ => None,
        },
        joined_at_ms: caller.joined_at_ms,
    }
}

/// How many of a queue's members are in each state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StateCounts {
    /// Free for calls.
    pub available: u32,
    /// Ringing or on a call.
    pub busy: u32,
    /// In wrap-up.
    pub wrap_up: u32,
    /// Paused.
    pub paused: u32,
    /// Phone unreachable or state unknown.
    pub unavailable: u32,
}

/// One queue on the wallboard.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueCard {
    /// The queue's name.
    pub name: String,
    /// Callers waiting, by position.
    pub waiting: Vec<WaitingCaller>,
    /// When the caller waiting longest joined (the longest wait ticks from it).
    pub longest_waiting_since_ms: Option<i64>,
    /// Members by state.
    pub agents: StateCounts,
    /// Today's figures (since local midnight).
    pub today: Summary,
    /// Whether today's service level is under the target.
    pub under_target: bool,
}

/// One agent on the wallboard (in every queue they are a member of).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AgentTile {
    /// The extension (or the member interface when it names none).
    pub extension: String,
    /// The agent's name.
    pub name: String,
    /// What they are doing.
    pub state: WallState,
    /// Since when, ms since the epoch (`None`: since before Tamas connected).
    pub since_ms: Option<i64>,
    /// The pause reason, when paused.
    pub reason: Option<String>,
    /// Since when a wrap-up is pending (ms since the epoch), while they are available or
    /// paused. A paused agent stays [`WallState::Paused`], with the reason, and shows the
    /// wrap-up beside the pause; an available one shows [`WallState::WrapUp`].
    pub wrap_up_since_ms: Option<i64>,
    /// The queues they are a member of.
    pub queues: Vec<String>,
    /// Where their phone registered from, when known.
    pub registered_from: Option<String>,
    /// Whether a supervisor can pause or unpause them (they have an extension).
    pub pausable: bool,
}

/// The `queue.snapshot` message: the whole wallboard.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename = "queue.snapshot")]
pub struct Snapshot {
    /// Server time when built, ms since the epoch (clients tick waits from it).
    pub now_ms: i64,
    /// False while the PBX connection is down (until its queues were read again): the
    /// board shows the last state known.
    pub pbx_synced: bool,
    /// Service level: answered within this many seconds.
    pub service_level_threshold_s: i64,
    /// The service level aimed for, percent.
    pub service_level_target_percent: u8,
    /// The period of the queues' figures: 0 = today, N = the last N hours.
    pub rolling_hours: u32,
    /// The queues, by name.
    pub queues: Vec<QueueCard>,
    /// The agents, by extension.
    pub agents: Vec<AgentTile>,
}

/// Everything a snapshot is built from.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    /// The live queue board.
    pub queues: &'a [QueueView],
    /// Today's figures per queue.
    pub today: &'a BTreeMap<String, Summary>,
    /// Whom each waiting caller's number (as presented) belongs to.
    pub contact_names: &'a HashMap<String, NumberOwner>,
    /// Users' names by extension.
    pub agent_names: &'a HashMap<String, String>,
    /// Agents in wrap-up: extension → since when.
    pub wrapups: &'a HashMap<String, i64>,
    /// Server time.
    pub now_ms: i64,
    /// Whether the board is current.
    pub pbx_synced: bool,
    /// The figures' period: 0 = today, N = the last N hours.
    pub rolling_hours: u32,
    /// Thresholds and target.
    pub metrics: &'a MetricsSettings,
}

/// Builds the wallboard.
pub fn build(inputs: Inputs<'_>) -> Snapshot {
    let agents = agent_tiles(&inputs);
    let state_of: HashMap<&str, WallState> = agents
        .iter()
        .map(|a| (a.extension.as_str(), a.state))
        .collect();
    let names: BTreeSet<&str> = inputs
        .queues
        .iter()
        .map(|q| q.name.as_str())
        .chain(inputs.today.keys().map(String::as_str))
        .collect();
    let target = inputs.metrics.service_level_target;
    let queues = names
        .into_iter()
        .map(|name| {
            let view = inputs.queues.iter().find(|q| q.name == name);
            let waiting: Vec<WaitingCaller> = view
                .map(|q| {
                    q.waiting
                        .iter()
                        .map(|c| waiting_caller(c, inputs.contact_names))
                        .collect()
                })
                .unwrap_or_default();
            let mut counts = StateCounts::default();
            for member in view.map(|q| q.members.as_slice()).unwrap_or_default() {
                let state = state_of
                    .get(agent_key(&member.interface))
                    .copied()
                    .unwrap_or(WallState::Unknown);
                match state {
                    WallState::Available => counts.available += 1,
                    WallState::Ringing | WallState::OnCall => counts.busy += 1,
                    WallState::WrapUp => counts.wrap_up += 1,
                    WallState::Paused => counts.paused += 1,
                    WallState::Unavailable | WallState::Unknown => counts.unavailable += 1,
                }
            }
            let today = inputs.today.get(name).cloned().unwrap_or_else(|| Summary {
                service_level_threshold_s: inputs.metrics.service_level_threshold_ms / 1000,
                ..Summary::default()
            });
            QueueCard {
                name: name.to_owned(),
                longest_waiting_since_ms: waiting.iter().map(|c| c.joined_at_ms).min(),
                waiting,
                agents: counts,
                under_target: today.service_level.is_some_and(|sl| sl < target),
                today,
            }
        })
        .collect();
    Snapshot {
        now_ms: inputs.now_ms,
        pbx_synced: inputs.pbx_synced,
        service_level_threshold_s: inputs.metrics.service_level_threshold_ms / 1000,
        service_level_target_percent: percent(inputs.metrics.service_level_target),
        rolling_hours: inputs.rolling_hours,
        queues,
        agents,
    }
}

/// A ratio (0 to 1) as a whole percentage.
fn percent(ratio: f64) -> u8 {
    // Clamped to 0..=100 first, so the cast cannot truncate.
    (ratio.clamp(0.0, 1.0) * 100.0).round() as u8
}

/// An agent's key: the extension behind the member interface, else the interface.
fn agent_key(interface: &str) -> &str {
    member_extension(interface).unwrap_or(interface)
}

/// One tile per agent: the strongest state over their queues (unavailable, on a call,
/// ringing, paused, available), then wrap-up over available; a paused agent's wrap-up is
/// shown beside the pause.
fn agent_tiles(inputs: &Inputs<'_>) -> Vec<AgentTile> {
    let mut tiles: BTreeMap<String, AgentTile> = BTreeMap::new();
    for queue in inputs.queues {
        for member in &queue.members {
            let key = agent_key(&member.interface);
            let state = WallState::of(member.state);
            let tile = tiles.entry(key.to_owned()).or_insert_with(|| AgentTile {
                extension: key.to_owned(),
                name: inputs
                    .agent_names
                    .get(key)
                    .cloned()
                    .unwrap_or_else(|| member.name.clone()),
                state,
                since_ms: member.since_ms,
                reason: None,
                wrap_up_since_ms: None,
                queues: Vec::new(),
                registered_from: None,
                pausable: member_extension(&member.interface).is_some(),
            });
            if state > tile.state {
                tile.state = state;
                tile.since_ms = member.since_ms;
            } else if state == tile.state {
                tile.since_ms = tile.since_ms.max(member.since_ms);
            }
            if tile.reason.is_none() {
                tile.reason.clone_from(&member.paused_reason);
            }
            if tile.registered_from.is_none() {
                tile.registered_from.clone_from(&member.registered_from);
            }
            if !tile.queues.contains(&queue.name) {
                tile.queues.push(queue.name.clone());
            }
        }
    }
    tiles
        .into_values()
        .map(|mut tile| {
            if tile.state != WallState::Paused {
                tile.reason = None;
            }
            if let Some(since) = inputs.wrapups.get(&tile.extension)
                && matches!(tile.state, WallState::Available | WallState::Paused)
            {
                tile.wrap_up_since_ms = Some(*since);
                // Paused in the PBX is what keeps calls away: it stays in front.
                if tile.state == WallState::Available {
                    tile.state = WallState::WrapUp;
                    tile.since_ms = Some(*since);
                }
            }
            tile
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cti::live::queues::{MemberView, WaitingCaller as BoardCaller};

    fn member(interface: &str, state: MemberState, since: i64) -> MemberView {
        MemberView {
            interface: interface.into(),
            name: format!("name of {interface}"),
            state,
            paused_reason: (state == MemberState::Paused).then(|| "lunch".to_owned()),
            calls_taken: 0,
            since_ms: Some(since),
            registered_from: None,
        }
    }

    #[test]
    fn agents_get_their_strongest_state_and_queues_their_counts() {
        let queues = vec![
            QueueView {
                name: "sales".into(),
                waiting: vec![],
                members: vec![
                    member("Local/1001@queue-agents/n", MemberState::Available, 5),
                    member("PJSIP/1002", MemberState::Paused, 6),
                ],
            },
            QueueView {
                name: "support".into(),
                waiting: vec![
                    BoardCaller {
                        uniqueid: "1.1".into(),
                        position: 1,
                        number: Some("09121234567".into()),
                        name: Some("<img src=x onerror=alert(1)>".into()),
                        joined_at_ms: 900,
                    },
                    BoardCaller {
                        uniqueid: "1.2".into(),
                        position: 2,
                        number: Some("09351112233".into()),
                        name: None,
                        joined_at_ms: 910,
                    },
                    BoardCaller {
                        uniqueid: "1.3".into(),
                        position: 3,
                        number: Some("anonymous".into()),
                        name: Some("Anonymous".into()),
                        joined_at_ms: 920,
                    },
                ],
                members: vec![
                    member("PJSIP/1001", MemberState::OnCall, 7),
                    member("PJSIP/1002", MemberState::Paused, 6),
                    member("PJSIP/1003", MemberState::Available, 8),
                ],
            },
        ];
        let mut today = BTreeMap::new();
        today.insert(
            "support".to_owned(),
            Summary {
                offered: 10,
                service_level: Some(0.5),
                ..Summary::default()
            },
        );
        let contact_names = HashMap::from([
            (
                "09121234567".to_owned(),
                NumberOwner::One("Ali Rezaei".to_owned()),
            ),
            ("09351112233".to_owned(), NumberOwner::Shared(2)),
        ]);
        let agent_names = HashMap::from([("1001".to_owned(), "Sara".to_owned())]);
        let wrapups = HashMap::from([("1003".to_owned(), 950), ("1002".to_owned(), 940)]);
        let metrics = MetricsSettings::default();
        let snapshot = build(Inputs {
            queues: &queues,
            today: &today,
            contact_names: &contact_names,
            agent_names: &agent_names,
            wrapups: &wrapups,
            now_ms: 1000,
            pbx_synced: true,
            rolling_hours: 0,
            metrics: &metrics,
        });
        let by_ext: HashMap<&str, &AgentTile> = snapshot
            .agents
            .iter()
            .map(|a| (a.extension.as_str(), a))
            .collect();
        assert_eq!(by_ext["1001"].state, WallState::OnCall);
        assert_eq!(by_ext["1001"].name, "Sara");
        assert_eq!(by_ext["1001"].queues, ["sales", "support"]);
        // Paused with a wrap-up pending: the pause and its reason, the wrap-up beside it.
        assert_eq!(by_ext["1002"].state, WallState::Paused);
        assert_eq!(by_ext["1002"].reason.as_deref(), Some("lunch"));
        assert_eq!(by_ext["1002"].since_ms, Some(6));
        assert_eq!(by_ext["1002"].wrap_up_since_ms, Some(940));
        assert_eq!(by_ext["1003"].state, WallState::WrapUp);
        assert_eq!(by_ext["1003"].since_ms, Some(950));
        assert_eq!(by_ext["1003"].wrap_up_since_ms, Some(950));
        assert_eq!(by_ext["1001"].wrap_up_since_ms, None);

        let support = &snapshot.queues[1];
        assert_eq!(support.name, "support");
        assert_eq!(support.longest_waiting_since_ms, Some(900));
        assert_eq!(
            support.waiting[0].contact_name.as_deref(),
            Some("Ali Rezaei")
        );
        let shared = &support.waiting[1];
        assert_eq!(
            shared.contact_name, None,
            "no contact named for a shared number"
        );
        assert_eq!(shared.shared_by, Some(2));
        assert_eq!(shared.number.as_deref(), Some("09351112233"));
        let withheld = &support.waiting[2];
        assert!(withheld.withheld);
        assert_eq!(
            (withheld.number.as_deref(), withheld.shared_by),
            (None, None)
        );
        assert!(!support.waiting[0].withheld);
        assert_eq!(support.agents.busy, 1);
        assert_eq!(support.agents.paused, 1);
        assert_eq!(support.agents.wrap_up, 1);
        assert!(support.under_target, "50 % is under the 80 % target");
        let sales = &snapshot.queues[0];
        assert_eq!(sales.agents.busy, 1, "1001 is on a call in the other queue");
        assert!(!sales.under_target, "no calls, no verdict");

        let json = serde_json::to_string(&snapshot).unwrap();
        assert!(json.starts_with(r#"{"type":"queue.snapshot","#));
    }
}
