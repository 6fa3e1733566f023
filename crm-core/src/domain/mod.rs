//! Domain types: validated at the edge (`parse`), plain data inside.
//!
//! - [`ids`]: typed row ids.
//! - [`user`]: users, roles, locales, usernames, extensions.
//! - [`auth`]: what API tokens and sessions say about their user.
//! - [`contact`]: contacts, their phone numbers, lifecycle stages.
//! - [`call`]: the call log's input, rows, legs and wrap-up.
//! - [`call_facts`]: what the figures read of a call.
//! - `call_fixture`: call rows for tests (feature `test-support`).
//! - [`customer`]: who a call is with (the contact, else the number).
//! - [`recording`]: recordings' metadata.
//! - [`work`]: notes, tasks and the audit log.
//! - [`open_call`]: calls in progress as the PBX tracker saves them.
//! - [`vocabulary`]: the words a call is described in (direction, disposition…).
//! - [`alert`]: alerts ("management by exception") and callbacks.

pub mod alert;
pub mod auth;
pub mod call;
pub mod call_facts;
#[cfg(any(test, feature = "test-support"))]
pub mod call_fixture;
pub mod contact;
pub mod customer;
pub mod ids;
pub mod open_call;
pub mod recording;
pub mod user;
pub mod vocabulary;
pub mod work;
