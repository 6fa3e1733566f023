//! Queue pauses as the PBX reports them (`QueueMemberPause`), whoever asked for them:
//! Tamas' pause button, a phone's feature code or the PBX's own console. They feed the
//! agents' `agent.state`.

use cti::ami::Message;

/// An agent paused or unpaused in a queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentPause {
    /// The agent's extension (from the member interface).
    pub extension: String,
    /// Paused or not.
    pub paused: bool,
    /// `PausedReason`, when paused with one.
    pub reason: Option<String>,
    /// PBX time, ms since the epoch (the `Timestamp` header; 0 when missing).
    pub at_ms: i64,
}

/// The pause a `QueueMemberPause` event reports; `None` for any other message or a member
/// that is not an agent's phone.
pub fn agent_pause(message: &Message) -> Option<AgentPause> {
    if !message.is_event("QueueMemberPause") {
        return None;
    }
    let extension = ["Interface", "StateInterface"]
        .iter()
        .filter_map(|key| message.get(key))
        .find_map(cti::live::queues::member_extension)?;
    let paused = message
        .get("Paused")
        .is_some_and(|p| p == "1" || p.eq_ignore_ascii_case("true"));
    let reason = message
        .get("PausedReason")
        .filter(|r| paused && !r.is_empty())
        .map(str::to_owned);
    Some(AgentPause {
        extension: extension.to_owned(),
        paused,
        reason,
        at_ms: message.get("Timestamp").map_or(0, timestamp_ms),
    })
}

/// `1795342979.703424` → 1795342979703.
fn timestamp_ms(value: &str) -> i64 {
    let (seconds, fraction) = value.split_once('.').unwrap_or((value, ""));
    let millis: String = fraction.chars().chain("000".chars()).take(3).collect();
    match (seconds.parse::<i64>(), millis.parse::<i64>()) {
        (Ok(s), Ok(ms)) => s.saturating_mul(1000).saturating_add(ms),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> Message {
        Message::parse(text.replace('\n', "\r\n").into_bytes()).unwrap()
    }

    #[test]
    fn reads_queue_member_pause() {
        let pause = agent_pause(&message(
            "Event: QueueMemberPause\nTimestamp: 1795342979.703424\nQueue: sales\nInterface: Local/1003@queue-agents/n\nStateInterface: PJSIP/1003\nPaused: 1\nPausedReason: lunch\n\n",
        ));
        assert_eq!(
            pause,
            Some(AgentPause {
                extension: "1003".into(),
                paused: true,
                reason: Some("lunch".into()),
                at_ms: 1_795_342_979_703,
            })
        );
        let unpause = agent_pause(&message(
            "Event: QueueMemberPause\nInterface: PJSIP/1003\nPaused: 0\nPausedReason: lunch\n\n",
        ));
        assert_eq!(unpause.map(|p| (p.paused, p.reason)), Some((false, None)));
        assert_eq!(agent_pause(&message("Event: Hangup\n\n")), None);
    }
}
