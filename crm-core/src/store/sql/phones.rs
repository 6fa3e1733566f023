//! Contacts' phone numbers: SQL and the helpers the [`ContactStore`](crate::ContactStore)
//! implementation writes numbers with (adding one links the earlier calls from it).

use sqlx::{ColumnIndex, Decode, Encode, Executor, Type};

use crate::domain::contact::{ContactPhone, NewPhone};
use crate::store::rows::PhoneRow;
use crate::store::{Backend, RowsAffected as _, SqlStore};
use crate::{ContactId, PhoneId, StoreError, StoreResult};

/// The columns [`PhoneRow`] reads.
macro_rules! phone_columns {
    () => {
        "id, contact_id, raw, e164, lookup_key, label"
    };
}

/// Followed by the list of contact ids and `) ORDER BY id`.
pub(crate) const PHONES_OF_CONTACTS: &str = concat!(
    "SELECT ",
    phone_columns!(),
    " FROM contact_phones WHERE contact_id IN ("
);
const PHONE_BY_ID: &str = concat!(
    "SELECT ",
    phone_columns!(),
    " FROM contact_phones WHERE id = $1"
);
const PHONE_KEY_TAKEN: &str = "SELECT count(*) FROM contact_phones \
    WHERE contact_id = $1 AND lookup_key = $2 AND id <> $3";
const INSERT_PHONE: &str = "INSERT INTO contact_phones \
    (contact_id, raw, e164, lookup_key, label) VALUES ($1, $2, $3, $4, $5) RETURNING id";
const UPDATE_PHONE: &str = "UPDATE contact_phones SET raw = $2, e164 = $3, \
    lookup_key = $4, label = $5 WHERE id = $1";
pub(crate) const DELETE_PHONE: &str = "DELETE FROM contact_phones WHERE id = $1";
/// Calls from a number that matched no contact when written now belong to `$1`, when `$1`
/// is the only contact with that number (a shared number's calls wait for a pick).
const ADOPT_CALLS: &str = "UPDATE calls SET contact_id = $1, metrics_at_ms = NULL \
    WHERE contact_id IS NULL AND customer_lookup_key = $2 \
    AND (SELECT count(DISTINCT contact_id) FROM contact_phones WHERE lookup_key = $2) = 1";
const REFRESH_LAST_INTERACTION: &str = "UPDATE contacts SET last_interaction_at_ms = \
    (SELECT max(started_at_ms) FROM calls WHERE contact_id = $1) WHERE id = $1";

impl<DB> SqlStore<DB>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'a> &'a str: ColumnIndex<DB::Row> + Encode<'a, DB> + Type<DB>,
    for<'a> Option<&'a str>: Encode<'a, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'a> i64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB> + Type<DB>,
    for<'a> bool: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<bool>: Encode<'a, DB> + Type<DB>,
    for<'a> String: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
{
    /// Adds a checked number to a contact and links the unmatched calls from it.
    pub(super) async fn insert_phone(
        conn: &mut DB::Connection,
        contact: ContactId,
        phone: &NewPhone,
    ) -> StoreResult<PhoneId> {
        let label = checked_phone(phone)?;
        Self::check_phone_free(conn, contact, phone, 0).await?;
        let id: i64 = sqlx::query_scalar(INSERT_PHONE)
            .bind(contact.0)
            .bind(phone.number.raw.as_str())
            .bind(phone.number.e164.as_ref().map(|e| e.as_str()))
            .bind(phone.number.lookup_key.as_str())
            .bind(label)
            .fetch_one(&mut *conn)
            .await?;
        Self::adopt_calls(conn, contact, &phone.number.lookup_key).await?;
        Ok(PhoneId(id))
    }

    /// Replaces number `id` of `contact` by `new` (labelled `label`, checked).
    pub(super) async fn replace_phone(
        conn: &mut DB::Connection,
        id: PhoneId,
        contact: ContactId,
        new: &NewPhone,
        label: &str,
    ) -> StoreResult<()> {
        Self::check_phone_free(conn, contact, new, id.0).await?;
        sqlx::query(UPDATE_PHONE)
            .bind(id.0)
            .bind(new.number.raw.as_str())
            .bind(new.number.e164.as_ref().map(|e| e.as_str()))
            .bind(new.number.lookup_key.as_str())
            .bind(label)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// A conflict when `contact` has `phone`'s number already, other than as number `id`.
    async fn check_phone_free(
        conn: &mut DB::Connection,
        contact: ContactId,
        phone: &NewPhone,
        id: i64,
    ) -> StoreResult<()> {
        let taken: i64 = sqlx::query_scalar(PHONE_KEY_TAKEN)
            .bind(contact.0)
            .bind(phone.number.lookup_key.as_str())
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
        if taken > 0 {
            return Err(StoreError::Conflict(format!(
                "the contact already has the number {}",
                phone.number.raw
            )));
        }
        Ok(())
    }

    /// Links the unmatched calls from `key` to `contact`.
    pub(super) async fn adopt_calls(
        conn: &mut DB::Connection,
        contact: ContactId,
        key: &str,
    ) -> StoreResult<()> {
        if crate::phone::is_withheld(key) {
            return Ok(());
        }
        let adopted = sqlx::query(ADOPT_CALLS)
            .bind(contact.0)
            .bind(key)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if adopted > 0 {
            sqlx::query(REFRESH_LAST_INTERACTION)
                .bind(contact.0)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// One number by id.
    pub(super) async fn phone(&self, id: PhoneId) -> StoreResult<ContactPhone> {
        let row: PhoneRow = sqlx::query_as(PHONE_BY_ID)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(row.into())
    }
}

/// Checks a number to store; returns its cleaned label.
pub(crate) fn checked_phone(phone: &NewPhone) -> StoreResult<String> {
    if phone.number.lookup_key.is_empty() {
        return Err(StoreError::Invalid("a phone number cannot be empty".into()));
    }
    crate::domain::contact::validate_label(&phone.label)
}
