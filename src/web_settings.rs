//! The settings of the web side that are about who may see what and for how long:
//! `[session]` (sign-in sessions) and `[access]` (the access policy, docs/security.md).

use std::time::Duration;

use serde::Deserialize;

/// Sign-in sessions (`[session]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionSettings {
    /// How long a sign-in lasts, in minutes (default 720: a long shift); a session's
    /// WebSockets close when it ends.
    pub ttl_minutes: u64,
    /// Mark the session cookie `Secure` on every response, not only when the reverse
    /// proxy says `X-Forwarded-Proto: https`.
    pub secure_cookies: bool,
}

impl Default for SessionSettings {
    fn default() -> Self {
        let web = web::session::SessionSettings::default();
        SessionSettings {
            ttl_minutes: web.ttl.as_secs() / 60,
            secure_cookies: web.secure_cookies,
        }
    }
}

impl SessionSettings {
    /// The web side's session settings; a TTL of 0 is refused.
    pub fn to_web(&self) -> anyhow::Result<web::session::SessionSettings> {
        if self.ttl_minutes == 0 {
            anyhow::bail!("session.ttl_minutes must be at least 1");
        }
        Ok(web::session::SessionSettings {
            ttl: Duration::from_secs(self.ttl_minutes.saturating_mul(60)),
            secure_cookies: self.secure_cookies,
        })
    }
}

/// The access policy (`[access]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccessSettings {
    /// What agents see of a contact's history (popup card, contact page, API): `all`
    /// (every call and open task, the default) or `own` (theirs only).
    pub agent_call_history: app::access::CallHistory,
}

impl AccessSettings {
    /// The web side's access policy.
    pub fn to_web(&self) -> app::access::AccessPolicy {
        app::access::AccessPolicy {
            agent_call_history: self.agent_call_history,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_config_has_both_sections() {
        let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/tamas.toml");
        let settings = crate::settings::Settings::load(Some(std::path::Path::new(sample)))
            .expect("sample config loads");
        assert_eq!(settings.session.ttl_minutes, 720);
        assert_eq!(
            settings.access.agent_call_history,
            app::access::CallHistory::All
        );
    }

    #[test]
    fn defaults_match_the_web_side_and_a_zero_ttl_is_refused() {
        let web = SessionSettings::default().to_web().expect("default");
        assert_eq!(web.ttl, web::session::SessionSettings::default().ttl);
        assert!(!web.secure_cookies);
        let zero = SessionSettings {
            ttl_minutes: 0,
            secure_cookies: true,
        };
        assert!(zero.to_web().is_err());
        assert_eq!(
            AccessSettings::default().to_web().agent_call_history,
            app::access::CallHistory::All
        );
    }
}
