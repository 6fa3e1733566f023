//! The end-to-end tests' one harness; every test binary includes it as its
//! `crate::support` (`#[path = "../support/mod.rs"] mod support;`).
//!
//! - [`app`]: `spawn_app` → [`TestApp`]: a fresh database, its users, optionally the
//!   simulated PBX, and Tamas built in this process on a bound listener (or the real
//!   binary when the process is the point).
//! - [`launcher`]: the real `tamas` binary — `serve` on a port it picks itself, `demo`,
//!   `simulate-pbx`, any command run to completion.
//! - [`backend`]: SQLite or PostgreSQL, and [`on_both_backends!`] for scenarios that run
//!   on both.
//! - [`pbx`]: the simulated PBX on a runtime of its own.
//! - [`seed`]: the users and their one password.
//! - [`poll`]: bounded waits instead of sleeps.
//! - [`in_process`]: the service on its own runtime, its log captured.

#![allow(clippy::unwrap_used, clippy::expect_used)]
// Each test binary uses part of the harness.
#![allow(dead_code, unused_imports, unused_macros)]

pub mod app;
pub mod backend;
pub mod in_process;
pub mod launcher;
pub mod pbx;
pub mod poll;
pub mod seed;

pub use app::{AppOptions, TestApp, spawn_app, spawn_app_over};
pub(crate) use backend::on_both_backends;
pub use backend::{Backend, TestDatabase};
pub use launcher::{
    KillOnDrop, Serve, Served, TamasProcess, run_tamas, simulate_pbx, tamas_bin, wait_until_up,
};
pub use pbx::SimPbx;
pub use poll::{became_true, holds_for, wait_for, wait_until};
pub use seed::{PASSWORD, Person, USERS, password_hash, seed, seeded_database, standard_users};
