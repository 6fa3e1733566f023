//! Contacts' phone numbers: SQL and the helpers the [`ContactStore`](crate::ContactStore)
//! implementation writes numbers with (adding one links the earlier calls from it).

/// The columns [`rows::phone`](crate::store::rows::phone) reads.
macro_rules! phone_columns {
    () => {
        "id, contact_id, raw, e164, lookup_key, label"
    };
}

/// Followed by a placeholder list and `) ORDER BY id`.
pub(crate) const PHONES_OF_CONTACTS: &str = concat!(
    "SELECT ",
    phone_columns!(),
    " FROM contact_phones WHERE contact_id IN ("
);
pub(crate) const PHONE_BY_ID: &str = concat!(
    "SELECT ",
    phone_columns!(),
    " FROM contact_phones WHERE id = $1"
);
pub(crate) const PHONE_KEY_TAKEN: &str = "SELECT count(*) FROM contact_phones \
    WHERE contact_id = $1 AND lookup_key = $2 AND id <> $3";
pub(crate) const INSERT_PHONE: &str = "INSERT INTO contact_phones \
    (contact_id, raw, e164, lookup_key, label) VALUES ($1, $2, $3, $4, $5) RETURNING id";
pub(crate) const UPDATE_PHONE: &str = "UPDATE contact_phones SET raw = $2, e164 = $3, \
    lookup_key = $4, label = $5 WHERE id = $1";
pub(crate) const DELETE_PHONE: &str = "DELETE FROM contact_phones WHERE id = $1";
/// Calls from a number that matched no contact when written now belong to `$1`, when `$1`
/// is the only contact with that number (a shared number's calls wait for a pick).
pub(crate) const ADOPT_CALLS: &str = "UPDATE calls SET contact_id = $1, metrics_at_ms = NULL \
    WHERE contact_id IS NULL AND customer_lookup_key = $2 \
    AND (SELECT count(DISTINCT contact_id) FROM contact_phones WHERE lookup_key = $2) = 1";
pub(crate) const REFRESH_LAST_INTERACTION: &str = "UPDATE contacts SET last_interaction_at_ms = \
    (SELECT max(started_at_ms) FROM calls WHERE contact_id = $1) WHERE id = $1";

/// Implements the number helpers of a backend whose database type is `$db`.
macro_rules! impl_phone_helpers {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Adds a checked number to a contact and links the unmatched calls from it.
            async fn insert_phone(
                conn: &mut <$db as sqlx::Database>::Connection,
                contact: crate::ContactId,
                phone: &crate::NewPhone,
            ) -> crate::StoreResult<crate::PhoneId> {
                use crate::store::sql::phones as q;
                let label = crate::store::sql::phones::checked_phone(phone)?;
                let taken: i64 = sqlx::query_scalar(q::PHONE_KEY_TAKEN)
                    .bind(contact.0)
                    .bind(phone.number.lookup_key.as_str())
                    .bind(0_i64)
                    .fetch_one(&mut *conn)
                    .await?;
                if taken > 0 {
                    return Err(crate::StoreError::Conflict(format!(
                        "the contact already has the number {}",
                        phone.number.raw
                    )));
                }
                let id: i64 = sqlx::query_scalar(q::INSERT_PHONE)
                    .bind(contact.0)
                    .bind(phone.number.raw.as_str())
                    .bind(phone.number.e164.as_ref().map(|e| e.as_str()))
                    .bind(phone.number.lookup_key.as_str())
                    .bind(label)
                    .fetch_one(&mut *conn)
                    .await?;
                Self::adopt_calls(conn, contact, &phone.number.lookup_key).await?;
                Ok(crate::PhoneId(id))
            }

            /// Links the unmatched calls from `key` to `contact`.
            async fn adopt_calls(
                conn: &mut <$db as sqlx::Database>::Connection,
                contact: crate::ContactId,
                key: &str,
            ) -> crate::StoreResult<()> {
                use crate::store::sql::phones as q;
                if crate::phone::is_withheld(key) {
                    return Ok(());
                }
                let adopted = sqlx::query(q::ADOPT_CALLS)
                    .bind(contact.0)
                    .bind(key)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                if adopted > 0 {
                    sqlx::query(q::REFRESH_LAST_INTERACTION)
                        .bind(contact.0)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            }

            /// One number by id.
            async fn phone(&self, id: crate::PhoneId) -> crate::StoreResult<crate::ContactPhone> {
                let row = sqlx::query(crate::store::sql::phones::PHONE_BY_ID)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(crate::StoreError::NotFound)?;
                crate::store::rows::phone(&row)
            }
        }
    };
}

pub(crate) use impl_phone_helpers;

/// Checks a number to store; returns its cleaned label.
pub(crate) fn checked_phone(phone: &crate::NewPhone) -> crate::StoreResult<String> {
    if phone.number.lookup_key.is_empty() {
        return Err(crate::StoreError::Invalid(
            "a phone number cannot be empty".into(),
        ));
    }
    crate::domain::contact::validate_label(&phone.label)
}
