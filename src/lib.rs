//! Tamas, the binary's library: command line, settings and start-up. The services it
//! starts are the `app` crate's; the HTTP side is `web`'s.
//!
//! - [`cli`]: the command line (clap).
//! - [`settings`]: the TOML file and `TAMAS_…` environment overrides; [`web_settings`]:
//!   its `[session]` and `[access]` sections.
//! - [`commands`]: one module per command (`serve`, `demo`, `migrate`, `user`, `token`,
//!   `import`, `contacts`, `replay`, `simulate-pbx`, `report`, `loadtest`).
//! - [`startup`]: [`startup::Application`], the whole service on a bound listener, its
//!   tasks owned by an `app::lifecycle::Lifecycle`.
//! - [`demo`]: the demo's users and contacts.
//! - [`telemetry`], logging to standard error.

pub mod cli;
pub mod commands;
pub mod demo;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod web_settings;
