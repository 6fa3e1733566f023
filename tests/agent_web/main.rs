//! The agent's web side over HTTP against Tamas built in this process: signing in with a
//! session cookie, rate limits, CSRF, roles, English and Persian pages, contacts, the
//! wrap-up, and caller-ID text that must stay text.
//!
//! Each test starts its own server on a listener of its own with a fresh database, on
//! SQLite and on PostgreSQL (`<file>::sqlite::<test>`, `<file>::postgres::<test>`); users,
//! contacts and calls are written straight into that database beforehand.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod app;
mod contacts;
mod pages;
mod reports;
mod signin;
mod wrapups;
