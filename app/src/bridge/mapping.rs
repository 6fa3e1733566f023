//! Translations between the crates: the binary is the only place that knows both sides.

use crm_core::{
    AgentAttemptInput, CallRecordInput, CallSegment, Direction, Disposition, HangupBy, LegResult,
    PhoneNormalizer,
};
use cti::tracker::{self, AgentSettings, CallRecord, NumberNormalizer, TrackerSettings};

use crate::bridge::settings::{PbxSettings, PhoneSettings};

/// One agent known from the users table: extension and display name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownAgent {
    /// The phone extension.
    pub extension: String,
    /// The user's display name.
    pub name: String,
}

/// The tracker's settings: the configured PBX, its agents' devices, plus every user with an
/// extension (device `PJSIP/<extension>` unless the config lists others).
pub fn tracker_settings(pbx: &PbxSettings, users: &[KnownAgent]) -> TrackerSettings {
    let mut agents: Vec<AgentSettings> = pbx
        .agents
        .iter()
        .map(|agent| AgentSettings {
            extension: agent.extension.clone(),
            name: agent.name.clone(),
            devices: agent.devices.clone(),
        })
        .collect();
    for user in users {
        match agents.iter_mut().find(|a| a.extension == user.extension) {
            Some(agent) => agent.name = Some(user.name.clone()),
            None => agents.push(AgentSettings {
                extension: user.extension.clone(),
                name: Some(user.name.clone()),
                devices: Vec::new(),
            }),
        }
    }
    TrackerSettings {
        pbx: pbx.name.clone(),
        agents,
        trunks: pbx.trunks.clone(),
        max_open_calls: pbx.max_open_calls,
        max_call_idle_s: pbx.call_idle_limit().as_secs(),
        ..TrackerSettings::default()
    }
}

/// The tracker's E.164 normaliser: the CRM core's, with the configured default region.
pub fn number_normalizer(phone: &PhoneSettings) -> NumberNormalizer {
    let normalizer = PhoneNormalizer::new(&phone.default_region);
    Box::new(move |raw: &str| normalizer.normalize(raw).e164.map(|e| e.to_string()))
}

/// The call log's input for a finished call.
pub fn call_record_input(record: &CallRecord) -> CallRecordInput {
    let ms = |v: Option<u64>| v.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
    CallRecordInput {
        pbx: record.pbx.clone(),
        linkedid: record.linkedid.clone(),
        direction: direction(record.direction),
        customer_number_raw: record.customer_number_raw.clone(),
        customer_number_e164: record.customer_number_e164.clone(),
        customer_name: record.customer_name.clone(),
        did: record.did.clone(),
        queue: record.queue.clone(),
        agents_rung: record
            .agents_rung
            .iter()
            .map(|attempt| AgentAttemptInput {
                extension: attempt.extension.clone(),
                result: leg_result(attempt.result),
                ring_ms: ms(attempt.ring_ms),
                rang_at_ms: attempt.rang_at_ms,
            })
            .collect(),
        answered_by_extension: record.answered_by_extension.clone(),
        agent_extension: record.agent_extension.clone(),
        started_at_ms: record.started_at_ms,
        queued_at_ms: record.queue_joined_at_ms,
        answered_at_ms: record.answered_at_ms,
        ended_at_ms: Some(record.ended_at_ms),
        wait_ms: ms(record.wait_ms),
        ring_ms: ms(record.ring_ms),
        talk_ms: ms(record.talk_ms),
        hold_ms: ms(Some(record.hold_ms)),
        disposition: disposition(record.disposition),
        hangup_by: record.hangup_by.map(hangup_by),
        hangup_by_extension: record.hangup_by_extension.clone(),
        hangup_cause: record.hangup_cause.map(i64::from),
        transfers: serde_json::to_value(&record.transfers).unwrap_or_default(),
        agent_segments: record
            .agent_segments
            .iter()
            .map(|segment| CallSegment {
                extension: segment.extension.clone(),
                connected_at_ms: segment.connected_at_ms,
                talk_ms: ms(segment.talk_ms),
            })
            .collect(),
        recording_file: record.recording.as_ref().map(|r| r.file.clone()),
        click_id: record.click_id.clone(),
        end_known: record.end_known,
        failure_reason: None,
    }
}

/// The call log's word for the tracker's direction.
fn direction(direction: tracker::Direction) -> Direction {
    match direction {
        tracker::Direction::Inbound => Direction::Inbound,
        tracker::Direction::Outbound => Direction::Outbound,
        tracker::Direction::Internal => Direction::Internal,
    }
}

/// The call log's word for the tracker's disposition.
fn disposition(disposition: tracker::Disposition) -> Disposition {
    match disposition {
        tracker::Disposition::Answered => Disposition::Answered,
        tracker::Disposition::Abandoned => Disposition::Abandoned,
        tracker::Disposition::NoAnswer => Disposition::NoAnswer,
        tracker::Disposition::Busy => Disposition::Busy,
        tracker::Disposition::Failed => Disposition::Failed,
    }
}

/// The call log's word for the side that hung up.
fn hangup_by(side: tracker::HangupBy) -> HangupBy {
    match side {
        tracker::HangupBy::Customer => HangupBy::Customer,
        tracker::HangupBy::Agent => HangupBy::Agent,
        tracker::HangupBy::System => HangupBy::System,
    }
}

/// The call log's word for how ringing an agent ended.
fn leg_result(result: tracker::AttemptResult) -> LegResult {
    match result {
        tracker::AttemptResult::Answered => LegResult::Answered,
        tracker::AttemptResult::RingNoAnswer => LegResult::RingNoAnswer,
        tracker::AttemptResult::Cancelled => LegResult::Cancelled,
        tracker::AttemptResult::Busy => LegResult::Busy,
        tracker::AttemptResult::Failed => LegResult::Failed,
    }
}
