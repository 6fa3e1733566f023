//! The tracker's working state: live channels ([`Channel`], by Uniqueid) and open calls
//! ([`Call`], by Linkedid), and how an open call becomes a [`CallRecord`].

use serde::{Deserialize, Serialize};

use super::settings::{Directory, Party};
use super::time::{ms_between, to_ms};
use super::{
    AgentAttempt, AgentSegment, AttemptResult, CallRecord, Direction, Disposition, HangupBy,
    Recording, Transfer,
};

/// A live channel.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Channel {
    /// The call it belongs to now (Linkedid can change when bridges merge).
    pub(crate) linkedid: String,
    pub(crate) party: Party,
    /// When it went Up.
    pub(crate) up_us: Option<i64>,
    /// The other half of a Local channel pair.
    pub(crate) local_peer: Option<String>,
}

/// One agent being rung.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Attempt {
    pub(crate) agent: Option<usize>,
    pub(crate) member_name: Option<String>,
    pub(crate) queue: Option<String>,
    /// The channel that was dialled: the agent's device, or a Local `;1` half.
    pub(crate) member: String,
    /// The agent's device channel, once known.
    pub(crate) device: Option<String>,
    pub(crate) rang_us: i64,
    pub(crate) result: Option<AttemptResult>,
    pub(crate) ring_ms: Option<u64>,
    /// Whether `AgentRinging` was emitted.
    pub(crate) announced: bool,
}

/// An agent's connected time.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Segment {
    pub(crate) agent: usize,
    pub(crate) channel: String,
    pub(crate) start_us: i64,
    pub(crate) end_us: Option<i64>,
}

/// Hold sources currently active (a `Hold` on one channel and the music it causes on the
/// other count once) and the hold time so far.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Hold {
    pub(crate) active: Vec<(String, bool)>,
    pub(crate) since_us: i64,
    pub(crate) total_us: i64,
}

/// An open call.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Call {
    pub(crate) started_us: i64,
    pub(crate) start_known: bool,
    /// The first non-Local channel.
    pub(crate) origin: Option<String>,
    pub(crate) origin_party: Option<Party>,
    pub(crate) direction: Option<Direction>,
    pub(crate) started_emitted: bool,
    /// The customer's channel (inbound: the origin; outbound: the trunk leg).
    pub(crate) customer: Option<String>,
    pub(crate) customer_number_raw: Option<String>,
    pub(crate) customer_number_e164: Option<String>,
    pub(crate) customer_name: Option<String>,
    pub(crate) did: Option<String>,
    /// The agent who placed the call (outbound, internal).
    pub(crate) caller_agent: Option<usize>,
    pub(crate) to_agent: Option<usize>,
    pub(crate) origin_up_us: Option<i64>,
    pub(crate) dial_start_us: Option<i64>,
    pub(crate) ring_ms: Option<u64>,
    pub(crate) queue: Option<String>,
    pub(crate) queue_joined_us: Option<i64>,
    pub(crate) in_queue: bool,
    pub(crate) queue_left_us: Option<i64>,
    pub(crate) abandoned_us: Option<i64>,
    pub(crate) attempts: Vec<Attempt>,
    pub(crate) answered_us: Option<i64>,
    pub(crate) agent_connected_us: Option<i64>,
    pub(crate) answered_by: Option<usize>,
    pub(crate) segments: Vec<Segment>,
    pub(crate) hold: Hold,
    pub(crate) transfers: Vec<Transfer>,
    /// Channels that transferred the call away: their hang-up says nothing about who ended
    /// the call.
    pub(crate) transferers: Vec<String>,
    pub(crate) recording: Option<Recording>,
    pub(crate) recording_announced: bool,
    /// Decided by the first hang-up request from a device (or a shutdown); first wins.
    pub(crate) hangup_by: Option<(HangupBy, Option<usize>)>,
    /// The channel whose hang-up request decided `hangup_by`.
    #[serde(default)]
    pub(crate) hangup_channel: Option<String>,
    pub(crate) hangup_cause: Option<u32>,
    pub(crate) customer_hangup_us: Option<i64>,
    pub(crate) last_dial_status: Option<String>,
    pub(crate) click_id: Option<String>,
    /// Uniqueids of the channels still up.
    pub(crate) live: Vec<String>,
    /// The last hang-up.
    pub(crate) ended_us: Option<i64>,
    /// The connection (counted by `connection_lost`) on which the call was last seen.
    pub(crate) epoch: u64,
    /// Set while the call waits for a resync: the last PBX time it was known to be open,
    /// when that is not the tracker's latest connection loss (a call restored after a
    /// restart that happened during a PBX outage).
    #[serde(default)]
    pub(crate) lost_us: Option<i64>,
    /// PBX time of the last event naming the call (0: none since it opened).
    #[serde(default)]
    pub(crate) last_event_us: i64,
}

impl Call {
    pub(crate) fn new(started_us: i64, start_known: bool, epoch: u64) -> Self {
        Call {
            started_us,
            start_known,
            epoch,
            ..Call::default()
        }
    }

    /// The last PBX time the call was heard of: its last event, else its start.
    pub(crate) fn last_activity_us(&self) -> i64 {
        self.last_event_us.max(self.started_us)
    }

    /// The channel whose hang-up ends the talk time and gives the cause: the customer's,
    /// or for internal calls the caller's.
    pub(crate) fn talk_channel(&self) -> Option<&str> {
        self.customer.as_deref().or(self.origin.as_deref())
    }

    pub(crate) fn attempt_for(&mut self, channel: &str) -> Option<&mut Attempt> {
        self.attempts
            .iter_mut()
            .find(|a| a.member == channel || a.device.as_deref() == Some(channel))
    }

    pub(crate) fn open_segment(&mut self, agent: usize, channel: &str, now: i64) {
        let open = self
            .segments
            .iter()
            .any(|s| s.channel == channel && s.end_us.is_none());
        if !open {
            self.segments.push(Segment {
                agent,
                channel: channel.to_owned(),
                start_us: now,
                end_us: None,
            });
        }
    }

    pub(crate) fn close_segment(&mut self, channel: &str, now: i64) {
        for s in &mut self.segments {
            if s.channel == channel && s.end_us.is_none() {
                s.end_us = Some(now);
            }
        }
    }

    /// Starts a hold source; true when the call was not on hold before.
    pub(crate) fn hold_start(&mut self, channel: &str, moh: bool, now: i64) -> bool {
        if self
            .hold
            .active
            .iter()
            .any(|(c, m)| c == channel && *m == moh)
        {
            return false;
        }
        self.hold.active.push((channel.to_owned(), moh));
        if self.hold.active.len() == 1 {
            self.hold.since_us = now;
            return true;
        }
        false
    }

    /// Ends hold sources of `channel` (`moh`: only music, else only `Hold`; `None`: both);
    /// the length of the hold when the call is off hold now.
    pub(crate) fn hold_stop(&mut self, channel: &str, moh: Option<bool>, now: i64) -> Option<u64> {
        let before = self.hold.active.len();
        self.hold
            .active
            .retain(|(c, m)| !(c == channel && moh.is_none_or(|want| *m == want)));
        if before > 0 && self.hold.active.is_empty() {
            let this = now - self.hold.since_us;
            self.hold.total_us += this;
            return Some(ms_between(0, this));
        }
        None
    }

    /// Builds the record; `end_us` is the last hang-up or, when `end_known` is false, the
    /// moment the call was found gone.
    pub(crate) fn into_record(
        mut self,
        linkedid: String,
        pbx: &str,
        dir: &Directory,
        end_us: i64,
        end_known: bool,
    ) -> CallRecord {
        if !self.hold.active.is_empty() {
            self.hold.total_us += end_us - self.hold.since_us;
        }
        let agent_ext = |i: usize| dir.agent(i).extension.clone();
        let agent_name = |i: usize| dir.agent(i).name.clone();
        let direction = self.direction.unwrap_or(Direction::Internal);
        let talk_end = self.customer_hangup_us.unwrap_or(end_us);
        let talk_ms = self.answered_us.map(|a| ms_between(a, talk_end));
        let wait_ms = self.wait_ms(end_us);
        let disposition = self.disposition(end_known);
        let (hangup_by, hangup_by_agent) = if end_known {
            let (by, agent) = self.hangup_by.unwrap_or((HangupBy::System, None));
            (Some(by), agent)
        } else {
            (None, None)
        };
        let agent = match direction {
            Direction::Inbound => self.answered_by,
            Direction::Outbound | Direction::Internal => self.caller_agent,
        };
        let internal = direction == Direction::Internal;
        let agents_rung = self.agents_rung(dir);
        let agent_segments = self.agent_segments(dir);
        CallRecord {
            pbx: pbx.to_owned(),
            linkedid,
            direction,
            customer_number_raw: self.customer_number_raw,
            customer_number_e164: self.customer_number_e164,
            customer_name: self.customer_name,
            did: self.did,
            queue: self.queue,
            agents_rung,
            answered_by_extension: self.answered_by.map(agent_ext),
            answered_by_name: self.answered_by.and_then(agent_name),
            agent_extension: agent.map(agent_ext),
            agent_name: agent.and_then(agent_name),
            from_extension: self.caller_agent.filter(|_| internal).map(agent_ext),
            to_extension: self.to_agent.filter(|_| internal).map(agent_ext),
            wait_ms,
            talk_ms,
            ring_ms: self.ring_ms,
            hold_ms: ms_between(0, self.hold.total_us),
            agent_channel_up_after_ms: self
                .origin_up_us
                .filter(|_| direction == Direction::Outbound)
                .map(|up| ms_between(self.started_us, up)),
            disposition,
            hangup_by,
            hangup_by_extension: hangup_by_agent.map(agent_ext),
            hangup_cause: self.hangup_cause.filter(|_| end_known),
            recording: self.recording,
            agent_segments,
            transfers: self.transfers,
            started_at_ms: to_ms(self.started_us),
            queue_joined_at_ms: self.queue_joined_us.map(to_ms),
            agent_connected_at_ms: self.agent_connected_us.map(to_ms),
            answered_at_ms: self.answered_us.map(to_ms),
            ended_at_ms: to_ms(end_us),
            click_id: self.click_id,
            start_known: self.start_known,
            end_known,
        }
    }

    /// Queue join to agent connect, abandon, leaving the queue or else `end_us`; `None`
    /// when the call joined no queue.
    fn wait_ms(&self, end_us: i64) -> Option<u64> {
        self.queue_joined_us.map(|j| {
            let until = self
                .agent_connected_us
                .or(self.abandoned_us)
                .or(self.queue_left_us)
                .unwrap_or(end_us);
            ms_between(j, until)
        })
    }

    /// How the call ended: answered, abandoned in a queue, or as its last dial did.
    fn disposition(&self, end_known: bool) -> Disposition {
        if self.answered_us.is_some() {
            Disposition::Answered
        } else if self.abandoned_us.is_some() || (self.in_queue && end_known) {
            Disposition::Abandoned
        } else {
            match self.last_dial_status.as_deref() {
                Some("BUSY") => Disposition::Busy,
                Some("CHANUNAVAIL" | "CONGESTION" | "INVALIDARGS") => Disposition::Failed,
                _ => Disposition::NoAnswer,
            }
        }
    }

    /// The agents rung for the call, up to its answer: rings after the answer are
    /// transfers, and each agent's part of those is in the segments.
    fn agents_rung(&self, dir: &Directory) -> Vec<AgentAttempt> {
        self.attempts
            .iter()
            .filter(|a| {
                self.answered_us
                    .is_none_or(|answered| a.rang_us <= answered)
            })
            .map(|a| AgentAttempt {
                extension: a.agent.map(|i| dir.agent(i).extension.clone()),
                name: a
                    .agent
                    .and_then(|i| dir.agent(i).name.clone())
                    .or_else(|| a.member_name.clone()),
                queue: a.queue.clone(),
                result: a.result.unwrap_or(AttemptResult::Cancelled),
                ring_ms: a.ring_ms,
                rang_at_ms: to_ms(a.rang_us),
            })
            .collect()
    }

    /// Each agent's connected time in the call.
    fn agent_segments(&self, dir: &Directory) -> Vec<AgentSegment> {
        self.segments
            .iter()
            .map(|s| AgentSegment {
                extension: dir.agent(s.agent).extension.clone(),
                name: dir.agent(s.agent).name.clone(),
                connected_at_ms: to_ms(s.start_us),
                talk_ms: s.end_us.map(|e| ms_between(s.start_us, e)),
            })
            .collect()
    }
}
