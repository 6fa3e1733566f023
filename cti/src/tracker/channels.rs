//! Channel life cycle: `Newchannel` (a call starts or grows), `Newstate` (a leg goes Up),
//! `HangupRequest`/`SoftHangupRequest` (who ends it), `Hangup` (a leg goes; the last one
//! ends the call), `LocalBridge` (pairs Local halves), and Linkedid changes (bridging moves
//! a channel into the call of the oldest Linkedid, e.g. the target of an attended
//! transfer).

use std::borrow::Cow;

use super::call::{Call, Channel};
use super::settings::Party;
use super::{CallEvent, CallEventKind, CallTracker, Direction, HangupBy};
use crate::ami::Message;

/// `None` for Asterisk's placeholders of a missing caller ID.
pub(crate) fn known(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.is_empty() && *s != "<unknown>")
}

impl CallTracker {
    /// The call of the channel this event is about: follows a Linkedid change and picks up
    /// the click-to-call id and DID from the channel variables. Returns the channel's
    /// Uniqueid and the call's Linkedid.
    pub(super) fn prelude<'m>(
        &mut self,
        msg: &'m Message,
        now: i64,
        out: &mut Vec<CallEvent>,
    ) -> Option<(&'m str, Cow<'m, str>)> {
        let uid = msg.get("Uniqueid")?;
        let channel = self.channels.get(uid)?;
        let linkedid = match msg.get("Linkedid") {
            Some(l) if l != channel.linkedid => {
                self.move_channel(uid, l, now, out);
                Cow::Borrowed(l)
            }
            Some(l) => Cow::Borrowed(l),
            None => Cow::Owned(channel.linkedid.clone()),
        };
        let call = self.calls.get_mut(linkedid.as_ref())?;
        call.epoch = self.epoch;
        call.lost_us = None;
        if call.click_id.is_none() {
            let var = &self.settings.click_id_variable;
            if let Some(id) = msg.chan_variable(var).filter(|v| !v.is_empty()) {
                call.click_id = Some(id.to_owned());
            }
        }
        if call.did.is_none()
            && call.direction == Some(Direction::Inbound)
            && let Some(did) = msg.chan_variable("DID").filter(|v| !v.is_empty())
        {
            call.did = Some(did.to_owned());
        }
        Some((uid, linkedid))
    }

    /// Moves a channel to the call `to` (its Linkedid changed).
    fn move_channel(&mut self, uid: &str, to: &str, now: i64, out: &mut Vec<CallEvent>) {
        if self.finished_set.contains(to) {
            return;
        }
        let Some(channel) = self.channels.get_mut(uid) else {
            return;
        };
        let from = std::mem::replace(&mut channel.linkedid, to.to_owned());
        let (party, up) = (channel.party, channel.up_us.is_some());
        self.touch(&from);
        self.touch(to);
        let mut emptied = false;
        if let Some(old) = self.calls.get_mut(&from) {
            old.live.retain(|c| c != uid);
            old.hold_stop(uid, None, now);
            emptied = old.live.is_empty();
            self.agent_down(&from, uid, now, out);
        }
        let epoch = self.epoch;
        let call = self
            .calls
            .entry(to.to_owned())
            .or_insert_with(|| Call::new(now, false, epoch));
        call.live.push(uid.to_owned());
        if let (Party::Agent(agent), true) = (party, up) {
            self.agent_up(to, agent, uid, now, out);
        }
        if emptied {
            self.finish(&from, now, true, out);
        }
    }

    /// Starts tracking a channel (from `Newchannel`, or a resync listing); a new Linkedid
    /// opens a call.
    pub(super) fn add_channel(&mut self, msg: &Message, now: i64, start_known: bool) -> bool {
        let (Some(uid), Some(name)) = (msg.get("Uniqueid"), msg.get("Channel")) else {
            return false;
        };
        if self.channels.contains_key(uid) {
            return false;
        }
        let linkedid = msg.get("Linkedid").unwrap_or(uid);
        if self.finished_set.contains(linkedid) {
            return false;
        }
        let party = self.dir.classify(name);
        let up = msg.get("ChannelState") == Some("6");
        self.channels.insert(
            uid.to_owned(),
            Channel {
                linkedid: linkedid.to_owned(),
                party,
                up_us: up.then_some(now),
                local_peer: None,
            },
        );
        let epoch = self.epoch;
        let call = self
            .calls
            .entry(linkedid.to_owned())
            .or_insert_with(|| Call::new(now, start_known && uid == linkedid, epoch));
        call.live.push(uid.to_owned());
        if matches!(party, Party::Local(_)) {
            return true;
        }
        // Joining mid-call (resync), only the channel named by the Linkedid is the origin.
        if call.origin.is_none() && (call.start_known || uid == linkedid) {
            call.origin = Some(uid.to_owned());
            call.origin_party = Some(party);
            match party {
                Party::Trunk => {
                    call.direction = Some(Direction::Inbound);
                    call.customer = Some(uid.to_owned());
                    call.customer_number_raw = known(msg.get("CallerIDNum")).map(str::to_owned);
                    // Asterisk escapes the name C-style in channel events.
                    call.customer_name = known(msg.get("CallerIDName"))
                        .map(|name| crate::ami::unescape_c(name).into_owned());
                    call.did = known(msg.get("Exten"))
                        .filter(|e| *e != "s")
                        .map(str::to_owned);
                }
                Party::Agent(agent) => call.caller_agent = Some(agent),
                Party::Local(_) | Party::Other => {}
            }
        } else if party == Party::Trunk && call.direction.is_none() && call.origin.is_some() {
            call.direction = Some(Direction::Outbound);
            call.customer = Some(uid.to_owned());
        }
        true
    }

    pub(super) fn on_newchannel(&mut self, msg: &Message, now: i64, out: &mut Vec<CallEvent>) {
        if !self.add_channel(msg, now, true) {
            return;
        }
        let Some((_, linkedid)) = self.prelude(msg, now, out) else {
            return;
        };
        let Some(call) = self.calls.get_mut(linkedid.as_ref()) else {
            return;
        };
        if call.direction == Some(Direction::Inbound) && !call.started_emitted {
            call.started_emitted = true;
            call.customer_number_e164 = call
                .customer_number_raw
                .as_deref()
                .and_then(|n| self.normalizer.as_ref().and_then(|f| f(n)));
            let kind = CallEventKind::Started {
                direction: Direction::Inbound,
                customer_number_raw: call.customer_number_raw.clone(),
                customer_number_e164: call.customer_number_e164.clone(),
                customer_name: call.customer_name.clone(),
                did: call.did.clone(),
                agent_extension: None,
            };
            self.emit(out, &linkedid, now, kind);
        }
    }

    pub(super) fn on_newstate(&mut self, msg: &Message, now: i64, out: &mut Vec<CallEvent>) {
        if msg.get("ChannelState") != Some("6") {
            return;
        }
        let Some((uid, linkedid)) = self.prelude(msg, now, out) else {
            return;
        };
        let Some(channel) = self.channels.get_mut(uid) else {
            return;
        };
        if channel.up_us.is_some() {
            return;
        }
        channel.up_us = Some(now);
        let party = channel.party;
        let Some(call) = self.calls.get_mut(linkedid.as_ref()) else {
            return;
        };
        if call.origin.as_deref() == Some(uid) {
            call.origin_up_us = Some(now);
        } else if let Party::Agent(agent) = party {
            self.agent_up(&linkedid, agent, uid, now, out);
        }
    }

    pub(super) fn on_hangup_request(&mut self, msg: &Message, now: i64, out: &mut Vec<CallEvent>) {
        let Some((uid, linkedid)) = self.prelude(msg, now, out) else {
            return;
        };
        let Some(channel) = self.channels.get(uid) else {
            return;
        };
        let Some(call) = self.calls.get_mut(linkedid.as_ref()) else {
            return;
        };
        if call.hangup_by.is_some() || call.transferers.iter().any(|t| t == uid) {
            return;
        }
        // A device's own BYE; an agent counts once connected (or as the caller).
        call.hangup_by = match channel.party {
            Party::Trunk => Some((HangupBy::Customer, None)),
            Party::Agent(agent)
                if channel.up_us.is_some() || call.origin.as_deref() == Some(uid) =>
            {
                Some((HangupBy::Agent, Some(agent)))
            }
            Party::Agent(_) | Party::Local(_) | Party::Other => None,
        };
        if call.hangup_by.is_some() {
            call.hangup_channel = Some(uid.to_owned());
        }
    }

    pub(super) fn on_soft_hangup_request(
        &mut self,
        msg: &Message,
        now: i64,
        out: &mut Vec<CallEvent>,
    ) {
        // Cause is the soft-hangup flag set; 0x04 is AST_SOFTHANGUP_SHUTDOWN.
        let shutdown = msg
            .get("Cause")
            .and_then(|c| c.parse::<u32>().ok())
            .is_some_and(|c| c & 0x04 != 0);
        if !shutdown {
            return;
        }
        let Some((_, linkedid)) = self.prelude(msg, now, out) else {
            return;
        };
        if let Some(call) = self.calls.get_mut(linkedid.as_ref()) {
            call.hangup_by.get_or_insert((HangupBy::System, None));
        }
    }

    pub(super) fn on_hangup(&mut self, msg: &Message, now: i64, out: &mut Vec<CallEvent>) {
        let Some((uid, linkedid)) = self.prelude(msg, now, out) else {
            return;
        };
        self.channels.remove(uid);
        let Some(call) = self.calls.get_mut(linkedid.as_ref()) else {
            return;
        };
        call.live.retain(|c| c != uid);
        call.ended_us = Some(call.ended_us.map_or(now, |e| e.max(now)));
        if call.talk_channel() == Some(uid) {
            call.hangup_cause = msg.get("Cause").and_then(|c| c.parse().ok());
            call.customer_hangup_us = Some(now);
        }
        let unheld = call.hold_stop(uid, None, now);
        self.agent_down(&linkedid, uid, now, out);
        self.settle_attempt(&linkedid, uid, "", now, out);
        if let Some(hold_ms) = unheld {
            self.emit(out, &linkedid, now, CallEventKind::Unheld { hold_ms });
        }
        if self
            .calls
            .get(linkedid.as_ref())
            .is_some_and(|c| c.live.is_empty())
        {
            let end = self
                .calls
                .get(linkedid.as_ref())
                .and_then(|c| c.ended_us)
                .unwrap_or(now);
            self.finish(&linkedid, end, true, out);
        }
    }

    pub(super) fn on_local_bridge(&mut self, msg: &Message) {
        let (Some(one), Some(two)) = (msg.get("LocalOneUniqueid"), msg.get("LocalTwoUniqueid"))
        else {
            return;
        };
        if let Some(c) = self.channels.get_mut(one) {
            c.local_peer = Some(two.to_owned());
        }
        if let Some(c) = self.channels.get_mut(two) {
            c.local_peer = Some(one.to_owned());
        }
    }
}
