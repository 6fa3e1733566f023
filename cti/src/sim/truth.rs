//! What the simulated PBX really did: one JSON line per finished call (`--truth FILE`),
//! with the field names of `tamas replay` ([`CallRecord`](crate::tracker::CallRecord)) and
//! the definitions of the fixtures' README (wait = queue join → agent connect or abandon,
//! talk = answer → the customer's hang-up, each agent's segment = connected → gone).
//!
//! A line is derived from the call's roles (`roles`) and the times its events were sent at,
//! not from the events' contents, so that it can be set against what a client's tracker
//! makes of the same bytes. Lines are written whether or not a client is connected; a call
//! cut short (the simulator stopped or killed) has none.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use super::SimError;
use super::clock::EpochMicros;
use super::engine::Engine;
use super::render::{Binding, Schedule};
use super::roles::{CallPlan, Hanger};
use super::scenarios::{Entry, Scenario};
use super::slots::QueueRole;
use crate::tracker::{Direction, Disposition, HangupBy};

/// One finished call as the simulated PBX made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct CallTruth {
    /// The scenario that made it (`inbound-answered` …).
    pub(crate) scenario: &'static str,
    pub(crate) linkedid: String,
    pub(crate) direction: Direction,
    pub(crate) customer_number_raw: Option<String>,
    pub(crate) queue: Option<String>,
    pub(crate) answered_by_extension: Option<String>,
    pub(crate) agent_extension: Option<String>,
    pub(crate) from_extension: Option<String>,
    pub(crate) to_extension: Option<String>,
    pub(crate) disposition: Disposition,
    pub(crate) wait_ms: Option<u64>,
    pub(crate) talk_ms: Option<u64>,
    pub(crate) agent_segments: Vec<TruthSegment>,
    pub(crate) hangup_by: HangupBy,
    pub(crate) hangup_by_extension: Option<String>,
    pub(crate) started_at_ms: i64,
    pub(crate) queue_joined_at_ms: Option<i64>,
    pub(crate) answered_at_ms: Option<i64>,
    pub(crate) ended_at_ms: i64,
    pub(crate) recording: Option<TruthRecording>,
}

/// One agent's connected time in the call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct TruthSegment {
    pub(crate) extension: String,
    pub(crate) connected_at_ms: i64,
    pub(crate) talk_ms: u64,
}

/// The MixMonitor files of the call (named after the recorded channel's Uniqueid).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct TruthRecording {
    pub(crate) file: String,
    pub(crate) rx_leg: String,
    pub(crate) tx_leg: String,
    pub(crate) channel_uniqueid: String,
}

/// Epoch milliseconds (floor), as the tracker writes `*_at_ms`.
fn ms(at: EpochMicros) -> i64 {
    at.div_euclid(1_000)
}

/// Milliseconds between two times, rounded half up, as the tracker writes `*_ms`.
fn ms_between(from: EpochMicros, to: EpochMicros) -> u64 {
    u64::try_from((to - from + 500).div_euclid(1_000)).unwrap_or(0)
}

impl CallPlan {
    /// The truth of this call of a `scenario` made with `binding`, whose event `i` was sent
    /// at `sent_at(i)`.
    pub(crate) fn truth(
        &self,
        scenario: Scenario,
        binding: &Binding,
        sent_at: impl Fn(usize) -> EpochMicros,
    ) -> CallTruth {
        let roles = &self.roles;
        let extension = |agent: usize| binding.agents.get(agent).map(|a| a.0.clone());
        let at = |i: Option<usize>| i.map(&sent_at);
        let linkedid = binding
            .uniqueids
            .get(self.linkedid)
            .cloned()
            .unwrap_or_default();
        let queued = at(self.queued);
        let answered = at(self.answered);
        let waited_until = answered.or(at(self.abandoned));
        let (hangup_by, hangup_by_extension) = match roles.hangup_by {
            Hanger::Customer => (HangupBy::Customer, None),
            Hanger::Agent(agent) => (HangupBy::Agent, extension(agent)),
            Hanger::System => (HangupBy::System, None),
        };
        CallTruth {
            scenario: scenario.name(),
            direction: roles.direction,
            customer_number_raw: roles.customer.then(|| binding.customer_number.clone()),
            queue: roles.queue.map(|q| match q {
                QueueRole::Linear => binding.linear_queue.0.clone(),
                QueueRole::RingAll => binding.ringall_queue.0.clone(),
            }),
            answered_by_extension: roles.answered_by.and_then(extension),
            agent_extension: roles.agent.and_then(extension),
            from_extension: roles.between.and_then(|(from, _)| extension(from)),
            to_extension: roles.between.and_then(|(_, to)| extension(to)),
            disposition: roles.disposition,
            wait_ms: queued.zip(waited_until).map(|(q, w)| ms_between(q, w)),
            talk_ms: answered
                .zip(at(self.customer_gone))
                .map(|(a, g)| ms_between(a, g)),
            agent_segments: self
                .segments
                .iter()
                .map(|&(agent, from, to)| TruthSegment {
                    extension: extension(agent).unwrap_or_default(),
                    connected_at_ms: ms(sent_at(from)),
                    talk_ms: ms_between(sent_at(from), sent_at(to)),
                })
                .collect(),
            hangup_by,
            hangup_by_extension,
            started_at_ms: ms(sent_at(self.started)),
            queue_joined_at_ms: queued.map(ms),
            answered_at_ms: answered.map(ms),
            ended_at_ms: ms(sent_at(self.ended)),
            recording: roles.recorded.then(|| TruthRecording {
                file: format!("{linkedid}.wav"),
                rx_leg: format!("{linkedid}-rx.wav"),
                tx_leg: format!("{linkedid}-tx.wav"),
                channel_uniqueid: linkedid.clone(),
            }),
            linkedid,
        }
    }
}

/// The file truth lines are appended to.
#[derive(Debug)]
pub(crate) struct TruthFile {
    path: PathBuf,
    file: Mutex<File>,
}

impl TruthFile {
    /// Opens (creates) `path` for appending.
    pub(crate) fn open(path: &Path) -> Result<TruthFile, SimError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| SimError::Truth {
                path: path.to_owned(),
                error: e.to_string(),
            })?;
        Ok(TruthFile {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    /// Appends the line of `call` in a single write (the file is not buffered: the line is
    /// in the file, whole, when this returns).
    pub(crate) fn write(&self, call: &CallTruth) {
        let mut line = match serde_json::to_vec(call) {
            Ok(line) => line,
            Err(e) => {
                tracing::warn!(error = %e, "cannot encode a truth line");
                return;
            }
        };
        line.push(b'\n');
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Err(e) = file.write_all(&line) {
            tracing::warn!(path = %self.path.display(), error = %e, "cannot write a truth line");
        }
    }
}

impl Engine {
    /// Writes the truth of each call of `entry` (placed with `binding`, on `schedule`) that
    /// event `index`, just sent, ended.
    pub(crate) fn record_truth(
        &self,
        entry: &Entry,
        binding: &Binding,
        index: usize,
        schedule: &Schedule,
    ) {
        let Some(file) = &self.truth else {
            return;
        };
        for plan in entry.plans.iter().filter(|p| p.ended == index) {
            let sent_at = |i| schedule.at(&entry.template, i);
            file.write(&plan.truth(entry.spec.scenario, binding, sent_at));
        }
    }
}
