//! Domain types: validated at the edge (`parse`), plain data inside.
//!
//! - [`ids`]: typed row ids.
//! - [`user`]: users, roles, locales, extensions.
//! - [`contact`]: contacts, their phone numbers, lifecycle stages.
//! - [`call`]: the call log's input and rows.
//! - [`work`]: notes, tasks and the audit log.

pub mod call;
pub mod contact;
pub mod ids;
pub mod user;
pub mod work;
