//! Settings: the TOML file, then `TAMAS_…` environment variables, then command-line flags.
//!
//! Every key of the file can be overridden from the environment with the prefix `TAMAS_`
//! and `__` between sections: `TAMAS_PBX__SECRET`, `TAMAS_SERVER__LISTEN`,
//! `TAMAS_DATABASE__URL` (the flag `--database-url` and `TAMAS_DATABASE_URL` win over both).
//! Secrets are held in [`SecretString`], whose `Debug` prints `[REDACTED]`, so logging a
//! settings struct never leaks them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use secrecy::SecretString;
use serde::Deserialize;

pub mod http;

pub use app::bridge::settings::{AgentDeviceSettings, PbxSettings, PhoneSettings};
pub use app::recording_jobs::settings::RecordingsSettings;
pub use http::HttpSettings;

/// Everything `tamas` can be configured with. Missing sections take their defaults.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The HTTP server.
    pub server: ServerSettings,
    /// The HTTP server's limits: timeouts and the connection cap.
    pub http: HttpSettings,
    /// Where the CRM core keeps its data.
    pub database: DatabaseSettings,
    /// How phone numbers are read.
    pub phone: PhoneSettings,
    /// The PBX connection and how its channels are classified.
    pub pbx: PbxSettings,
    /// Thresholds of the contact-center figures.
    pub metrics: MetricsSettings,
    /// Click-to-call: the Originate and the dial rules.
    pub dialer: DialerSettings,
    /// Call recordings: where they are kept, the spool folders watched, retention.
    pub recordings: RecordingsSettings,
    /// The supervisors' wallboard.
    pub wallboard: WallboardSettings,
    /// Alerts and callbacks: the rules' thresholds.
    pub alerts: AlertsSettings,
    /// The agents' console.
    pub console: ConsoleSettings,
    /// Sign-in sessions.
    pub session: crate::web_settings::SessionSettings,
    /// Who sees what of a contact's history.
    pub access: crate::web_settings::AccessSettings,
}

/// The agents' console (`[console]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleSettings {
    /// Whether an internal call (agent to agent) ends with a wrap-up prompt for both
    /// agents; by default it does not.
    pub wrapup_internal: bool,
}

/// The supervisors' wallboard (`[wallboard]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WallboardSettings {
    /// The period of the queues' figures: 0 = today (since local midnight); N = the last
    /// N hours, rolling (24 for centres open day and night, whose board should not drop
    /// to zero at midnight).
    pub rolling_hours: u32,
}

/// Alerts and callbacks (`[alerts]`, ARCHITECTURE.md "Alerts").
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsSettings {
    /// A callback not done this many minutes after it was assigned goes to another
    /// available agent of its queue.
    pub callback_reassign_minutes: u64,
    /// A new lead not called within this many hours raises an alert.
    pub lead_first_contact_hours: u64,
    /// A lead with fewer call attempts than this…
    pub lead_min_attempts: u32,
    /// …in its first this many days raises an alert.
    pub lead_attempt_window_days: u64,
    /// A queue whose service level today is under `metrics.service_level_target` raises
    /// an alert once at least this many calls were offered to it today.
    pub service_level_min_offered: u64,
    /// How often the time-based rules run, seconds.
    pub check_interval_s: u64,
}

impl Default for AlertsSettings {
    fn default() -> Self {
        Self {
            callback_reassign_minutes: 15,
            lead_first_contact_hours: 24,
            lead_min_attempts: 5,
            lead_attempt_window_days: 14,
            service_level_min_offered: 10,
            check_interval_s: 60,
        }
    }
}

impl AlertsSettings {
    /// The rules' form of these settings, with the centre's service-level target
    /// (`metrics.service_level_target`), checked: it is between 0 and 1.
    pub fn to_rules(&self, service_level_target: f64) -> anyhow::Result<app::alerts::AlertRules> {
        anyhow::ensure!(
            (0.0..=1.0).contains(&service_level_target),
            "[metrics] service_level_target {service_level_target} must be between 0 and 1"
        );
        let ms = |n: u64, unit: i64| {
            i64::try_from(n)
                .unwrap_or(i64::MAX / unit)
                .saturating_mul(unit)
        };
        Ok(app::alerts::AlertRules {
            callback_reassign_ms: ms(self.callback_reassign_minutes, 60_000),
            lead_first_contact_ms: ms(self.lead_first_contact_hours, 3_600_000),
            lead_min_attempts: usize::try_from(self.lead_min_attempts).unwrap_or(usize::MAX),
            lead_attempt_window_ms: ms(self.lead_attempt_window_days, 86_400_000),
            service_level_target,
            service_level_min_offered: self.service_level_min_offered,
            check_every: std::time::Duration::from_secs(self.check_interval_s.max(1)),
        })
    }
}

/// Click-to-call (`POST /api/calls`): how the agent's phone is rung and how an E.164
/// number becomes what the PBX dials.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DialerSettings {
    /// The agent's phone; `{extension}` is replaced by the signed-in agent's extension.
    pub channel: String,
    /// Dialplan context the customer's number is dialled in (FreePBX: `from-internal`).
    pub context: String,
    /// Dialplan priority.
    pub priority: u32,
    /// How long the agent's phone may ring, seconds.
    pub ring_timeout_s: u64,
    /// Calls one user may start per minute.
    pub calls_per_minute: u32,
    /// E.164 prefix rewrites, first match wins: `{ prefix = "+98", replace = "0" }`.
    pub rules: Vec<DialRuleSettings>,
}

/// One dial rule: an E.164 number starting with `prefix` is dialled with it replaced.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialRuleSettings {
    /// E.164 prefix, starting with `+`.
    pub prefix: String,
    /// Digits dialled instead (may be empty).
    pub replace: String,
}

impl Default for DialerSettings {
    fn default() -> Self {
        let web = app::dialer::DialerSettings::default();
        Self {
            channel: web.channel,
            context: web.context,
            priority: web.priority,
            ring_timeout_s: web.ring_timeout.as_secs(),
            calls_per_minute: web.per_minute,
            rules: web
                .rules
                .into_iter()
                .map(|r| DialRuleSettings {
                    prefix: r.prefix,
                    replace: r.replace,
                })
                .collect(),
        }
    }
}

impl DialerSettings {
    /// The web side's form of these settings, checked: rule prefixes start with `+` and
    /// are followed by digits, replacements are digits, the channel names `{extension}`.
    pub fn to_web(&self) -> anyhow::Result<app::dialer::DialerSettings> {
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        for rule in &self.rules {
            let prefix_ok = rule.prefix.strip_prefix('+').is_some_and(digits);
            anyhow::ensure!(
                prefix_ok && digits(&rule.replace),
                "[dialer] rule {{ prefix = {:?}, replace = {:?} }}: the prefix must be + and digits, the replacement digits",
                rule.prefix,
                rule.replace
            );
        }
        anyhow::ensure!(
            self.channel.contains("{extension}"),
            "[dialer] channel {:?} must contain {{extension}}",
            self.channel
        );
        anyhow::ensure!(!self.context.is_empty(), "[dialer] context is empty");
        Ok(app::dialer::DialerSettings {
            channel: self.channel.clone(),
            context: self.context.clone(),
            priority: self.priority,
            ring_timeout: std::time::Duration::from_secs(self.ring_timeout_s.max(1)),
            rules: self
                .rules
                .iter()
                .map(|r| app::dialer::DialRule {
                    prefix: r.prefix.clone(),
                    replace: r.replace.clone(),
                })
                .collect(),
            per_minute: self.calls_per_minute.max(1),
        })
    }
}

/// Thresholds of the contact-center figures (ARCHITECTURE.md, "Metrics").
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Service level: answered within this many seconds.
    pub service_level_threshold_s: i64,
    /// The service level aimed at, 0 to 1 (the reports' target line).
    pub service_level_target: f64,
    /// Abandons shorter than this many seconds are short abandons.
    pub short_abandon_s: i64,
    /// First-call resolution window, days.
    pub fcr_window_days: i64,
    /// Local time for hour/day/month buckets and report dates, minutes east of UTC
    /// (Iran: 210).
    pub utc_offset_minutes: i32,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            service_level_threshold_s: 20,
            service_level_target: 0.8,
            short_abandon_s: 5,
            fcr_window_days: 7,
            utc_offset_minutes: 210,
        }
    }
}

impl MetricsSettings {
    /// The CRM core's form of these settings.
    pub fn to_core(&self) -> crm_core::metrics::MetricsSettings {
        crm_core::metrics::MetricsSettings {
            service_level_threshold_ms: self.service_level_threshold_s * 1000,
            service_level_target: self.service_level_target.clamp(0.0, 1.0),
            short_abandon_ms: self.short_abandon_s * 1000,
            fcr_window_ms: self.fcr_window_days * 86_400_000,
            utc_offset_minutes: self.utc_offset_minutes,
        }
    }
}

/// The HTTP server.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// The longest a shutdown (SIGTERM, Ctrl-C) may take: HTTP closed, the PBX logged off,
    /// the queued call-log writes, recording ingests and alert actions drained. Past it
    /// what is left is logged and the process exits with a failure status.
    pub shutdown_timeout_s: u64,
}

impl ServerSettings {
    /// [`shutdown_timeout_s`](Self::shutdown_timeout_s) as a duration.
    pub fn shutdown_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.shutdown_timeout_s)
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            shutdown_timeout_s: app::lifecycle::DEFAULT_SHUTDOWN_TIMEOUT.as_secs(),
        }
    }
}

/// Where the CRM core keeps its data.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite:PATH` (embedded, the default) or `postgres://user:password@host/db`.
    /// Secret because a PostgreSQL URL may carry a password.
    pub url: SecretString,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: SecretString::from("sqlite:tamas.db"),
        }
    }
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &"[REDACTED]")
            .finish()
    }
}

impl Settings {
    /// Reads the settings from `file` (when given) and the `TAMAS_…` environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut builder = config::Config::builder();
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file.to_path_buf()).required(true));
        }
        // Only `TAMAS_<SECTION>__<KEY>` variables are settings; others such as
        // `TAMAS_DATABASE_URL` or `TAMAS_CONFIG` belong to the command line.
        let overrides: config::Map<String, String> = std::env::vars()
            .filter(|(name, _)| {
                name.strip_prefix("TAMAS_")
                    .is_some_and(|rest| rest.contains("__"))
            })
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix("TAMAS")
                .prefix_separator("_")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("pbx.trunks")
                .with_list_parse_key("recordings.spool_dirs")
                .try_parsing(true)
                .source(Some(overrides)),
        );
        let settings: Settings = builder
            .build()
            .and_then(config::Config::try_deserialize)
            .with_context(|| match file {
                Some(file) => format!("reading settings from {}", file.display()),
                None => "reading settings from the environment".to_owned(),
            })?;
        Ok(settings)
    }

    /// The default SQLite URL for a data folder.
    pub fn sqlite_url_in(dir: &Path) -> String {
        let path: PathBuf = dir.join("tamas.db");
        format!("sqlite:{}", path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret as _;

    #[test]
    fn reads_the_sample_config_and_redacts_secrets() {
        let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/tamas.toml");
        let settings = Settings::load(Some(Path::new(sample))).expect("sample config loads");
        assert_eq!(settings.pbx.trunks, vec!["trunk".to_owned()]);
        assert_eq!(
            settings.server.shutdown_timeout(),
            app::lifecycle::DEFAULT_SHUTDOWN_TIMEOUT
        );
        assert!(!settings.pbx.secret.expose_secret().is_empty());
        assert_eq!(
            settings.http.to_limits().unwrap(),
            web::HttpLimits::default()
        );
        assert_eq!(settings.recordings.max_upload_mb, 512);
        let debug = format!("{settings:?}");
        assert!(!debug.contains(settings.pbx.secret.expose_secret()));
        assert!(!debug.contains(settings.database.url.expose_secret()));
        let rules = settings
            .alerts
            .to_rules(settings.metrics.service_level_target)
            .expect("alert rules");
        assert_eq!(rules, app::alerts::AlertRules::default());
        let timing = settings.recordings.spool_timing().expect("spool timing");
        assert_eq!(timing.header_only, std::time::Duration::from_secs(3600));
    }

    #[test]
    fn a_header_only_file_never_waits_less_than_one_with_audio() {
        let recordings = RecordingsSettings {
            stable_size_s: 30,
            stable_empty_s: 20,
            ..RecordingsSettings::default()
        };
        let err = recordings.spool_timing().expect_err("refused");
        assert!(err.to_string().contains("stable_empty_s"), "{err}");
    }
}
