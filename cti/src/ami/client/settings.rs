//! What the AMI client needs to know: where the PBX is, how to log in, how often to ping,
//! how long to wait, and how to back off between connection attempts.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;

/// How the client proves who it is at `Login`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthMethod {
    /// `Secret: <secret>` in the clear (what most AMI clients do on loopback).
    #[default]
    Plain,
    /// `Action: Challenge` / `AuthType: MD5`, then `Key: md5(challenge + secret)`: the secret
    /// never crosses the wire.
    Md5,
}

/// The `Events` header sent with `Login`: which event classes the PBX sends us.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum EventMask {
    /// `Events: on`: every class the AMI user may read.
    #[default]
    On,
    /// `Events: off`: responses only (no resync, no tracking; for tools).
    Off,
    /// `Events: call,agent,…`: only these classes.
    Classes(Vec<String>),
}

impl fmt::Display for EventMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventMask::On => f.write_str("on"),
            EventMask::Off => f.write_str("off"),
            EventMask::Classes(classes) => f.write_str(&classes.join(",")),
        }
    }
}

/// Bounds of the delay between two connection attempts.
///
/// The delay doubles from `min` with every failed attempt up to `max`, with random jitter so
/// that several clients do not reconnect in step; a refused login always waits about `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackoffSettings {
    /// The first delay after a connection is lost.
    pub min: Duration,
    /// The longest delay, also used after a refused login.
    pub max: Duration,
}

impl Default for BackoffSettings {
    fn default() -> Self {
        BackoffSettings {
            min: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

/// Settings of one AMI connection ([`AmiClient::connect`](super::AmiClient::connect)).
///
/// `Debug` never shows the secret.
#[derive(Clone, Debug)]
pub struct AmiClientSettings {
    /// Host name or address of the PBX.
    pub host: String,
    /// AMI TCP port (Asterisk's default is 5038).
    pub port: u16,
    /// The `[user]` of `manager.conf`.
    pub username: String,
    /// That user's `secret`.
    pub secret: SecretString,
    /// Plain or MD5-challenge login.
    pub auth: AuthMethod,
    /// The `Events` header of the login.
    pub events: EventMask,
    /// How often a `Ping` is sent to find out whether the PBX is still there.
    pub ping_interval: Duration,
    /// How long a `Ping` may go unanswered (with nothing else from the PBX waiting to be
    /// read) before the connection is declared dead, closed and opened again.
    pub ping_timeout: Duration,
    /// How long an action may wait for its response (and the TCP connect and login for
    /// theirs, and a write to a PBX that stopped reading) before it fails with a timeout.
    pub action_timeout: Duration,
    /// Delays between connection attempts.
    pub backoff: BackoffSettings,
    /// Capacity of the event channel to the consumer. When it is full the client stops
    /// reading the socket (backpressure onto the PBX), it never drops an event.
    pub event_buffer: usize,
}

impl AmiClientSettings {
    /// Settings with the defaults: plain login, `Events: on`, ping every 20 s (dead after
    /// 10 s without an answer), 10 s action timeout, backoff from 0.5 s to 30 s, a buffer of 1024 events.
    pub fn new(
        host: impl Into<String>,
        port: u16,
        username: impl Into<String>,
        secret: SecretString,
    ) -> Self {
        AmiClientSettings {
            host: host.into(),
            port,
            username: username.into(),
            secret,
            auth: AuthMethod::Plain,
            events: EventMask::On,
            ping_interval: Duration::from_secs(20),
            ping_timeout: Duration::from_secs(10),
            action_timeout: Duration::from_secs(10),
            backoff: BackoffSettings::default(),
            event_buffer: 1024,
        }
    }

    /// `host:port`, for connecting and for log lines.
    pub fn address(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_does_not_show_the_secret() {
        let settings = AmiClientSettings::new("127.0.0.1", 5038, "cti", "cti-secret".into());
        let shown = format!("{settings:?}");
        assert!(!shown.contains("cti-secret"), "{shown}");
        assert!(shown.contains("cti"));
    }

    #[test]
    fn event_mask_and_address_formats() {
        assert_eq!(EventMask::On.to_string(), "on");
        assert_eq!(EventMask::Off.to_string(), "off");
        let classes = EventMask::Classes(vec!["call".into(), "agent".into()]);
        assert_eq!(classes.to_string(), "call,agent");
        let v6 = AmiClientSettings::new("::1", 5038, "u", "s".into());
        assert_eq!(v6.address(), "[::1]:5038");
        let v4 = AmiClientSettings::new("pbx.local", 5039, "u", "s".into());
        assert_eq!(v4.address(), "pbx.local:5039");
    }
}
