//! Transfers, as Asterisk 22 reports them (`main/stasis_bridges.c`):
//!
//! - `BlindTransfer`: `Result`, the `Transferer*` and `Transferee*` channel snapshots, the
//!   bridge, `IsExternal`, and the destination `Context`/`Extension`.
//! - `AttendedTransfer`: `Result`, `OrigTransferer*` (the transferer's leg with the
//!   transferee) and `SecondTransferer*` (its leg with the target) snapshots with their
//!   bridges, `Transferee*` and `TransferTarget*` snapshots, `IsExternal`, `DestType` …
//!
//! The transfer is recorded on the transferee's call; the transferer's legs are remembered
//! so that their hang-up is not taken as the call's end. The target's channel later joins
//! the call through the Linkedid change of bridging (see `channels`).
//!
//! Each agent's part is a segment of the call: the target picking up a call someone else
//! answered is `AgentJoined`, an agent leaving a transferred call that goes on `AgentLeft`.

use super::record::{Transfer, TransferKind};
use super::settings::Party;
use super::time::{ms_between, to_ms};
use super::{CallEvent, CallEventKind, CallTracker};
use crate::ami::Message;

impl CallTracker {
    /// The agent whose device is channel `uid`.
    fn agent_of(&self, uid: Option<&str>) -> Option<usize> {
        match self.channels.get(uid?)?.party {
            Party::Agent(agent) => Some(agent),
            _ => None,
        }
    }

    /// The open call of the first of `uids` that is a known channel, else the first of
    /// `linkedids` that is an open call.
    fn call_of(&self, uids: &[Option<&str>], linkedids: &[Option<&str>]) -> Option<String> {
        uids.iter()
            .flatten()
            .find_map(|u| self.channels.get(*u).map(|c| c.linkedid.clone()))
            .or_else(|| {
                linkedids
                    .iter()
                    .flatten()
                    .find(|l| self.calls.contains_key(**l))
                    .map(|l| (*l).to_owned())
            })
    }

    /// Opens the segment of `agent` on channel `uid`, up in call `linkedid`; an agent who
    /// joins a call already answered by someone else (a transfer's target) is announced.
    pub(super) fn agent_up(
        &mut self,
        linkedid: &str,
        agent: usize,
        uid: &str,
        now: i64,
        out: &mut Vec<CallEvent>,
    ) {
        let Some(call) = self.calls.get_mut(linkedid) else {
            return;
        };
        let joined = call.answered_us.is_some()
            && call.answered_by != Some(agent)
            && call.caller_agent != Some(agent)
            && !call.segments.iter().any(|s| s.agent == agent);
        call.open_segment(agent, uid, now);
        if joined {
            let a = self.dir.agent(agent);
            let kind = CallEventKind::AgentJoined {
                extension: a.extension.clone(),
                agent_name: a.name.clone(),
            };
            self.emit(out, linkedid, now, kind);
        }
    }

    /// Closes the segment on channel `uid`, which left call `linkedid`; when the call was
    /// transferred and goes on without that agent, their part is over (`AgentLeft`).
    pub(super) fn agent_down(
        &mut self,
        linkedid: &str,
        uid: &str,
        now: i64,
        out: &mut Vec<CallEvent>,
    ) {
        let Some(call) = self.calls.get_mut(linkedid) else {
            return;
        };
        let open = call
            .segments
            .iter()
            .find(|s| s.channel == uid && s.end_us.is_none())
            .map(|s| (s.agent, s.start_us));
        call.close_segment(uid, now);
        let Some((agent, start)) = open else {
            return;
        };
        if call.transfers.is_empty() || call.live.is_empty() {
            return;
        }
        let kind = CallEventKind::AgentLeft {
            extension: self.dir.agent(agent).extension.clone(),
            talk_ms: ms_between(start, now),
        };
        self.emit(out, linkedid, now, kind);
    }

    /// Marks `uid` as a transferer in its own call.
    fn mark_transferer(&mut self, uid: Option<&str>) {
        let Some(uid) = uid else {
            return;
        };
        let Some(linkedid) = self.channels.get(uid).map(|c| c.linkedid.clone()) else {
            return;
        };
        if let Some(call) = self.calls.get_mut(&linkedid)
            && !call.transferers.iter().any(|t| t == uid)
        {
            call.transferers.push(uid.to_owned());
        }
    }

    fn record_transfer(
        &mut self,
        linkedid: &str,
        transfer: Transfer,
        now: i64,
        out: &mut Vec<CallEvent>,
    ) {
        let Some(call) = self.calls.get_mut(linkedid) else {
            return;
        };
        call.epoch = self.epoch;
        call.transfers.push(transfer.clone());
        self.emit(out, linkedid, now, CallEventKind::Transferred(transfer));
    }

    pub(super) fn on_blind_transfer(&mut self, msg: &Message, now: i64, out: &mut Vec<CallEvent>) {
        let transferer = msg.get("TransfererUniqueid");
        let Some(linkedid) = self.call_of(
            &[msg.get("TransfereeUniqueid"), transferer],
            &[msg.get("TransfereeLinkedid"), msg.get("TransfererLinkedid")],
        ) else {
            return;
        };
        let succeeded = msg.get("Result") == Some("Success");
        let exten = msg.get("Extension");
        let target = exten.map(|e| match msg.get("Context") {
            Some(ctx) if !ctx.is_empty() => format!("{e}@{ctx}"),
            _ => e.to_owned(),
        });
        let ext_of = |i: usize| self.dir.agent(i).extension.clone();
        let transfer = Transfer {
            kind: TransferKind::Blind,
            succeeded,
            from_extension: self.agent_of(transferer).map(ext_of),
            to_extension: exten
                .and_then(|e| self.dir.agent_by_extension(e))
                .map(ext_of),
            target,
            at_ms: to_ms(now),
        };
        if succeeded {
            self.mark_transferer(transferer);
        }
        self.record_transfer(&linkedid, transfer, now, out);
    }

    pub(super) fn on_attended_transfer(
        &mut self,
        msg: &Message,
        now: i64,
        out: &mut Vec<CallEvent>,
    ) {
        let orig = msg.get("OrigTransfererUniqueid");
        let second = msg.get("SecondTransfererUniqueid");
        let Some(linkedid) = self.call_of(
            &[msg.get("TransfereeUniqueid"), orig],
            &[
                msg.get("TransfereeLinkedid"),
                msg.get("OrigTransfererLinkedid"),
            ],
        ) else {
            return;
        };
        let succeeded = msg.get("Result") == Some("Success");
        let target_channel = msg.get("TransferTargetChannel");
        let to_agent = self
            .agent_of(msg.get("TransferTargetUniqueid"))
            .or_else(|| match target_channel.map(|c| self.dir.classify(c)) {
                Some(Party::Agent(agent)) => Some(agent),
                _ => None,
            })
            .or_else(|| {
                msg.get("SecondTransfererConnectedLineNum")
                    .and_then(|n| self.dir.agent_by_extension(n))
            });
        let ext_of = |i: usize| self.dir.agent(i).extension.clone();
        let transfer = Transfer {
            kind: TransferKind::Attended,
            succeeded,
            from_extension: self.agent_of(orig).or(self.agent_of(second)).map(ext_of),
            to_extension: to_agent.map(ext_of),
            target: target_channel
                .or_else(|| msg.get("DestApp"))
                .map(str::to_owned),
            at_ms: to_ms(now),
        };
        if succeeded {
            self.mark_transferer(orig);
            self.mark_transferer(second);
            // The transferer hanging up is what completed the transfer (Asterisk sends
            // its HangupRequest first): that hang-up did not end the call.
            if let Some(call) = self.calls.get_mut(&linkedid)
                && call.hangup_channel.is_some()
                && [orig, second].contains(&call.hangup_channel.as_deref())
            {
                call.hangup_by = None;
                call.hangup_channel = None;
            }
        }
        self.record_transfer(&linkedid, transfer, now, out);
    }
}
