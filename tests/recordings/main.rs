//! Recordings end to end against Tamas built in this process: every fixture recording
//! ingested through `POST /api/recordings` and through the watched spool folder, bad files
//! quarantined with their reason, duplicates stored once, recordings that arrive before
//! their call, playback with HTTP Range, permissions and the audit log, retention. Every
//! scenario runs on SQLite and on PostgreSQL (`<file>::sqlite::<test>`,
//! `<file>::postgres::<test>`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod app;
mod expect;
mod pages;
mod pbx_spool;
mod playback;
mod retention;
mod spool;
mod upload;
