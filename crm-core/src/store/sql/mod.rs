//! The SQL of the CRM core and the code that runs it, one module per area. Each module
//! holds its statements as `const`s and a macro (`impl_…_store!`) with the method bodies,
//! which [`sqlite`](super::sqlite) and [`postgres`](super::postgres) expand for their own
//! pool type: one text of SQL and Rust, compiled twice.
//!
//! The SQL uses only what SQLite and PostgreSQL both understand: `$N` parameters,
//! `RETURNING`, `ON CONFLICT … DO UPDATE … WHERE`, `NULLS LAST`, `LIKE … ESCAPE`. A backend
//! struct has the fields `pool` (its `sqlx` pool), `normalizer` and `directory` (its
//! [`Directory`](crate::Directory) of contact cards).
//!
//! Every write that can change a contact card calls `directory.forget` with the contact and
//! lookup keys it touched, once it is committed and before it returns: a contact or number
//! added, changed or removed ([`contacts`]), a call recorded, linked to a contact or wrapped
//! up ([`calls`], [`call_parts`]), a task opened, closed or assigned ([`work`],
//! [`callbacks`]). The other writes forget nothing: what they change is not on a card, or
//! (a call's computed figures) not shown by a popup.

pub(crate) mod auth;
pub(crate) mod call_parts;
pub(crate) mod call_write;
pub(crate) mod calls;
pub(crate) mod contact_input;
pub(crate) mod contacts;
pub(crate) mod credentials;
pub(crate) mod open_calls;
pub(crate) mod phones;
pub(crate) mod recordings;
pub(crate) mod users;
#[macro_use]
pub(crate) mod work;
pub(crate) mod alerts;
pub(crate) mod callbacks;

/// `SELECT 1`, for readiness checks.
pub(crate) const PING: &str = "SELECT 1";

/// `NotFound` unless a write touched a row.
pub(crate) fn one_row(rows_affected: u64) -> crate::StoreResult<()> {
    if rows_affected == 0 {
        Err(crate::StoreError::NotFound)
    } else {
        Ok(())
    }
}
