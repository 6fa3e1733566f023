//! The actions the simulated PBX answers, with the texts of Asterisk 22 (10-state-queries,
//! 10-failed-login, 04-click-to-call): `Login` (plain or after `Challenge`), `Logoff`,
//! `Ping`, `Events`, `CoreShowChannels`, `QueueStatus`, `QueueSummary`, `Originate`,
//! `QueuePause`; anything else is an unknown command (and a `RequestBadFormat` event).

use rand::RngExt;
use secrecy::ExposeSecret;

use super::calls::OriginateRequest;
use super::clock::{event_tv, timestamp};
use super::engine::ReceivedAction;
use super::event::{ClassMask, SimEvent};
use super::lists;
use super::replay::ReplayFeed;
use super::session::{Auth, ClientSession, Flow};
use super::state::PbxState;
use crate::ami::Message;
use crate::ami::client::challenge_key;

fn response(kind: &str, id: Option<&str>, message: impl Into<String>) -> SimEvent {
    SimEvent::new("Response", kind)
        .with_action_id(id)
        .with("Message", message)
}

/// The action as logged: `Secret` and `Key` never kept.
fn received(action: &Message) -> ReceivedAction {
    let headers = action
        .headers()
        .filter(|h| !h.key.eq_ignore_ascii_case(b"Action"))
        .map(|h| {
            let key = String::from_utf8_lossy(h.key).into_owned();
            let secret = key.eq_ignore_ascii_case("Secret") || key.eq_ignore_ascii_case("Key");
            let value = if secret {
                "<redacted>".to_owned()
            } else {
                h.value_lossy().into_owned()
            };
            (key, value)
        })
        .collect();
    ReceivedAction {
        name: action.get_lossy("Action").unwrap_or_default().into_owned(),
        headers,
    }
}

/// Asterisk's `ast_true`.
fn is_true(value: &str) -> bool {
    ["yes", "true", "y", "t", "1", "on"]
        .iter()
        .any(|t| t.eq_ignore_ascii_case(value.trim()))
}

impl ClientSession {
    /// Handles one action.
    pub(crate) async fn on_action(&mut self, action: Message) -> Flow {
        self.engine.record_action(received(&action));
        let name = action.get_lossy("Action").unwrap_or_default().into_owned();
        let id = action.action_id().map(str::to_owned);
        let id = id.as_deref();
        let answer = match name.to_ascii_lowercase().as_str() {
            "" => vec![response("Error", id, "Missing action in request")],
            "login" => return self.login(&action, id).await,
            "challenge" => self.challenge(&action, id),
            "logoff" => {
                let _ = self
                    .send(&[response("Goodbye", id, "Thanks for all the fish.")])
                    .await;
                return Flow::Close;
            }
            _ if self.auth != Auth::LoggedIn => vec![response("Error", id, "Permission denied")],
            "ping" => vec![
                SimEvent::new("Response", "Success")
                    .with_action_id(id)
                    .with("Ping", "Pong")
                    .with("Timestamp", timestamp(self.engine.clock.now())),
            ],
            "events" => {
                self.mask = ClassMask::parse(action.get("EventMask").unwrap_or("off"));
                let on = if self.mask == ClassMask::NONE {
                    "Off"
                } else {
                    "On"
                };
                vec![
                    SimEvent::new("Response", "Success")
                        .with_action_id(id)
                        .with("Events", on),
                ]
            }
            list @ ("coreshowchannels" | "queuestatus" | "queuesummary") => {
                return self.list(list, &action, id).await;
            }
            "originate" => self.originate(&action, id),
            "queuepause" => self.queue_pause(&action, id),
            _ => {
                self.bad_request(&name);
                let text = format!(
                    "Invalid/unknown command: {name}. Use Action: ListCommands to show available commands."
                );
                vec![response("Error", id, text)]
            }
        };
        match self.send(&answer).await {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Close,
        }
    }

    fn challenge(&mut self, action: &Message, id: Option<&str>) -> Vec<SimEvent> {
        if !action
            .get("AuthType")
            .is_some_and(|t| t.eq_ignore_ascii_case("MD5"))
        {
            return vec![response("Error", id, "Must specify AuthType")];
        }
        let challenge = self
            .engine
            .lock()
            .rng
            .random_range(100_000_000..1_000_000_000u32);
        let challenge = challenge.to_string();
        self.auth = Auth::Challenged(challenge.clone());
        vec![
            SimEvent::new("Response", "Success")
                .with_action_id(id)
                .with("Challenge", challenge),
        ]
    }

    async fn login(&mut self, action: &Message, id: Option<&str>) -> Flow {
        if self.auth == Auth::LoggedIn {
            let ok = self
                .send(&[response("Success", id, "Already authenticated")])
                .await;
            return if ok.is_ok() {
                Flow::Continue
            } else {
                Flow::Close
            };
        }
        let settings = &self.engine.settings;
        let secret = settings.secret.expose_secret();
        let md5 = action
            .get("AuthType")
            .is_some_and(|t| t.eq_ignore_ascii_case("MD5"));
        let proof_ok = match (&self.auth, md5) {
            (Auth::Challenged(challenge), true) => {
                action.get("Key") == Some(challenge_key(challenge, &settings.secret).as_str())
            }
            (_, true) => false,
            (_, false) => action.get("Secret") == Some(secret),
        };
        if !(proof_ok && action.get("Username") == Some(settings.username.as_str())) {
            tracing::info!(peer = %self.peer, "simulated PBX refused a login");
            tokio::time::sleep(settings.failed_login_delay).await;
            let _ = self
                .send(&[response("Error", id, "Authentication failed")])
                .await;
            return Flow::Close;
        }
        self.auth = Auth::LoggedIn;
        self.mask = ClassMask::parse(action.get("Events").unwrap_or("on"));
        match &settings.replay {
            Some(replay) => {
                self.replay = Some(ReplayFeed::new(
                    replay,
                    &self.engine.replay_items,
                    self.engine.clock,
                ));
                self.replay_state = Some(PbxState::new(settings, self.engine.clock.boot_seconds()));
            }
            None => self.live = Some(self.engine.subscribe()),
        }
        let booted = SimEvent::new("Event", "FullyBooted")
            .with("Privilege", "system,all")
            .with("Uptime", self.engine.clock.uptime_seconds().to_string())
            .with("LastReload", self.engine.clock.uptime_seconds().to_string())
            .with("Status", "Fully Booted");
        let accepted = response("Success", id, "Authentication accepted");
        if self.send(&[accepted, booted]).await.is_err() {
            return Flow::Close;
        }
        let at = self.engine.clock.now();
        let auth = self
            .security_event("SuccessfulAuth", "Informational", at)
            .with("UsingPassword", "0")
            .with("SessionTV", event_tv(self.opened));
        if self.replay.is_some() {
            return match self.send(&[auth]).await {
                Ok(()) => Flow::Continue,
                Err(_) => Flow::Close,
            };
        }
        self.engine.emit(auth, at);
        Flow::Continue
    }

    fn security_event(&self, name: &str, severity: &str, at: i64) -> SimEvent {
        let address = |a: std::net::SocketAddr| {
            let family = if a.is_ipv4() { "IPV4" } else { "IPV6" };
            format!("{family}/TCP/{}/{}", a.ip(), a.port())
        };
        SimEvent::new("Event", name)
            .with("Privilege", "security,all")
            .with("Timestamp", timestamp(at))
            .with("EventTV", event_tv(at))
            .with("Severity", severity)
            .with("Service", "AMI")
            .with("EventVersion", "1")
            .with("AccountID", self.engine.settings.username.as_str())
            .with("SessionID", self.session_id.as_str())
            .with("LocalAddress", address(self.local))
            .with("RemoteAddress", address(self.peer))
    }

    fn bad_request(&self, name: &str) {
        let at = self.engine.clock.now();
        let event = self
            .security_event("RequestBadFormat", "Error", at)
            .with("RequestType", format!("Action: {name}"))
            .with("SessionTV", event_tv(self.opened));
        let event = move_account_id(event, &self.engine.settings.username);
        self.engine.emit(event, at);
    }

    async fn list(&mut self, list: &str, action: &Message, id: Option<&str>) -> Flow {
        let now = self.engine.clock.now();
        let build = |state: &PbxState| match list {
            "coreshowchannels" => lists::core_show_channels(state, id, now),
            "queuestatus" => {
                lists::queue_status(state, id, action.get("Queue"), action.get("Member"), now)
            }
            _ => lists::queue_summary(state, id, action.get("Queue"), now),
        };
        let (answer, drained) = match &self.replay_state {
            Some(state) => (build(state), Vec::new()),
            None => {
                let inner = self.engine.lock();
                let answer = build(&inner.state);
                (answer, Self::drain_live(&mut self.live))
            }
        };
        if self.send_drained(drained).await.is_err() || self.send(&answer).await.is_err() {
            return Flow::Close;
        }
        Flow::Continue
    }

    fn originate(&mut self, action: &Message, id: Option<&str>) -> Vec<SimEvent> {
        let Some(channel) = action.get("Channel").filter(|c| !c.is_empty()) else {
            return vec![response("Error", id, "Channel not specified")];
        };
        let exten = action.get("Exten").unwrap_or_default();
        if exten.is_empty() {
            return vec![response("Error", id, "Exten not specified")];
        }
        let click_id = action
            .get_all("Variable")
            .filter_map(|v| v.split_once('='))
            .find(|(name, _)| name.trim_start_matches('_') == "TAMAS_CLICK_ID")
            .map(|(_, value)| value.to_owned())
            .unwrap_or_default();
        let request = OriginateRequest {
            channel: channel.to_owned(),
            context: action.get("Context").unwrap_or_default().to_owned(),
            exten: exten.to_owned(),
            caller_name: action.get("CallerID").map(caller_id_name),
            caller_number: action.get("CallerID").and_then(caller_id_number),
            timeout_ms: action
                .get("Timeout")
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(DEFAULT_ORIGINATE_TIMEOUT_MS),
            click_id,
            action_id: id.map(str::to_owned),
        };
        self.engine.originate(request);
        vec![response("Success", id, "Originate successfully queued")]
    }

    fn queue_pause(&mut self, action: &Message, id: Option<&str>) -> Vec<SimEvent> {
        let Some(interface) = action.get("Interface").filter(|i| !i.is_empty()) else {
            return vec![response("Error", id, "Need 'Interface' parameter.")];
        };
        let Some(paused) = action.get("Paused") else {
            return vec![response("Error", id, "Need 'Paused' parameter.")];
        };
        let paused = is_true(paused);
        let reason = action.get("Reason").unwrap_or_default();
        let changed = self
            .engine
            .queue_pause(interface, action.get("Queue"), paused, reason);
        if changed == 0 {
            return vec![response("Error", id, "Interface not found")];
        }
        let message = if paused {
            "Interface paused successfully"
        } else {
            "Interface unpaused successfully"
        };
        vec![response("Success", id, message)]
    }
}

/// `"Click-to-call" <09127654321>` → `Click-to-call`.
fn caller_id_name(caller_id: &str) -> String {
    let caller_id = caller_id.trim();
    if let Some(rest) = caller_id.strip_prefix('"')
        && let Some((name, _)) = rest.split_once('"')
    {
        return name.to_owned();
    }
    match caller_id.split_once('<') {
        Some((name, _)) if !name.trim().is_empty() => name.trim().to_owned(),
        Some((_, number)) => number.trim_end_matches('>').to_owned(),
        None => caller_id.to_owned(),
    }
}

/// Asterisk's `Originate` rings the first channel this long without a `Timeout`.
const DEFAULT_ORIGINATE_TIMEOUT_MS: u64 = 30_000;

/// `"Click-to-call" <09127654321>` → `09127654321`; `None` without `<…>`.
fn caller_id_number(caller_id: &str) -> Option<String> {
    let (_, rest) = caller_id.split_once('<')?;
    let number = rest.split_once('>').map_or(rest, |(n, _)| n).trim();
    (!number.is_empty()).then(|| number.to_owned())
}

/// Asterisk puts `AccountID` last in `RequestBadFormat` (after `SessionTV`), but before
/// `SessionID` in `SuccessfulAuth`.
fn move_account_id(mut event: SimEvent, user: &str) -> SimEvent {
    event.headers.retain(|(k, _)| k != "AccountID");
    event.push("AccountID", user);
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_id_names() {
        assert_eq!(
            caller_id_name("\"Click-to-call\" <09127654321>"),
            "Click-to-call"
        );
        assert_eq!(
            caller_id_number("\"Click-to-call\" <09127654321>").as_deref(),
            Some("09127654321")
        );
        assert_eq!(caller_id_number("Ali"), None);
        assert_eq!(caller_id_name("Sales <0212>"), "Sales");
        assert_eq!(caller_id_name("<0212>"), "0212");
        assert_eq!(caller_id_name("plain"), "plain");
    }

    #[test]
    fn ast_true() {
        assert!(is_true("true") && is_true("Yes") && is_true("1"));
        assert!(!is_true("false") && !is_true("0") && !is_true(""));
    }
}
