//! A click-to-call that could not be placed (the agent's phone did not answer, was busy,
//! or the PBX refused the `Originate`) is still an outbound attempt at the customer: it is
//! written to the call log, keyed by its click id, with the number and why it failed, so
//! that it shows on the contact's timeline and counts for the lead rules. No agent talked,
//! so it asks for no wrap-up. The disposition (`busy`, `no_answer`, `failed`) says what
//! happened to the attempt; `failure_reason` says whose side it was (`agent_busy`,
//! `agent_no_answer`: the agent's own phone; `pbx_refused`, `pbx_unreachable`: the PBX), so
//! that the agent's busy phone does not read as a busy customer.

use crm_core::{CallRecordInput, Direction, Disposition, Store};

use crate::hub::messages::FailReason;

/// Q.850 cause 17, user busy.
const CAUSE_BUSY: i64 = 17;
/// Q.850 cause 19, no answer from user.
const CAUSE_NO_ANSWER: i64 = 19;

/// What is known of a click-to-call when it is placed, to be logged should it fail.
#[derive(Clone, Debug)]
pub struct FailedAttempt {
    /// The PBX's name in the call log.
    pub pbx: String,
    /// The request's id: the row's key (there is no Linkedid: no call took place).
    pub click_id: String,
    /// The calling agent.
    pub extension: String,
    /// The number asked for.
    pub number_raw: String,
    /// The same in E.164, when valid.
    pub number_e164: Option<String>,
    /// When the request was accepted.
    pub started_at_ms: i64,
}

impl FailedAttempt {
    /// The call-log row of this attempt, failed for `reason` at `ended_at_ms`.
    fn row(&self, reason: FailReason, ended_at_ms: i64) -> CallRecordInput {
        let (disposition, cause) = match reason {
            FailReason::Busy => (Disposition::Busy, Some(CAUSE_BUSY)),
            FailReason::AgentNoAnswer => (Disposition::NoAnswer, Some(CAUSE_NO_ANSWER)),
            FailReason::PbxUnreachable | FailReason::Failed => (Disposition::Failed, None),
        };
        let failure_reason = match reason {
            FailReason::Busy => "agent_busy",
            FailReason::AgentNoAnswer => "agent_no_answer",
            FailReason::PbxUnreachable => "pbx_unreachable",
            FailReason::Failed => "pbx_refused",
        };
        CallRecordInput {
            pbx: self.pbx.clone(),
            linkedid: self.click_id.clone(),
            direction: Direction::Outbound,
            customer_number_raw: Some(self.number_raw.clone()),
            customer_number_e164: self.number_e164.clone(),
            customer_name: None,
            did: None,
            queue: None,
            agents_rung: Vec::new(),
            agent_segments: Vec::new(),
            answered_by_extension: None,
            agent_extension: Some(self.extension.clone()),
            started_at_ms: self.started_at_ms,
            queued_at_ms: None,
            answered_at_ms: None,
            ended_at_ms: Some(ended_at_ms.max(self.started_at_ms)),
            wait_ms: None,
            ring_ms: None,
            talk_ms: None,
            hold_ms: None,
            disposition,
            hangup_by: None,
            hangup_by_extension: None,
            hangup_cause: cause,
            transfers: serde_json::Value::Array(Vec::new()),
            recording_file: None,
            click_id: Some(self.click_id.clone()),
            end_known: true,
            failure_reason: Some(failure_reason.into()),
        }
    }

    /// Writes the attempt, failed for `reason`, to the call log; a store error is logged
    /// (the user was already told over the socket).
    pub async fn record(&self, store: &dyn Store, reason: FailReason, ended_at_ms: i64) {
        if let Err(err) = store.record_call(&self.row(reason, ended_at_ms)).await {
            tracing::error!(click_id = %self.click_id, error = %err, "a failed click-to-call could not be written to the call log");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_becomes_the_disposition() {
        let attempt = FailedAttempt {
            pbx: "sim".into(),
            click_id: "ctc-1".into(),
            extension: "1002".into(),
            number_raw: "0912 111 2233".into(),
            number_e164: Some("+989121112233".into()),
            started_at_ms: 1_000,
        };
        let busy = attempt.row(FailReason::Busy, 900);
        assert_eq!(
            (busy.disposition, busy.hangup_cause),
            (Disposition::Busy, Some(17))
        );
        assert_eq!(busy.ended_at_ms, Some(1_000), "never before it started");
        assert_eq!(busy.direction, Direction::Outbound);
        assert_eq!(busy.click_id.as_deref(), Some("ctc-1"));
        assert_eq!(busy.failure_reason.as_deref(), Some("agent_busy"));
        let missed = attempt.row(FailReason::AgentNoAnswer, 2_000);
        assert_eq!(missed.disposition, Disposition::NoAnswer);
        assert_eq!(missed.failure_reason.as_deref(), Some("agent_no_answer"));
        let unreachable = attempt.row(FailReason::PbxUnreachable, 2_000);
        assert_eq!(unreachable.disposition, Disposition::Failed);
        assert_eq!(
            unreachable.failure_reason.as_deref(),
            Some("pbx_unreachable")
        );
        let refused = attempt.row(FailReason::Failed, 2_000);
        assert_eq!(refused.failure_reason.as_deref(), Some("pbx_refused"));
    }
}
