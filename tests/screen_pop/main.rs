//! End to end, as users would use it: Tamas (built in this process on a bound listener;
//! the real `tamas serve` where a test kills it) against the simulated PBX (in this
//! process too, so tests can ring agents and read the actions it received), with agents
//! and supervisors on `/ws`. Every scenario runs on SQLite and on PostgreSQL
//! (`TAMAS_TEST_DATABASE_URL`): `<file>::sqlite::<test>` and `<file>::postgres::<test>`.
//!
//! - `alerts`: an abandoned call becomes a callback for an available agent; calling the
//!   customer back closes it; agents get 403 on the alerts.
//! - `popups`: the popup reaches the ringing agent (every tab) and the supervisors
//!   watching, no one else, with the contact, its open tasks and afterwards the call.
//! - `unknown`: an unknown number offers to create a contact; hostile caller names
//!   arrive as plain text.
//! - `resume`: a tab that was away gets what it missed.
//! - `click_to_call`: the right `Originate`, the outbound popup, the call on the contact,
//!   failures, the rate limit, pauses.
//! - `internal`: both agents of an internal call get its frames; wrap-up only when the
//!   configuration asks for it.
//! - `wallboard`: the supervisors' live queues move with a simulated call and agree with
//!   `tamas report`; pausing an agent from it.
//! - `socket_rules`: Origin, credentials, client messages, a client that stops reading.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod alerts;
mod app;
mod click_to_call;
mod internal;
mod popups;
mod resume;
mod shared;
mod socket;
mod socket_rules;
mod unknown;
mod wallboard;
