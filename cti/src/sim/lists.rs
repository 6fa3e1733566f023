//! The answers to the list actions, built from [`PbxState`] with the headers and order of
//! the captures (10-state-queries, 11-reconnect-resync): `Response: Success` +
//! `EventList: start`, the items carrying the ActionID, then `…Complete` with `ListItems`.

use super::clock::{EpochMicros, hms};
use super::event::SimEvent;
use super::state::{PbxState, QueueState, SERVICE_LEVEL};
use crate::ami::unescape_c;

/// A whole list answer: the response, the items and the closing event.
pub(crate) fn list(
    action_id: Option<&str>,
    message: &str,
    complete: &str,
    items: Vec<SimEvent>,
) -> Vec<SimEvent> {
    let mut out = Vec::with_capacity(items.len() + 2);
    out.push(
        SimEvent::new("Response", "Success")
            .with_action_id(action_id)
            .with("EventList", "start")
            .with("Message", message),
    );
    let count = items.len();
    out.extend(items);
    out.push(
        SimEvent::new("Event", complete)
            .with_action_id(action_id)
            .with("EventList", "Complete")
            .with("ListItems", count.to_string()),
    );
    out
}

/// `CoreShowChannels`: one `CoreShowChannel` per live channel, oldest first.
pub(crate) fn core_show_channels(
    state: &PbxState,
    action_id: Option<&str>,
    now: EpochMicros,
) -> Vec<SimEvent> {
    let items = state
        .channels_in_order()
        .into_iter()
        .map(|c| {
            let mut e = SimEvent::new("Event", "CoreShowChannel").with_action_id(action_id);
            for (k, v) in &c.snapshot {
                e.push(k, v.as_str());
            }
            e.with("Application", c.application.as_str())
                .with("ApplicationData", c.app_data.as_str())
                .with("Duration", hms((now - c.created) / 1_000_000))
                .with("BridgeId", c.bridge.as_str())
        })
        .collect();
    list(
        action_id,
        "Channels will follow",
        "CoreShowChannelsComplete",
        items,
    )
}

/// `QueueStatus` (optionally one `Queue`, optionally one `Member` location): per queue its
/// `QueueParams`, `QueueMember`s and `QueueEntry`s.
pub(crate) fn queue_status(
    state: &PbxState,
    action_id: Option<&str>,
    queue: Option<&str>,
    member: Option<&str>,
    now: EpochMicros,
) -> Vec<SimEvent> {
    let mut items = Vec::new();
    for q in state
        .queues
        .iter()
        .filter(|q| queue.is_none_or(|n| n == q.name))
    {
        items.push(queue_params(q, action_id));
        for m in q
            .members
            .iter()
            .filter(|m| member.is_none_or(|l| l == m.location))
        {
            items.push(
                SimEvent::new("Event", "QueueMember")
                    .with("Queue", q.name.as_str())
                    .with("Name", m.name.as_str())
                    .with("Location", m.location.as_str())
                    .with("StateInterface", m.state_interface.as_str())
                    .with("Membership", "static")
                    .with("Penalty", "0")
                    .with("CallsTaken", m.calls_taken.to_string())
                    .with("LastCall", m.last_call.to_string())
                    .with("LastPause", m.last_pause.to_string())
                    .with("LoginTime", m.login_time.to_string())
                    .with("InCall", if m.in_call { "1" } else { "0" })
                    .with("Status", m.status.to_string())
                    .with("Paused", if m.paused { "1" } else { "0" })
                    .with("PausedReason", m.paused_reason.as_str())
                    .with("Wrapuptime", "0")
                    .with_action_id(action_id),
            );
        }
        for (i, entry) in q.entries.iter().enumerate() {
            // The channel as it is now (its connected line is the member being rung).
            let snapshot = state
                .channels
                .get(&entry.uniqueid)
                .map_or(&entry.snapshot, |c| &c.snapshot);
            let get = |k: &str| {
                snapshot
                    .iter()
                    .find(|(key, _)| key == k)
                    .map_or("", |(_, v)| v.as_str())
            };
            items.push(
                SimEvent::new("Event", "QueueEntry")
                    .with("Queue", q.name.as_str())
                    .with("Position", (i + 1).to_string())
                    .with("Channel", get("Channel"))
                    .with("Uniqueid", entry.uniqueid.as_str())
                    .with("CallerIDNum", get("CallerIDNum"))
                    // `QueueStatus` prints the names unescaped, unlike channel events.
                    .with("CallerIDName", unescape_c(get("CallerIDName")))
                    .with("ConnectedLineNum", get("ConnectedLineNum"))
                    .with("ConnectedLineName", unescape_c(get("ConnectedLineName")))
                    .with("Wait", ((now - entry.joined) / 1_000_000).to_string())
                    .with("Priority", "0")
                    .with_action_id(action_id),
            );
        }
    }
    list(
        action_id,
        "Queue status will follow",
        "QueueStatusComplete",
        items,
    )
}

fn percent(part: u32, whole: u32) -> String {
    if whole == 0 {
        return "0.0".to_owned();
    }
    format!("{:.1}", f64::from(part) * 100.0 / f64::from(whole))
}

fn queue_params(q: &QueueState, action_id: Option<&str>) -> SimEvent {
    SimEvent::new("Event", "QueueParams")
        .with("Queue", q.name.as_str())
        .with("Max", "0")
        .with("Strategy", q.strategy)
        .with("Calls", q.entries.len().to_string())
        .with("Holdtime", q.holdtime.to_string())
        .with("TalkTime", q.talktime.to_string())
        .with("Completed", q.completed.to_string())
        .with("Abandoned", q.abandoned.to_string())
        .with("ServiceLevel", SERVICE_LEVEL.to_string())
        .with("ServicelevelPerf", percent(q.answered_in_sl, q.completed))
        .with(
            "ServicelevelPerf2",
            percent(q.answered_in_sl, q.completed + q.abandoned),
        )
        .with("Weight", "0")
        .with_action_id(action_id)
}

/// `QueueSummary` (optionally one `Queue`): members logged in and available, callers, and
/// the longest current wait.
pub(crate) fn queue_summary(
    state: &PbxState,
    action_id: Option<&str>,
    queue: Option<&str>,
    now: EpochMicros,
) -> Vec<SimEvent> {
    let items = state
        .queues
        .iter()
        .filter(|q| queue.is_none_or(|n| n == q.name))
        .map(|q| {
            let available = q
                .members
                .iter()
                .filter(|m| !m.paused && !m.in_call && m.status == 1)
                .count();
            let longest = q
                .entries
                .iter()
                .map(|e| (now - e.joined) / 1_000_000)
                .max()
                .unwrap_or(0);
            SimEvent::new("Event", "QueueSummary")
                .with("Queue", q.name.as_str())
                .with("LoggedIn", q.members.len().to_string())
                .with("Available", available.to_string())
                .with("Callers", q.entries.len().to_string())
                .with("HoldTime", q.holdtime.to_string())
                .with("TalkTime", q.talktime.to_string())
                .with("LongestHoldTime", longest.to_string())
                .with_action_id(action_id)
        })
        .collect();
    list(
        action_id,
        "Queue summary will follow",
        "QueueSummaryComplete",
        items,
    )
}
