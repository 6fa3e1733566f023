//! The call log: one row per call, unique on (PBX, Linkedid), written by the PBX side
//! ([`CallRecordInput`]) and completed by the agent's wrap-up ([`WrapUp`]).

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::ids::{CallId, ContactId, UserId};
use super::vocabulary::{Direction, Disposition, FcrStatus, HangupBy, LegResult};
use crate::StoreError;

/// The longest PBX name or Linkedid accepted.
const MAX_KEY_LEN: usize = 128;

/// One agent rung for a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentAttemptInput {
    /// The agent's extension, when known.
    pub extension: Option<String>,
    /// How it ended.
    pub result: LegResult,
    /// How long it rang.
    pub ring_ms: Option<i64>,
    /// When it started ringing, ms since the epoch.
    pub rang_at_ms: i64,
}

/// One agent's part in a call: their leg connected, and how long it stayed (a transferred
/// call has one per agent, in order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSegment {
    /// The agent's extension.
    pub extension: String,
    /// When the agent's leg was connected, ms since the epoch.
    pub connected_at_ms: i64,
    /// The agent's own talk time (connected to their leg's end), when known.
    pub talk_ms: Option<i64>,
}

/// A complete (or as complete as known) call, as the PBX side reports it.
///
/// Recording it twice is one row; a later, more complete version (an end that became known)
/// replaces an earlier one, never the reverse; wrap-up fields are never touched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecordInput {
    /// The PBX's name.
    pub pbx: String,
    /// The call's Linkedid.
    pub linkedid: String,
    /// Who called whom.
    pub direction: Direction,
    /// The customer's number as the PBX gave it.
    pub customer_number_raw: Option<String>,
    /// The same in E.164 (the store normalises `customer_number_raw` when absent).
    pub customer_number_e164: Option<String>,
    /// Caller-ID name.
    pub customer_name: Option<String>,
    /// The number the customer dialled.
    pub did: Option<String>,
    /// The queue.
    pub queue: Option<String>,
    /// Every agent rung, in order.
    pub agents_rung: Vec<AgentAttemptInput>,
    /// Who answered.
    pub answered_by_extension: Option<String>,
    /// The agent handling the call (outbound/internal: the caller; inbound: who answered).
    pub agent_extension: Option<String>,
    /// First channel created, ms since the epoch.
    pub started_at_ms: i64,
    /// Queue joined.
    pub queued_at_ms: Option<i64>,
    /// Answered.
    pub answered_at_ms: Option<i64>,
    /// Ended (an upper bound when `end_known` is false).
    pub ended_at_ms: Option<i64>,
    /// Queue wait.
    pub wait_ms: Option<i64>,
    /// Ringing of the answering party.
    pub ring_ms: Option<i64>,
    /// Talk time.
    pub talk_ms: Option<i64>,
    /// Hold time.
    pub hold_ms: Option<i64>,
    /// How it ended for the customer.
    pub disposition: Disposition,
    /// Which side hung up.
    pub hangup_by: Option<HangupBy>,
    /// The agent who hung up.
    pub hangup_by_extension: Option<String>,
    /// Q.850 cause.
    pub hangup_cause: Option<i64>,
    /// Transfers as JSON (the tracker's shape).
    pub transfers: serde_json::Value,
    /// Each agent's part, in order.
    #[serde(default)]
    pub agent_segments: Vec<CallSegment>,
    /// MixMonitor file name.
    pub recording_file: Option<String>,
    /// Tamas' click-to-call id.
    pub click_id: Option<String>,
    /// Whether the end came from the PBX's own hang-ups.
    pub end_known: bool,
    /// Why a click-to-call could not be placed: `agent_busy`, `agent_no_answer` (the
    /// agent's own phone), `pbx_refused`, `pbx_unreachable` (the PBX); `None` otherwise.
    /// Left out of the JSON when `None`, so the fingerprint of older versions is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

impl CallRecordInput {
    /// How complete this version is: ended with a known end (3) > ended at an estimated
    /// time (2) > still open (1). A version replaces the stored one only when it is more
    /// complete, or as complete and different.
    pub fn completeness(&self) -> i64 {
        match (self.ended_at_ms, self.end_known) {
            (Some(_), true) => 3,
            (Some(_), false) => 2,
            (None, _) => 1,
        }
    }

    /// Refuses what no PBX sends: an empty or oversized key.
    pub(crate) fn validate(&self) -> Result<(), StoreError> {
        for (what, value) in [("PBX", &self.pbx), ("Linkedid", &self.linkedid)] {
            if value.trim().is_empty() || value.len() > MAX_KEY_LEN {
                return Err(StoreError::Invalid(format!(
                    "a call needs a {what} of 1-{MAX_KEY_LEN} characters"
                )));
            }
        }
        Ok(())
    }

    /// A fingerprint of this version (SHA-256 of its JSON), so that writing the same
    /// version again changes nothing at all.
    pub(crate) fn version_hash(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(&json))
    }

    /// Each agent attempt as a leg; the answering agent's leg gets that agent's own talk
    /// time: their segment's, or (no segments known) the call's when nobody else took part
    /// (no transfer), since then it is that agent's alone.
    pub(crate) fn legs(&self) -> Vec<CallLeg> {
        if !self.agent_segments.is_empty() {
            let mut unused: Vec<&CallSegment> = self.agent_segments.iter().collect();
            return self
                .agents_rung
                .iter()
                .map(|attempt| {
                    let segment = (attempt.result == LegResult::Answered)
                        .then(|| {
                            unused
                                .iter()
                                .position(|s| Some(&s.extension) == attempt.extension.as_ref())
                        })
                        .flatten()
                        .map(|i| unused.remove(i));
                    CallLeg {
                        extension: attempt.extension.clone(),
                        result: attempt.result,
                        ring_ms: attempt.ring_ms,
                        talk_ms: segment.and_then(|s| s.talk_ms),
                        rang_at_ms: attempt.rang_at_ms,
                    }
                })
                .collect();
        }
        let single_agent = self.transfers.as_array().is_none_or(Vec::is_empty);
        let mut talk_given = false;
        self.agents_rung
            .iter()
            .map(|attempt| {
                let talked = single_agent
                    && !talk_given
                    && attempt.result == LegResult::Answered
                    && attempt.extension.is_some()
                    && attempt.extension == self.answered_by_extension;
                talk_given |= talked;
                CallLeg {
                    extension: attempt.extension.clone(),
                    result: attempt.result,
                    ring_ms: attempt.ring_ms,
                    talk_ms: if talked { self.talk_ms } else { None },
                    rang_at_ms: attempt.rang_at_ms,
                }
            })
            .collect()
    }
}

/// One agent's part in a call, as stored: rung, and maybe answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallLeg {
    /// The agent's extension, when known.
    pub extension: Option<String>,
    /// How it ended.
    pub result: LegResult,
    /// How long it rang.
    pub ring_ms: Option<i64>,
    /// How long this agent talked, when known (the answering agent of a call without
    /// transfers).
    pub talk_ms: Option<i64>,
    /// When it started ringing, ms since the epoch.
    pub rang_at_ms: i64,
}

/// The agent's wrap-up of a call. The PBX side never writes these fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapUp {
    /// The outcome chosen, e.g. `sale`, `info`, `complaint`, `escalated` (1-100 characters).
    pub outcome: String,
    /// Whether the customer's request was resolved on this call (FCR).
    pub resolved: Option<bool>,
    /// The agent's note (at most 4000 characters).
    pub note: Option<String>,
    /// Time spent on wrap-up after the call (counts in AHT).
    pub wrapup_ms: Option<i64>,
}

impl WrapUp {
    /// Checks the fields; returns the trimmed outcome and note.
    pub(crate) fn validate(&self) -> Result<(String, Option<String>), StoreError> {
        let outcome = self.outcome.trim();
        if outcome.is_empty() || outcome.chars().count() > 100 {
            return Err(StoreError::Invalid(
                "a wrap-up outcome has 1-100 characters".into(),
            ));
        }
        let note = self
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        if note.is_some_and(|n| n.chars().count() > 4000) {
            return Err(StoreError::Invalid(
                "a wrap-up note has at most 4000 characters".into(),
            ));
        }
        if self.wrapup_ms.is_some_and(|ms| ms < 0) {
            return Err(StoreError::Invalid(
                "wrap-up time cannot be negative".into(),
            ));
        }
        Ok((outcome.to_owned(), note.map(str::to_owned)))
    }
}

/// One agent's own wrap-up of a call (a transferred call has one per agent who saved it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AgentWrapUp {
    /// The agent's extension.
    pub extension: String,
    /// What they saved.
    pub wrapup: WrapUp,
    /// When they saved it, ms since the epoch.
    pub saved_at_ms: i64,
}

/// A call as stored in the call log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallRow {
    /// Row id.
    pub id: CallId,
    /// The PBX's name.
    pub pbx: String,
    /// The call's Linkedid.
    pub linkedid: String,
    /// Who called whom.
    pub direction: Direction,
    /// The customer's number as the PBX gave it.
    pub customer_number_raw: Option<String>,
    /// The same in E.164.
    pub customer_number_e164: Option<String>,
    /// Caller-ID name.
    pub customer_name: Option<String>,
    /// The contact matched when the call was written.
    pub contact: Option<ContactId>,
    /// The number dialled by the customer.
    pub did: Option<String>,
    /// The queue.
    pub queue: Option<String>,
    /// Every agent rung, in order.
    pub agents_rung: Vec<CallLeg>,
    /// Who answered.
    pub answered_by_extension: Option<String>,
    /// The answering agent's user, when an extension matched.
    pub answered_by_user: Option<UserId>,
    /// The agent handling the call.
    pub agent_extension: Option<String>,
    /// Start, ms since the epoch.
    pub started_at_ms: i64,
    /// Queue joined.
    pub queued_at_ms: Option<i64>,
    /// Answered.
    pub answered_at_ms: Option<i64>,
    /// Ended.
    pub ended_at_ms: Option<i64>,
    /// Queue wait.
    pub wait_ms: Option<i64>,
    /// Ringing.
    pub ring_ms: Option<i64>,
    /// Talk.
    pub talk_ms: Option<i64>,
    /// Hold.
    pub hold_ms: Option<i64>,
    /// Outcome.
    pub disposition: Disposition,
    /// Who hung up.
    pub hangup_by: Option<HangupBy>,
    /// The agent who hung up.
    pub hangup_by_extension: Option<String>,
    /// Q.850 cause.
    pub hangup_cause: Option<i64>,
    /// Transfers.
    pub transfers: serde_json::Value,
    /// Each agent's part, in order (none for calls written before segments were kept).
    pub agent_segments: Vec<CallSegment>,
    /// MixMonitor file name.
    pub recording_file: Option<String>,
    /// Tamas' click-to-call id.
    pub click_id: Option<String>,
    /// Whether the end came from the PBX's own hang-ups.
    pub end_known: bool,
    /// Why a click-to-call could not be placed (see [`CallRecordInput::failure_reason`]).
    pub failure_reason: Option<String>,
    /// Wrap-up: the outcome the agent chose.
    pub wrapup_outcome: Option<String>,
    /// Wrap-up: resolved at this contact?
    pub wrapup_resolved: Option<bool>,
    /// Wrap-up: the agent's note.
    pub wrapup_note: Option<String>,
    /// Wrap-up: time spent on it.
    pub wrapup_ms: Option<i64>,
    /// Wrap-up: when it was saved, ms since the epoch.
    pub wrapup_at_ms: Option<i64>,
    /// The per-call figures, once the metrics job computed them.
    pub metrics: CallMetrics,
}

impl CallRow {
    /// The agents who talked on the call, whoever talked last first: the segments' agents
    /// (latest connected first), else the answering or handling agent.
    pub fn agents(&self) -> Vec<String> {
        let mut segments: Vec<&CallSegment> = self.agent_segments.iter().collect();
        segments.sort_by_key(|s| std::cmp::Reverse(s.connected_at_ms));
        let talked: Vec<&String> = if segments.is_empty() {
            self.answered_by_extension
                .iter()
                .chain(&self.agent_extension)
                .collect()
        } else {
            segments.iter().map(|s| &s.extension).collect()
        };
        let mut agents: Vec<String> = Vec::new();
        for extension in talked {
            if !agents.contains(extension) {
                agents.push(extension.clone());
            }
        }
        agents
    }

    /// Whether `extension` talked on the call, answered, placed or handled it, or rang for
    /// it.
    pub fn involves(&self, extension: &str) -> bool {
        self.agents().iter().any(|a| a == extension)
            || self.answered_by_extension.as_deref() == Some(extension)
            || self.agent_extension.as_deref() == Some(extension)
            || self
                .agents_rung
                .iter()
                .any(|l| l.extension.as_deref() == Some(extension))
    }
}

/// The per-call figures stored on a call (ARCHITECTURE.md, "Metrics"); computed by
/// [`crate::metrics::call_metrics`] and written by the metrics job.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CallMetrics {
    /// Offered calls: answered within the service-level threshold (`None`: not offered).
    pub service_level_met: Option<bool>,
    /// Answered inbound calls: a first contact of the customer (`None`: not answered
    /// inbound).
    pub first_contact: Option<bool>,
    /// Answered inbound calls: where they stand for first-call resolution.
    pub fcr_status: Option<FcrStatus>,
    /// When they were computed, ms since the epoch (`None`: not yet).
    pub computed_at_ms: Option<i64>,
}

/// Which calls to list (all conditions together).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallFilter {
    /// Only this contact's calls.
    pub contact: Option<ContactId>,
    /// Started at or after (ms since the epoch).
    pub from_ms: Option<i64>,
    /// Started before.
    pub to_ms: Option<i64>,
    /// Only calls this agent took part in (rung, answered, talked after a transfer or
    /// handled).
    pub agent_extension: Option<String>,
    /// At most this many, newest first.
    pub limit: u32,
}

impl Default for CallFilter {
    fn default() -> Self {
        CallFilter {
            contact: None,
            from_ms: None,
            to_ms: None,
            agent_extension: None,
            limit: 100,
        }
    }
}

/// A call from a number several contacts share, linked to none of them yet.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UndecidedCall {
    /// The call.
    pub call: CallRow,
    /// Every contact with the call's number (ascending ids).
    pub candidates: Vec<ContactId>,
}
