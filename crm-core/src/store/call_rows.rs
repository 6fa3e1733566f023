//! The call log's rows as the SQL of [`calls`](super::sql::calls) and
//! [`call_parts`](super::sql::call_parts) reads them (`#[derive(sqlx::FromRow)]`, by
//! column name), and their conversion into [`CallRow`], [`CallFacts`] and the parts of a
//! call. Stored words ([`Direction`](crate::Direction), …) are parsed back; one that no
//! longer parses is a decoding error.

use std::str::FromStr;

use super::rows::json_value;
use crate::StoreError;
use crate::StoreResult;
use crate::domain::call::{AgentWrapUp, CallLeg, CallMetrics, CallRow, CallSegment, WrapUp};
use crate::domain::call_facts::CallFacts;
use crate::domain::ids::{CallId, ContactId, UserId};
use crate::domain::vocabulary::UnknownWord;

/// A stored word of a call's vocabulary.
fn word<T: FromStr<Err = UnknownWord>>(text: &str) -> StoreResult<T> {
    text.parse().map_err(decode)
}

/// A nullable stored word.
fn opt_word<T: FromStr<Err = UnknownWord>>(text: Option<&str>) -> StoreResult<Option<T>> {
    text.map(word).transpose()
}

fn decode(err: UnknownWord) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(err.into()))
}

/// The per-call figures both call reads select.
#[derive(sqlx::FromRow)]
pub(crate) struct MetricsRow {
    service_level_met: Option<bool>,
    first_contact: Option<bool>,
    fcr_status: Option<String>,
    metrics_at_ms: Option<i64>,
}

impl MetricsRow {
    fn into_metrics(self) -> StoreResult<CallMetrics> {
        Ok(CallMetrics {
            service_level_met: self.service_level_met,
            first_contact: self.first_contact,
            fcr_status: opt_word(self.fcr_status.as_deref())?,
            computed_at_ms: self.metrics_at_ms,
        })
    }
}

/// The columns of `sql::calls::call_columns!`.
#[derive(sqlx::FromRow)]
pub(crate) struct CallRecordRow {
    pub(crate) id: i64,
    pbx: String,
    linkedid: String,
    direction: String,
    customer_number_raw: Option<String>,
    customer_number_e164: Option<String>,
    customer_name: Option<String>,
    contact_id: Option<i64>,
    did: Option<String>,
    queue: Option<String>,
    answered_by_extension: Option<String>,
    answered_by_user_id: Option<i64>,
    agent_extension: Option<String>,
    started_at_ms: i64,
    queued_at_ms: Option<i64>,
    answered_at_ms: Option<i64>,
    ended_at_ms: Option<i64>,
    wait_ms: Option<i64>,
    ring_ms: Option<i64>,
    talk_ms: Option<i64>,
    hold_ms: Option<i64>,
    disposition: String,
    hangup_by: Option<String>,
    hangup_by_extension: Option<String>,
    hangup_cause: Option<i64>,
    transfers: String,
    recording_file: Option<String>,
    click_id: Option<String>,
    end_known: bool,
    failure_reason: Option<String>,
    wrapup_outcome: Option<String>,
    wrapup_resolved: Option<bool>,
    wrapup_note: Option<String>,
    wrapup_ms: Option<i64>,
    wrapup_at_ms: Option<i64>,
    #[sqlx(flatten)]
    metrics: MetricsRow,
}

impl CallRecordRow {
    /// The call, with its legs and agent segments.
    pub(crate) fn into_call(
        self,
        agents_rung: Vec<CallLeg>,
        agent_segments: Vec<CallSegment>,
    ) -> StoreResult<CallRow> {
        Ok(CallRow {
            id: CallId(self.id),
            pbx: self.pbx,
            linkedid: self.linkedid,
            direction: word(&self.direction)?,
            customer_number_raw: self.customer_number_raw,
            customer_number_e164: self.customer_number_e164,
            customer_name: self.customer_name,
            contact: self.contact_id.map(ContactId),
            did: self.did,
            queue: self.queue,
            agents_rung,
            answered_by_extension: self.answered_by_extension,
            answered_by_user: self.answered_by_user_id.map(UserId),
            agent_extension: self.agent_extension,
            started_at_ms: self.started_at_ms,
            queued_at_ms: self.queued_at_ms,
            answered_at_ms: self.answered_at_ms,
            ended_at_ms: self.ended_at_ms,
            wait_ms: self.wait_ms,
            ring_ms: self.ring_ms,
            talk_ms: self.talk_ms,
            hold_ms: self.hold_ms,
            disposition: word(&self.disposition)?,
            hangup_by: opt_word(self.hangup_by.as_deref())?,
            hangup_by_extension: self.hangup_by_extension,
            hangup_cause: self.hangup_cause,
            transfers: json_value(&self.transfers),
            agent_segments,
            recording_file: self.recording_file,
            click_id: self.click_id,
            end_known: self.end_known,
            failure_reason: self.failure_reason,
            wrapup_outcome: self.wrapup_outcome,
            wrapup_resolved: self.wrapup_resolved,
            wrapup_note: self.wrapup_note,
            wrapup_ms: self.wrapup_ms,
            wrapup_at_ms: self.wrapup_at_ms,
            metrics: self.metrics.into_metrics()?,
        })
    }
}

/// The columns of `sql::calls::CALL_FACTS`.
#[derive(sqlx::FromRow)]
pub(crate) struct CallFactsRow {
    id: i64,
    direction: String,
    disposition: String,
    queue: Option<String>,
    contact_id: Option<i64>,
    customer_number_raw: Option<String>,
    customer_number_e164: Option<String>,
    started_at_ms: i64,
    queued_at_ms: Option<i64>,
    answered_at_ms: Option<i64>,
    wait_ms: Option<i64>,
    talk_ms: Option<i64>,
    hold_ms: Option<i64>,
    wrapup_ms: Option<i64>,
    wrapup_resolved: Option<bool>,
    #[sqlx(flatten)]
    metrics: MetricsRow,
}

impl CallFactsRow {
    /// The call's facts.
    pub(crate) fn into_facts(self) -> StoreResult<CallFacts> {
        Ok(CallFacts {
            id: CallId(self.id),
            direction: word(&self.direction)?,
            disposition: word(&self.disposition)?,
            queue: self.queue,
            contact: self.contact_id.map(ContactId),
            customer_number_raw: self.customer_number_raw,
            customer_number_e164: self.customer_number_e164,
            started_at_ms: self.started_at_ms,
            queued_at_ms: self.queued_at_ms,
            answered_at_ms: self.answered_at_ms,
            wait_ms: self.wait_ms,
            talk_ms: self.talk_ms,
            hold_ms: self.hold_ms,
            wrapup_ms: self.wrapup_ms,
            wrapup_resolved: self.wrapup_resolved,
            metrics: self.metrics.into_metrics()?,
        })
    }
}

/// A leg (`sql::calls::LEGS_OF_CALLS`).
#[derive(sqlx::FromRow)]
pub(crate) struct LegRow {
    pub(crate) call_id: i64,
    extension: Option<String>,
    result: String,
    ring_ms: Option<i64>,
    talk_ms: Option<i64>,
    rang_at_ms: i64,
}

impl LegRow {
    /// The leg.
    pub(crate) fn into_leg(self) -> StoreResult<CallLeg> {
        Ok(CallLeg {
            extension: self.extension,
            result: word(&self.result)?,
            ring_ms: self.ring_ms,
            talk_ms: self.talk_ms,
            rang_at_ms: self.rang_at_ms,
        })
    }
}

/// One agent's part in a call (`sql::calls::SEGMENTS_OF_CALLS`).
#[derive(sqlx::FromRow)]
pub(crate) struct SegmentRow {
    pub(crate) call_id: i64,
    extension: String,
    connected_at_ms: i64,
    talk_ms: Option<i64>,
}

impl From<SegmentRow> for CallSegment {
    fn from(row: SegmentRow) -> CallSegment {
        CallSegment {
            extension: row.extension,
            connected_at_ms: row.connected_at_ms,
            talk_ms: row.talk_ms,
        }
    }
}

/// One agent's wrap-up of a call (`sql::call_parts::AGENT_WRAPUPS`).
#[derive(sqlx::FromRow)]
pub(crate) struct AgentWrapUpRow {
    extension: String,
    outcome: String,
    resolved: Option<bool>,
    note: Option<String>,
    wrapup_ms: Option<i64>,
    saved_at_ms: i64,
}

impl From<AgentWrapUpRow> for AgentWrapUp {
    fn from(row: AgentWrapUpRow) -> AgentWrapUp {
        AgentWrapUp {
            extension: row.extension,
            wrapup: WrapUp {
                outcome: row.outcome,
                resolved: row.resolved,
                note: row.note,
                wrapup_ms: row.wrapup_ms,
            },
            saved_at_ms: row.saved_at_ms,
        }
    }
}
