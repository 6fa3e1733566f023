//! The storage conformance suite: every behaviour of the [`Store`](crm_core::Store), each
//! an `async fn(Arc<dyn Store>)` run on SQLite (a fresh file per test) and on PostgreSQL (a
//! fresh database per test, when `TAMAS_TEST_DATABASE_URL` is set), through
//! [`connect`](crm_core::connect) and so through the directory cache.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixtures;
mod support;

mod alerts;
mod auth;
mod call_parts;
mod calls;
mod contacts;
mod credentials;
mod directory;
mod import;
mod migrations;
mod open_calls;
mod recordings;
mod shared_numbers;
mod users;
mod work;
