//! The `[pbx]` section: the AMI connection, how its channels are classified, and the bounds
//! a misbehaving PBX cannot push Tamas past (open calls, a silent link); and `[phone]`,
//! how numbers are read.

use std::time::Duration;

use cti::ami::client::AmiClientSettings;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

/// The PBX (Asterisk AMI) connection and how its channels are classified.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PbxSettings {
    /// Name of this PBX; calls are unique on (pbx name, Linkedid).
    pub name: String,
    /// AMI host. When empty, `serve` runs without a PBX (the web side only).
    pub host: String,
    /// AMI port.
    pub port: u16,
    /// AMI user (`manager.conf`).
    pub username: String,
    /// AMI secret.
    pub secret: SecretString,
    /// Trunk endpoints: channels `PJSIP/<trunk>-…` are the outside world.
    pub trunks: Vec<String>,
    /// Agents' devices. Users with an extension are added as `PJSIP/<extension>`.
    pub agents: Vec<AgentDeviceSettings>,
    /// How often a `Ping` checks that the PBX is still there (seconds).
    pub ping_interval_s: u64,
    /// How long a `Ping` may go unanswered before the link is declared dead, closed and
    /// opened again (seconds).
    pub ping_timeout_s: u64,
    /// The most calls tracked open at once: past it, the calls that have gone longest
    /// without an event are closed out (written to the call log with `end_known: false`).
    pub max_open_calls: usize,
    /// A call with no event for this many hours is closed out the same way.
    pub call_idle_hours: u64,
}

impl Default for PbxSettings {
    fn default() -> Self {
        Self {
            name: "asterisk".to_owned(),
            host: String::new(),
            port: 5038,
            username: String::new(),
            secret: SecretString::from(""),
            trunks: vec!["trunk".to_owned()],
            agents: Vec::new(),
            ping_interval_s: 20,
            ping_timeout_s: 10,
            max_open_calls: cti::tracker::DEFAULT_MAX_OPEN_CALLS,
            call_idle_hours: 24,
        }
    }
}

impl PbxSettings {
    /// The AMI client's settings: address, credentials and keep-alive.
    pub fn client_settings(&self) -> AmiClientSettings {
        let mut client = AmiClientSettings::new(
            self.host.clone(),
            self.port,
            self.username.clone(),
            self.secret.expose_secret().into(),
        );
        client.ping_interval = Duration::from_secs(self.ping_interval_s.max(1));
        client.ping_timeout = Duration::from_secs(self.ping_timeout_s.max(1));
        client
    }

    /// How long a call may go without an event before it is closed out.
    pub fn call_idle_limit(&self) -> Duration {
        Duration::from_secs(self.call_idle_hours.max(1).saturating_mul(3600))
    }
}

/// One agent's phone as the PBX knows it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentDeviceSettings {
    /// The agent's extension (`1001`).
    pub extension: String,
    /// The agent's name as shown when no user has this extension.
    #[serde(default)]
    pub name: Option<String>,
    /// Devices that ring for this agent; default `PJSIP/<extension>`.
    #[serde(default)]
    pub devices: Vec<String>,
}

/// How phone numbers are read.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PhoneSettings {
    /// ISO 3166 region used for numbers written without a country code (`09121234567`).
    pub default_region: String,
}

impl Default for PhoneSettings {
    fn default() -> Self {
        Self {
            default_region: "IR".to_owned(),
        }
    }
}
