//! Reading the queue events' headers: caller-ID text, numbers, timestamps, a member's
//! view, and the endpoint behind a device or member interface.

use super::{MemberState, MemberView};
use crate::ami::Message;

/// A caller-ID style header as text: `None` when missing, empty or `<unknown>`.
pub(super) fn text(msg: &Message, key: &str) -> Option<String> {
    msg.get_lossy(key)
        .map(|v| v.into_owned())
        .filter(|v| !v.is_empty() && v != "<unknown>")
}

/// A numeric header.
pub(super) fn number(msg: &Message, key: &str) -> Option<u64> {
    msg.get(key).and_then(|v| v.trim().parse().ok())
}

/// `1795342979.722247` (seconds with µs) → ms.
pub(super) fn parse_timestamp_ms(value: &str) -> Option<i64> {
    let (secs, frac) = value.split_once('.').unwrap_or((value, "0"));
    let secs: i64 = secs.parse().ok()?;
    let frac = format!("{frac:0<3}");
    let ms: i64 = frac.get(..3)?.parse().ok()?;
    Some(secs * 1000 + ms)
}

/// A member from `QueueMember` / `QueueMemberStatus` / `QueueMemberPause` headers.
pub(super) fn member_from(msg: &Message, since_ms: Option<i64>) -> Option<MemberView> {
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
pub(super) fn endpoint_of(interface: &str) -> Option<&str> {
    let (tech, rest) = interface.split_once('/')?;
    let endpoint = if tech.eq_ignore_ascii_case("local") {
        rest.split_once('@').map_or(rest, |(exten, _)| exten)
    } else {
        rest
    };
    (!endpoint.is_empty()).then_some(endpoint)
}
