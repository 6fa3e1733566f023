//! Contacts and their numbers: SQL and the [`ContactStore`](crate::ContactStore)
//! implementation. Number lookups are answered from the store's
//! [`Directory`](crate::Directory), which runs the SQL lookup on a miss; the writes here
//! forget the cards they change.

use std::collections::HashMap;

use sqlx::{ColumnIndex, Decode, Encode, Executor, Type};

use super::contact_input::{ContactFields, SearchTerms};
use super::{one_row, phones, with_ids};
use crate::directory::{CARD_CALLS, ContactCard};
use crate::domain::contact::{Contact, ContactPhone, ContactUpdate, NewContact, NewPhone};
use crate::store::rows::{ContactRow, PhoneRow};
use crate::store::{
    Backend, CallStore, ContactStore, RowsAffected as _, SqlStore, WorkStore, now_ms,
};
use crate::{CallFilter, ContactId, PhoneId, StoreError, StoreResult, UserId};

/// The columns [`ContactRow`] reads.
macro_rules! contact_columns {
    () => {
        "id, name, organisation, stage, email, tags, owner_id, created_at_ms, updated_at_ms, \
         last_interaction_at_ms"
    };
}

const INSERT_CONTACT: &str = "INSERT INTO contacts (name, organisation, stage, \
    email, tags, owner_id, search_text, created_at_ms, updated_at_ms) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id";
const UPDATE_CONTACT: &str = "UPDATE contacts SET name = $2, organisation = $3, \
    stage = $4, email = $5, tags = $6, owner_id = $7, search_text = $8, updated_at_ms = $9 \
    WHERE id = $1";
pub(crate) const TOUCH_UPDATED: &str = "UPDATE contacts SET updated_at_ms = $2 WHERE id = $1";
const DELETE_CONTACT: &str = "DELETE FROM contacts WHERE id = $1";
/// Followed by the list of ids and `)`.
const CONTACTS_BY_IDS: &str = concat!(
    "SELECT ",
    contact_columns!(),
    " FROM contacts WHERE id IN ("
);
const LIST_CONTACTS: &str = concat!(
    "SELECT ",
    contact_columns!(),
    " FROM contacts ORDER BY updated_at_ms DESC, id DESC LIMIT $1 OFFSET $2"
);
/// `$1`: folded text pattern; `$2`: the query's lookup key; `$3`: a digits pattern or ''.
const SEARCH_CONTACTS: &str = concat!(
    "SELECT ",
    contact_columns!(),
    " FROM contacts WHERE search_text LIKE $1 ESCAPE '\\' OR id IN (SELECT contact_id \
     FROM contact_phones WHERE lookup_key = $2 OR ($3 <> '' AND lookup_key LIKE $3 ESCAPE '\\')) \
     ORDER BY name, id LIMIT $4"
);
/// The contacts with a number: `$2`'s own contacts first, then the most recent interaction.
pub(crate) const CONTACT_IDS_BY_KEY: &str = "SELECT c.id FROM contacts c WHERE c.id IN \
    (SELECT contact_id FROM contact_phones WHERE lookup_key = $1) \
    ORDER BY CASE WHEN c.owner_id = $2 THEN 0 ELSE 1 END, \
    c.last_interaction_at_ms DESC NULLS LAST, c.id LIMIT 50";

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
    /// Contacts with their numbers, in the order of `ids`.
    async fn load_contacts(&self, ids: &[i64]) -> StoreResult<Vec<Contact>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<ContactRow> = with_ids(CONTACTS_BY_IDS, ids, ")")
            .build_query_as()
            .fetch_all(&self.pool)
            .await?;
        let mut phones: HashMap<ContactId, Vec<ContactPhone>> = HashMap::new();
        let phone_rows: Vec<PhoneRow> = with_ids(phones::PHONES_OF_CONTACTS, ids, ") ORDER BY id")
            .build_query_as()
            .fetch_all(&self.pool)
            .await?;
        for phone in phone_rows.into_iter().map(ContactPhone::from) {
            phones.entry(phone.contact).or_default().push(phone);
        }
        let mut contacts = HashMap::new();
        for row in rows {
            let id = ContactId(row.id);
            let numbers = phones.remove(&id).unwrap_or_default();
            contacts.insert(id, row.into_contact(numbers)?);
        }
        Ok(ids
            .iter()
            .filter_map(|id| contacts.remove(&ContactId(*id)))
            .collect())
    }

    /// The cards of every contact with lookup key `key`, most recent interaction first: the
    /// uncached lookup.
    async fn load_cards(&self, key: &str) -> StoreResult<Vec<ContactCard>> {
        let ids: Vec<i64> = sqlx::query_scalar(CONTACT_IDS_BY_KEY)
            .bind(key)
            .bind(None::<i64>)
            .fetch_all(&self.pool)
            .await?;
        let mut cards = Vec::with_capacity(ids.len());
        for contact in self.load_contacts(&ids).await? {
            let recent = CallFilter {
                contact: Some(contact.id),
                limit: CARD_CALLS,
                ..CallFilter::default()
            };
            let last_calls = self.list_calls(&recent).await?;
            let open_tasks = self.tasks_of_contact(contact.id, true).await?;
            cards.push(ContactCard {
                contact,
                last_calls,
                open_tasks,
            });
        }
        Ok(cards)
    }

    /// Writes `update` over contact `id`'s fields; returns the contact.
    async fn write_contact_update(
        &self,
        id: ContactId,
        update: &ContactUpdate,
    ) -> StoreResult<Contact> {
        let current = self.get_contact(id).await?;
        let name = update.name.as_deref().unwrap_or(&current.name);
        let organisation = match &update.organisation {
            Some(org) => org.as_deref(),
            None => current.organisation.as_deref(),
        };
        let email = match &update.email {
            Some(email) => email.as_deref(),
            None => current.email.as_deref(),
        };
        let tags = update.tags.as_ref().unwrap_or(&current.tags);
        let fields = ContactFields::check(name, organisation, email, tags)?;
        let owner = update.owner.unwrap_or(current.owner);
        let done = sqlx::query(UPDATE_CONTACT)
            .bind(id.0)
            .bind(fields.name.as_str())
            .bind(fields.organisation.as_deref())
            .bind(update.stage.unwrap_or(current.stage).as_str())
            .bind(fields.email.as_deref())
            .bind(fields.tags.as_str())
            .bind(owner.map(|o| o.0))
            .bind(fields.search_text.as_str())
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        one_row(done.rows_affected())?;
        self.get_contact(id).await
    }

    /// Adds a number to an existing contact, in one transaction; returns its id.
    async fn write_new_phone(&self, contact: ContactId, phone: &NewPhone) -> StoreResult<PhoneId> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(TOUCH_UPDATED)
            .bind(contact.0)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        one_row(done.rows_affected())?;
        let id = Self::insert_phone(&mut tx, contact, phone).await?;
        tx.commit().await?;
        Ok(id)
    }
}

#[async_trait::async_trait]
impl<DB> ContactStore for SqlStore<DB>
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
    #[tracing::instrument(level = "debug", skip_all, fields(phones = new.phones.len()))]
    async fn create_contact(&self, new: &NewContact) -> StoreResult<Contact> {
        let fields = ContactFields::check(
            &new.name,
            new.organisation.as_deref(),
            new.email.as_deref(),
            &new.tags,
        )?;
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(INSERT_CONTACT)
            .bind(fields.name.as_str())
            .bind(fields.organisation.as_deref())
            .bind(new.stage.as_str())
            .bind(fields.email.as_deref())
            .bind(fields.tags.as_str())
            .bind(new.owner.map(|o| o.0))
            .bind(fields.search_text.as_str())
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?;
        for phone in &new.phones {
            Self::insert_phone(&mut tx, ContactId(id), phone).await?;
        }
        tx.commit().await?;
        let keys: Vec<&str> = new
            .phones
            .iter()
            .map(|p| p.number.lookup_key.as_str())
            .collect();
        // Its numbers' cards now show it, and it may have adopted earlier calls.
        self.directory.forget(Some(ContactId(id)), &keys);
        self.get_contact(ContactId(id)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(contact = %id))]
    async fn get_contact(&self, id: ContactId) -> StoreResult<Contact> {
        self.load_contacts(&[id.0])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(contact = %id))]
    async fn update_contact(&self, id: ContactId, update: &ContactUpdate) -> StoreResult<Contact> {
        let updated = self.write_contact_update(id, update).await;
        // Whatever the outcome: a failure may come after the write.
        self.directory.forget(Some(id), &[]);
        updated
    }

    #[tracing::instrument(level = "debug", skip_all, fields(contact = %id))]
    async fn delete_contact(&self, id: ContactId) -> StoreResult<()> {
        let done = sqlx::query(DELETE_CONTACT)
            .bind(id.0)
            .execute(&self.pool)
            .await;
        // Its cards go, and with them its tasks; its calls stay, unlinked.
        self.directory.forget(Some(id), &[]);
        one_row(done?.rows_affected())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(contact = %contact))]
    async fn add_phone(&self, contact: ContactId, phone: &NewPhone) -> StoreResult<ContactPhone> {
        let added = self.write_new_phone(contact, phone).await;
        // Whatever the outcome: the number's cards now show the contact, whose own cards
        // show the number (and the calls from it it adopted).
        self.directory
            .forget(Some(contact), &[phone.number.lookup_key.as_str()]);
        self.phone(added?).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(phone = %id))]
    async fn update_phone(&self, id: PhoneId, new: &NewPhone) -> StoreResult<ContactPhone> {
        let label = phones::checked_phone(new)?;
        let current = self.phone(id).await?;
        let mut tx = self.pool.begin().await?;
        Self::replace_phone(&mut tx, id, current.contact, new, &label).await?;
        sqlx::query(TOUCH_UPDATED)
            .bind(current.contact.0)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        Self::adopt_calls(&mut tx, current.contact, &new.number.lookup_key).await?;
        tx.commit().await?;
        // The old number's cards lose the contact, the new one's gain it.
        let keys = [current.lookup_key.as_str(), new.number.lookup_key.as_str()];
        self.directory.forget(Some(current.contact), &keys);
        self.phone(id).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(phone = %id))]
    async fn remove_phone(&self, id: PhoneId) -> StoreResult<ContactPhone> {
        let phone = self.phone(id).await?;
        let done = sqlx::query(phones::DELETE_PHONE)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        one_row(done.rows_affected())?;
        let touched = sqlx::query(TOUCH_UPDATED)
            .bind(phone.contact.0)
            .bind(now_ms())
            .execute(&self.pool)
            .await;
        self.directory
            .forget(Some(phone.contact), &[phone.lookup_key.as_str()]);
        touched?;
        Ok(phone)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(offset = offset, limit = limit))]
    async fn list_contacts(&self, offset: u32, limit: u32) -> StoreResult<Vec<Contact>> {
        let ids: Vec<i64> = sqlx::query_scalar(LIST_CONTACTS)
            .bind(i64::from(limit.clamp(1, 500)))
            .bind(i64::from(offset))
            .fetch_all(&self.pool)
            .await?;
        self.load_contacts(&ids).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(limit = limit))]
    async fn search_contacts(&self, query: &str, limit: u32) -> StoreResult<Vec<Contact>> {
        let Some(search) = SearchTerms::new(&self.normalizer, query) else {
            return Ok(Vec::new());
        };
        let ids: Vec<i64> = sqlx::query_scalar(SEARCH_CONTACTS)
            .bind(search.text)
            .bind(search.key)
            .bind(search.digits)
            .bind(i64::from(limit.clamp(1, 500)))
            .fetch_all(&self.pool)
            .await?;
        self.load_contacts(&ids).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn lookup_number(
        &self,
        number: &str,
        for_user: Option<UserId>,
    ) -> StoreResult<Vec<ContactCard>> {
        let key = self.normalizer.normalize(number).lookup_key;
        if key.is_empty() {
            return Ok(Vec::new());
        }
        self.directory
            .lookup(&key, for_user, || self.load_cards(&key))
            .await
    }
}
