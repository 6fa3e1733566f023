//! Tamas, the binary's library: command line, settings, start-up and the bridge that wires
//! the crates together.
//!
//! - [`cli`]: the command line (clap).
//! - [`alerts`]: alerts and callbacks, the rules and the task that runs them.
//! - [`bridge`]: the PBX side wired to the CRM core and the web side (tracker, call
//!   log, live view).
//! - [`settings`]: the TOML file and `TAMAS_…` environment overrides; [`web_settings`]:
//!   its `[session]` and `[access]` sections.
//! - [`commands`]: one module per command (`serve`, `demo`, `migrate`, `user`, `token`,
//!   `import`, `contacts`, `replay`, `simulate-pbx`).
//! - [`startup`]: [`startup::Application`], the whole service on a bound listener.
//! - [`lifecycle`]: [`lifecycle::Lifecycle`], which owns every background task in stages
//!   and stops them in order, within a deadline, on SIGTERM or Ctrl-C.
//! - [`demo`]: the demo's users and contacts.
//! - [`metrics_job`]: the per-call figures (service level, first contact, FCR) stored
//!   on each call.
//! - [`recording_jobs`]: the spool-folder watcher and the daily recording retention.
//! - [`telemetry`], logging to standard error.

pub mod alerts;
pub mod bridge;
pub mod cli;
pub mod commands;
pub mod demo;
pub mod lifecycle;
pub mod metrics_job;
pub mod recording_jobs;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod web_settings;
