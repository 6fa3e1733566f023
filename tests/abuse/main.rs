//! The probes of an adversarial pass, kept so they cannot come back: real `tamas`
//! processes where the process is the point (memory, CPU, signals, a database stopped
//! under it), Tamas built in this process otherwise; each bounded in time.
//!
//! - `revocation`: sign-out, token revocation, password and role changes and disabling a
//!   user close that user's sockets.
//! - `authorization`: every route of the router against every role; a new route without a
//!   rule fails.
//! - `slow_requests`: half-sent and idle connections are cut; the connection cap holds.
//! - `uploads`: oversized and mismatched recording uploads are refused without buffering.
//! - `readiness`: `/readyz` and read-only API calls while the database does not answer.
//! - `database_down`: popups still reach their agents while PostgreSQL is stopped.
//! - `endless_calls`: a PBX that opens calls and never ends them; a PBX that stops
//!   answering pings.
//! - `idle_cpu`: the process is idle when idle, after a wallboard visit too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod authorization;
mod database_down;
mod endless_calls;
mod idle_cpu;
mod readiness;
mod revocation;
mod slow_requests;
mod uploads;
