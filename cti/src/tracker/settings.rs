//! What the tracker must know about the PBX: its name, the agents and their devices, the
//! trunks. [`TrackerSettings`] is plain data (deserialised from the binary's TOML);
//! [`Directory`] is the same compiled for lookups on the hot path, and classifies every
//! channel by its device name, never by caller ID.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The tracker's configuration.
///
/// ```toml
/// pbx = "main"
/// trunks = ["trunk"]
/// [[agents]]
/// extension = "1001"
/// name = "Sara Ahmadi"
/// devices = ["PJSIP/1001"]   # default: PJSIP/<extension>
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackerSettings {
    /// The PBX's name, copied onto every [`CallRecord`](super::CallRecord) (calls are unique
    /// per PBX and Linkedid).
    #[serde(default = "default_pbx")]
    pub pbx: String,
    /// The agents: extension, display name, devices.
    #[serde(default)]
    pub agents: Vec<AgentSettings>,
    /// Trunk endpoints: `trunk` matches channels `<tech>/trunk-…`, `PJSIP/trunk` only
    /// `PJSIP/trunk-…`. When empty, every channel that is neither an agent's device nor a
    /// Local channel is taken as external.
    #[serde(default)]
    pub trunks: Vec<String>,
    /// The channel variable carrying Tamas' click-to-call request id (set on Originate with
    /// `__` so it is inherited by every channel of the call; listed in `channelvars`).
    #[serde(default = "default_click_id_variable")]
    pub click_id_variable: String,
    /// The most calls open at once; past it those longest without an event are closed out
    /// (see `bounds`).
    #[serde(default = "default_max_open_calls")]
    pub max_open_calls: usize,
    /// A call with no event for this long (PBX time, seconds) is closed out.
    #[serde(default = "default_max_call_idle_s")]
    pub max_call_idle_s: u64,
}

/// One agent: an extension, a display name and the devices that ring for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSettings {
    /// The agent's extension (`1001`).
    pub extension: String,
    /// The agent's display name, shown as `answered_by_name`.
    #[serde(default)]
    pub name: Option<String>,
    /// Devices (`PJSIP/1001`, `SIP/1001`); empty means `PJSIP/<extension>`.
    #[serde(default)]
    pub devices: Vec<String>,
}

fn default_pbx() -> String {
    "asterisk".to_owned()
}

fn default_max_open_calls() -> usize {
    super::DEFAULT_MAX_OPEN_CALLS
}

fn default_max_call_idle_s() -> u64 {
    super::DEFAULT_MAX_CALL_IDLE_S
}

fn default_click_id_variable() -> String {
    "TAMAS_CLICK_ID".to_owned()
}

impl Default for TrackerSettings {
    fn default() -> Self {
        TrackerSettings {
            pbx: default_pbx(),
            agents: Vec::new(),
            trunks: Vec::new(),
            click_id_variable: default_click_id_variable(),
            max_open_calls: default_max_open_calls(),
            max_call_idle_s: default_max_call_idle_s(),
        }
    }
}

/// Which half of a Local channel pair (`;1` dials in, `;2` runs the dialplan).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum LocalHalf {
    One,
    Two,
}

/// What a channel is, from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Party {
    /// An agent's device; the index into [`Directory::agent`].
    Agent(usize),
    /// A trunk: the customer's side.
    Trunk,
    /// A Local channel half.
    Local(LocalHalf),
    /// Any other device (a phone that is not an agent's, an application channel).
    Other,
}

/// One configured agent, compiled.
#[derive(Clone, Debug)]
pub(crate) struct Agent {
    pub(crate) extension: String,
    pub(crate) name: Option<String>,
}

/// The settings compiled for lookups.
#[derive(Debug)]
pub(crate) struct Directory {
    agents: Vec<Agent>,
    devices: HashMap<String, usize>,
    extensions: HashMap<String, usize>,
    names: HashMap<String, usize>,
    trunk_devices: Vec<String>,
    trunk_endpoints: Vec<String>,
}

/// `PJSIP/1002` from `PJSIP/1002-00000009`: the channel name without its sequence suffix,
/// the technology lower-cased so `pjsip/1002` in the settings matches too.
pub(crate) fn device_key(device: &str) -> String {
    match device.split_once('/') {
        Some((tech, resource)) => format!("{}/{resource}", tech.to_ascii_lowercase()),
        None => device.to_owned(),
    }
}

fn channel_device(channel: &str) -> &str {
    match channel.rfind('-') {
        Some(i) if i > 0 && channel[i + 1..].bytes().all(|b| b.is_ascii_hexdigit()) => {
            &channel[..i]
        }
        _ => channel,
    }
}

/// `1002` from `Local/1002@queue-agents/n` or `Local/1002@queue-agents-0000000b;1`.
pub(crate) fn local_exten(name: &str) -> Option<&str> {
    let rest = name
        .strip_prefix("Local/")
        .or_else(|| name.strip_prefix("local/"))?;
    rest.split_once('@').map(|(exten, _)| exten)
}

impl Directory {
    pub(crate) fn new(settings: &TrackerSettings) -> Self {
        let mut dir = Directory {
            agents: Vec::with_capacity(settings.agents.len()),
            devices: HashMap::new(),
            extensions: HashMap::new(),
            names: HashMap::new(),
            trunk_devices: Vec::new(),
            trunk_endpoints: Vec::new(),
        };
        for (i, a) in settings.agents.iter().enumerate() {
            dir.agents.push(Agent {
                extension: a.extension.clone(),
                name: a.name.clone(),
            });
            if a.devices.is_empty() {
                dir.devices.insert(format!("pjsip/{}", a.extension), i);
            }
            for d in &a.devices {
                dir.devices.insert(device_key(d), i);
            }
            dir.extensions.insert(a.extension.clone(), i);
            if let Some(name) = &a.name {
                dir.names.insert(name.clone(), i);
            }
        }
        for t in &settings.trunks {
            if t.contains('/') {
                dir.trunk_devices.push(device_key(t));
            } else {
                dir.trunk_endpoints.push(t.clone());
            }
        }
        dir
    }

    pub(crate) fn agent(&self, i: usize) -> &Agent {
        &self.agents[i]
    }

    /// Classifies a channel by its name.
    pub(crate) fn classify(&self, channel: &str) -> Party {
        if local_exten(channel).is_some() {
            let half = if channel.ends_with(";2") {
                LocalHalf::Two
            } else {
                LocalHalf::One
            };
            return Party::Local(half);
        }
        let key = device_key(channel_device(channel));
        if let Some(&i) = self.devices.get(&key) {
            return Party::Agent(i);
        }
        if self.trunk_devices.is_empty() && self.trunk_endpoints.is_empty() {
            return Party::Trunk;
        }
        let endpoint = key.split_once('/').map_or(key.as_str(), |(_, r)| r);
        if self.trunk_devices.contains(&key) || self.trunk_endpoints.iter().any(|t| t == endpoint) {
            Party::Trunk
        } else {
            Party::Other
        }
    }

    /// The agent behind a device or interface name (`PJSIP/1001`), if configured.
    pub(crate) fn agent_by_device(&self, device: &str) -> Option<usize> {
        self.devices.get(&device_key(device)).copied()
    }

    /// The agent with this extension, if configured.
    pub(crate) fn agent_by_extension(&self, extension: &str) -> Option<usize> {
        self.extensions.get(extension).copied()
    }

    /// The agent behind a queue member: its interface (`PJSIP/1001`, or
    /// `Local/1001@ctx/n` through the extension), its state interface, or its member name.
    pub(crate) fn agent_for_member(
        &self,
        interface: Option<&str>,
        state_interface: Option<&str>,
        member_name: Option<&str>,
    ) -> Option<usize> {
        interface
            .and_then(|i| self.agent_by_device(i))
            .or_else(|| state_interface.and_then(|s| self.agent_by_device(s)))
            .or_else(|| {
                interface
                    .and_then(local_exten)
                    .and_then(|e| self.extensions.get(e).copied())
            })
            .or_else(|| member_name.and_then(|n| self.names.get(n).copied()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(trunks: &[&str]) -> Directory {
        Directory::new(&TrackerSettings {
            agents: vec![
                AgentSettings {
                    extension: "1001".into(),
                    name: Some("Sara Ahmadi".into()),
                    devices: vec![],
                },
                AgentSettings {
                    extension: "1002".into(),
                    name: None,
                    devices: vec!["pjsip/1002".into(), "SIP/1002".into()],
                },
            ],
            trunks: trunks.iter().map(|s| s.to_string()).collect(),
            ..TrackerSettings::default()
        })
    }

    #[test]
    fn classifies_by_device_not_caller_id() {
        let d = dir(&["trunk"]);
        assert_eq!(d.classify("PJSIP/1001-00000001"), Party::Agent(0));
        assert_eq!(d.classify("PJSIP/1002-00000009"), Party::Agent(1));
        assert_eq!(d.classify("SIP/1002-0000000a"), Party::Agent(1));
        assert_eq!(d.classify("PJSIP/trunk-0000000a"), Party::Trunk);
        assert_eq!(d.classify("PJSIP/1003-00000014"), Party::Other);
        assert_eq!(
            d.classify("Local/1003@queue-agents-0000000a;2"),
            Party::Local(LocalHalf::Two)
        );
        assert_eq!(
            d.classify("Local/1003@queue-agents-0000000a;1"),
            Party::Local(LocalHalf::One)
        );
        // Without configured trunks everything unknown is external.
        assert_eq!(dir(&[]).classify("PJSIP/carrier-00000001"), Party::Trunk);
        assert_eq!(
            dir(&["PJSIP/trunk"]).classify("SIP/trunk-00000001"),
            Party::Other
        );
    }

    #[test]
    fn finds_queue_members() {
        let d = dir(&[]);
        assert_eq!(d.agent_for_member(Some("PJSIP/1001"), None, None), Some(0));
        assert_eq!(
            d.agent_for_member(Some("Local/1002@queue-agents/n"), None, None),
            Some(1)
        );
        assert_eq!(
            d.agent_for_member(Some("Local/agent@x/n"), Some("PJSIP/1001"), None),
            Some(0)
        );
        assert_eq!(
            d.agent_for_member(Some("Local/x@y/n"), None, Some("Sara Ahmadi")),
            Some(0)
        );
        assert_eq!(
            d.agent_for_member(Some("Local/x@y/n"), None, Some("?")),
            None
        );
    }

    #[test]
    fn deserialises_from_toml_like_json() {
        let s: TrackerSettings = serde_json::from_str(
            r#"{"pbx":"lab","trunks":["trunk"],"agents":[{"extension":"1001","name":"Sara"}]}"#,
        )
        .unwrap();
        assert_eq!(s.pbx, "lab");
        assert_eq!(s.click_id_variable, "TAMAS_CLICK_ID");
        assert!(s.agents[0].devices.is_empty());
    }
}
