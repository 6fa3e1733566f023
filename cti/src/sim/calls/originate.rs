//! The calls an `Originate` asks for (click-to-call): placed like any call when the
//! agent's phone is free, or failed as Asterisk fails them when it is busy, does not
//! answer or does not exist.

use std::sync::Arc;

use tokio::time::sleep_until;

use super::{CallSpec, Extras};
use crate::sim::SimError;
use crate::sim::clock::timestamp;
use crate::sim::engine::Engine;
use crate::sim::event::SimEvent;
use crate::sim::scenarios::Scenario;

/// What an `Originate` asked for.
#[derive(Clone, Debug)]
pub(crate) struct OriginateRequest {
    pub(crate) channel: String,
    pub(crate) context: String,
    pub(crate) exten: String,
    pub(crate) caller_name: Option<String>,
    /// The number of the Originate's `CallerID`.
    pub(crate) caller_number: Option<String>,
    /// How long the first channel may ring (`Timeout`, ms).
    pub(crate) timeout_ms: u64,
    pub(crate) click_id: String,
    pub(crate) action_id: Option<String>,
}

/// Why a click-to-call's `Originate` fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OriginateFailure {
    /// The agent's phone is busy.
    Busy,
    /// The agent's phone rings until the timeout.
    NoAnswer,
    /// No channel could be requested (an unknown agent).
    Unavailable,
}

impl OriginateFailure {
    /// The `OriginateResponse` `Reason`, as Asterisk's `pbx_dial_reason` (main/pbx.c) maps
    /// the dial's cause to an `AST_CONTROL_*` value: user busy (17) → 5 (`BUSY`), no answer
    /// at the ring timeout (19) → 3 (`RINGING`), a channel that could not be requested → 0.
    fn reason(self) -> &'static str {
        match self {
            OriginateFailure::Busy => "5",
            OriginateFailure::NoAnswer => "3",
            OriginateFailure::Unavailable => "0",
        }
    }
}

/// The agent's phone channel of a failing `Originate`: the values its events carry.
struct AgentLeg {
    channel: String,
    uniqueid: String,
    /// The agent's configured name (`<unknown>` for no agent).
    name: String,
    extension: String,
    context: String,
    /// The `TAMAS_CLICK_ID=…` channel variable.
    click: String,
}

impl AgentLeg {
    /// One of the channel's events at `at`, in channel state `state` (number, name).
    fn event(&self, event: &str, at: i64, state: (&str, &str)) -> SimEvent {
        SimEvent::new("Event", event)
            .with("Privilege", "call,all")
            .with("Timestamp", timestamp(at))
            .with("Channel", self.channel.as_str())
            .with("ChannelState", state.0)
            .with("ChannelStateDesc", state.1)
            .with("CallerIDNum", self.extension.as_str())
            .with("CallerIDName", self.name.as_str())
            .with("ConnectedLineNum", "<unknown>")
            .with("ConnectedLineName", "<unknown>")
            .with("Language", "en")
            .with("AccountCode", "")
            .with("Context", self.context.as_str())
            .with("Exten", "s")
            .with("Priority", "1")
            .with("Uniqueid", self.uniqueid.as_str())
            .with("Linkedid", self.uniqueid.as_str())
            .with("ChanVariable", "DID=")
            .with("ChanVariable", self.click.as_str())
    }
}

impl Engine {
    /// Carries out an `Originate` (already answered "queued"): the agent's phone rings and
    /// answers, then the customer; or an `OriginateResponse` failure when the channel is not
    /// a free agent's phone.
    pub(crate) fn originate(self: &Arc<Self>, request: OriginateRequest) {
        let extension = request.channel.strip_prefix("PJSIP/").unwrap_or("");
        let spec = CallSpec {
            scenario: Scenario::ClickToCall,
            customer_number: Some(request.exten.clone()),
            customer_name: None,
            agent: Some(extension.to_owned()),
            extra_talk: None,
            extra_wait: None,
        };
        let extras = Extras {
            click_id: request.click_id.clone(),
            origin_name: request
                .caller_name
                .clone()
                .unwrap_or_else(|| request.exten.clone()),
            action_id: request.action_id.clone(),
        };
        let unanswering = {
            let mut inner = self.lock();
            let ringable = inner.unanswering.contains(extension) && !inner.busy.contains(extension);
            if ringable {
                inner.busy.insert(extension.to_owned());
            }
            ringable
        };
        let failure = if unanswering {
            OriginateFailure::NoAnswer
        } else {
            match self.place_with(spec, extras) {
                Ok(_) => return,
                Err(SimError::AgentBusy(_)) => OriginateFailure::Busy,
                Err(_) => OriginateFailure::Unavailable,
            }
        };
        let engine = Arc::clone(self);
        tokio::spawn(async move { engine.originate_failed(request, failure).await });
    }

    /// An `Originate` whose first channel (the agent's phone) is not picked up, as
    /// Asterisk reports it: the phone's channel is created; busy, it hangs up at once
    /// (cause 17); unanswered, it rings until the Originate's `Timeout` and is hung up
    /// (cause 19). Then the `OriginateResponse` says `Failure` with the last control frame
    /// as `Reason` (5 busy, 3 ringing; 0 when the channel could not be requested at all),
    /// `Uniqueid: <unknown>` (no `ChannelId` was asked for; Asterisk 14 and later, older ones
    /// wrote `<null>`) and the requested channel's name (the channel is gone), and the
    /// Originate's caller ID.
    async fn originate_failed(
        self: Arc<Self>,
        request: OriginateRequest,
        failure: OriginateFailure,
    ) {
        let start = self.clock.now();
        let mut end = start;
        if failure != OriginateFailure::Unavailable {
            match self.fail_agent_leg(&request, failure, start).await {
                Some(hung_up) => end = hung_up,
                None => return,
            }
        }
        let at = end + 30_000;
        tokio::select! {
            () = sleep_until(self.clock.instant_of(at)) => {}
            () = self.shutdown.cancelled() => return,
        }
        let caller_number = request.caller_number.as_deref().unwrap_or("<unknown>");
        let caller_name = request.caller_name.as_deref().unwrap_or("<unknown>");
        let event = SimEvent::new("Event", "OriginateResponse")
            .with("Privilege", "call,all")
            .with("Timestamp", timestamp(at))
            .with_action_id(request.action_id.as_deref())
            .with("Response", "Failure")
            .with("Channel", request.channel.as_str())
            .with("Context", request.context.as_str())
            .with("Exten", request.exten.as_str())
            .with("Reason", failure.reason())
            .with("Uniqueid", "<unknown>")
            .with("CallerIDNum", caller_number)
            .with("CallerIDName", caller_name);
        self.emit(event, at);
    }

    /// The agent's phone channel of a failing `Originate` from `start` on: created, ringing
    /// until the timeout when unanswered, hung up. Returns when it hung up, `None` when the
    /// simulator shut down first.
    async fn fail_agent_leg(
        &self,
        request: &OriginateRequest,
        failure: OriginateFailure,
        start: i64,
    ) -> Option<i64> {
        let leg = self.agent_leg(request);
        self.emit(leg.event("Newchannel", start, ("0", "Down")), start);
        let (end, state, cause) = if failure == OriginateFailure::NoAnswer {
            let ringing = start + 20_000;
            self.emit(leg.event("Newstate", ringing, ("5", "Ringing")), ringing);
            let end = ringing
                + i64::try_from(request.timeout_ms.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
            (end, ("5", "Ringing"), ("19", "No answer"))
        } else {
            (start + 20_000, ("0", "Down"), ("17", "User busy"))
        };
        tokio::select! {
            () = sleep_until(self.clock.instant_of(end)) => {}
            () = self.shutdown.cancelled() => return None,
        }
        let hangup = leg
            .event("Hangup", end, state)
            .with("Cause", cause.0)
            .with("Cause-txt", cause.1);
        self.emit(hangup, end);
        if failure == OriginateFailure::NoAnswer {
            self.lock().busy.remove(&leg.extension);
        }
        Some(end)
    }

    /// A new channel name and Uniqueid for the agent's phone the `Originate` rings.
    fn agent_leg(&self, request: &OriginateRequest) -> AgentLeg {
        let extension = request
            .channel
            .strip_prefix("PJSIP/")
            .unwrap_or("")
            .to_owned();
        let mut inner = self.lock();
        let channel = format!("{}-{:08x}", request.channel, inner.next_channel);
        inner.next_channel += 1;
        let uniqueid = format!("{}.{}", self.clock.boot_seconds(), inner.next_uniqueid);
        inner.next_uniqueid += 1;
        let name = self
            .settings
            .agents
            .iter()
            .find(|a| a.extension == *extension)
            .map_or_else(|| "<unknown>".to_owned(), |a| a.name.clone());
        drop(inner);
        AgentLeg {
            channel,
            uniqueid,
            name,
            extension,
            context: request.context.clone(),
            click: format!("TAMAS_CLICK_ID={}", request.click_id),
        }
    }
}
