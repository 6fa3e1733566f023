//! Browser tests: the real `tamas demo`, and Tamas built in this process with the
//! simulated PBX, driven through headless Chromium (Debian's `chromium` and
//! `chromium-driver`) with fantoccini. The scenarios over a server of their own run on
//! SQLite and on PostgreSQL (`<file>::sqlite::<test>`, `<file>::postgres::<test>`).
//!
//! When `chromedriver` is missing the tests say so loudly and pass, unless
//! `TAMAS_TEST_REQUIRE_ALL` is set (CI installs Chromium and sets it): then they fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod harness;
mod login;
mod recording_player;

// The screen-pop tests' server (Tamas and the simulated PBX in this process); not every
// helper of it is used here.
#[allow(dead_code)]
#[path = "../screen_pop/app.rs"]
mod pbx_app;
#[allow(dead_code)]
#[path = "../screen_pop/socket.rs"]
mod socket;

mod agent_console;
mod alerts_page;
mod wallboard;
