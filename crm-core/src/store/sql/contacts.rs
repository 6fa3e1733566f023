//! Contacts and their numbers: SQL and the [`ContactStore`](crate::ContactStore)
//! implementation. Number lookups are answered from the store's
//! [`Directory`](crate::Directory), which runs the SQL lookup on a miss; the writes here
//! forget the cards they change.

/// The columns [`rows::contact`](crate::store::rows::contact) reads.
macro_rules! contact_columns {
    () => {
        "id, name, organisation, stage, email, tags, owner_id, created_at_ms, updated_at_ms, \
         last_interaction_at_ms"
    };
}

pub(crate) const INSERT_CONTACT: &str = "INSERT INTO contacts (name, organisation, stage, \
    email, tags, owner_id, search_text, created_at_ms, updated_at_ms) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id";
pub(crate) const UPDATE_CONTACT: &str = "UPDATE contacts SET name = $2, organisation = $3, \
    stage = $4, email = $5, tags = $6, owner_id = $7, search_text = $8, updated_at_ms = $9 \
    WHERE id = $1";
pub(crate) const TOUCH_UPDATED: &str = "UPDATE contacts SET updated_at_ms = $2 WHERE id = $1";
pub(crate) const DELETE_CONTACT: &str = "DELETE FROM contacts WHERE id = $1";
/// Followed by a placeholder list and `)`.
pub(crate) const CONTACTS_BY_IDS: &str = concat!(
    "SELECT ",
    contact_columns!(),
    " FROM contacts WHERE id IN ("
);
pub(crate) const LIST_CONTACTS: &str = concat!(
    "SELECT ",
    contact_columns!(),
    " FROM contacts ORDER BY updated_at_ms DESC, id DESC LIMIT $1 OFFSET $2"
);
/// `$1`: folded text pattern; `$2`: the query's lookup key; `$3`: a digits pattern or ''.
pub(crate) const SEARCH_CONTACTS: &str = concat!(
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

/// Implements [`ContactStore`](crate::ContactStore) for a backend (with the helpers of
/// [`impl_phone_helpers`](super::phones::impl_phone_helpers)).
macro_rules! impl_contact_store {
    ($store:ty) => {
        impl $store {
            /// Contacts with their numbers, in the order of `ids`.
            async fn load_contacts(
                &self,
                ids: &[i64],
            ) -> crate::StoreResult<Vec<crate::Contact>> {
                use crate::store::sql::contacts as q;
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let list = crate::store::rows::placeholders(1, ids.len());
                let sql = format!("{}{list})", q::CONTACTS_BY_IDS);
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in ids {
                    query = query.bind(*id);
                }
                let rows = query.fetch_all(&self.pool).await?;
                let sql = format!(
                    "{}{list}) ORDER BY id",
                    crate::store::sql::phones::PHONES_OF_CONTACTS
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in ids {
                    query = query.bind(*id);
                }
                let mut phones: std::collections::HashMap<crate::ContactId, Vec<_>> =
                    std::collections::HashMap::new();
                for row in query.fetch_all(&self.pool).await? {
                    let phone = crate::store::rows::phone(&row)?;
                    phones.entry(phone.contact).or_default().push(phone);
                }
                let mut contacts = std::collections::HashMap::new();
                for row in &rows {
                    use crate::store::rows::Columns as _;
                    let id = crate::ContactId(row.int("id")?);
                    let numbers = phones.remove(&id).unwrap_or_default();
                    contacts.insert(id, crate::store::rows::contact(row, numbers)?);
                }
                Ok(ids
                    .iter()
                    .filter_map(|id| contacts.remove(&crate::ContactId(*id)))
                    .collect())
            }

            /// The cards of every contact with lookup key `key`, most recent interaction
            /// first: the uncached lookup.
            async fn load_cards(&self, key: &str) -> crate::StoreResult<Vec<crate::ContactCard>> {
                use crate::store::rows::Columns as _;
                use crate::store::{CallStore as _, WorkStore as _};
                let ids = sqlx::query(crate::store::sql::contacts::CONTACT_IDS_BY_KEY)
                    .bind(key)
                    .bind(None::<i64>)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|row| row.int("id"))
                    .collect::<crate::StoreResult<Vec<i64>>>()?;
                let mut cards = Vec::with_capacity(ids.len());
                for contact in self.load_contacts(&ids).await? {
                    let recent = crate::CallFilter {
                        contact: Some(contact.id),
                        limit: crate::directory::CARD_CALLS,
                        ..crate::CallFilter::default()
                    };
                    let last_calls = self.list_calls(&recent).await?;
                    let open_tasks = self.tasks_of_contact(contact.id, true).await?;
                    cards.push(crate::ContactCard {
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
                id: crate::ContactId,
                update: &crate::ContactUpdate,
            ) -> crate::StoreResult<crate::Contact> {
                use crate::store::ContactStore as _;
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
                let fields = crate::store::sql::contact_input::ContactFields::check(
                    name,
                    organisation,
                    email,
                    tags,
                )?;
                let owner = update.owner.unwrap_or(current.owner);
                let done = sqlx::query(crate::store::sql::contacts::UPDATE_CONTACT)
                    .bind(id.0)
                    .bind(fields.name.as_str())
                    .bind(fields.organisation.as_deref())
                    .bind(update.stage.unwrap_or(current.stage).as_str())
                    .bind(fields.email.as_deref())
                    .bind(fields.tags.as_str())
                    .bind(owner.map(|o| o.0))
                    .bind(fields.search_text.as_str())
                    .bind(crate::store::now_ms())
                    .execute(&self.pool)
                    .await?;
                crate::store::sql::one_row(done.rows_affected())?;
                self.get_contact(id).await
            }

            /// Adds a number to an existing contact, in one transaction; returns its id.
            async fn write_new_phone(
                &self,
                contact: crate::ContactId,
                phone: &crate::NewPhone,
            ) -> crate::StoreResult<crate::PhoneId> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(crate::store::sql::contacts::TOUCH_UPDATED)
                    .bind(contact.0)
                    .bind(crate::store::now_ms())
                    .execute(&mut *tx)
                    .await?;
                crate::store::sql::one_row(done.rows_affected())?;
                let id = Self::insert_phone(&mut tx, contact, phone).await?;
                tx.commit().await?;
                Ok(id)
            }
        }

        #[async_trait::async_trait]
        impl crate::store::ContactStore for $store {
            #[tracing::instrument(level = "debug", skip_all, fields(phones = new.phones.len()))]
            async fn create_contact(
                &self,
                new: &crate::NewContact,
            ) -> crate::StoreResult<crate::Contact> {
                use crate::store::sql::contacts as q;
                let fields = crate::store::sql::contact_input::ContactFields::check(
                    &new.name,
                    new.organisation.as_deref(),
                    new.email.as_deref(),
                    &new.tags,
                )?;
                let now = crate::store::now_ms();
                let mut tx = self.pool.begin().await?;
                let id: i64 = sqlx::query_scalar(q::INSERT_CONTACT)
                    .bind(fields.name.as_str())
                    .bind(fields.organisation.as_deref())
                    .bind(new.stage.as_str())
                    .bind(fields.email.as_deref())
                    .bind(fields.tags.as_str())
                    .bind(new.owner.map(|o| o.0))
                    .bind(fields.search_text.as_str())
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                for phone in &new.phones {
                    Self::insert_phone(&mut tx, crate::ContactId(id), phone).await?;
                }
                tx.commit().await?;
                let keys: Vec<&str> = new
                    .phones
                    .iter()
                    .map(|p| p.number.lookup_key.as_str())
                    .collect();
                // Its numbers' cards now show it, and it may have adopted earlier calls.
                self.directory.forget(Some(crate::ContactId(id)), &keys);
                self.get_contact(crate::ContactId(id)).await
            }

            #[tracing::instrument(level = "debug", skip_all, fields(contact = %id))]
            async fn get_contact(&self, id: crate::ContactId) -> crate::StoreResult<crate::Contact> {
                self.load_contacts(&[id.0])
                    .await?
                    .pop()
                    .ok_or(crate::StoreError::NotFound)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(contact = %id))]
            async fn update_contact(
                &self,
                id: crate::ContactId,
                update: &crate::ContactUpdate,
            ) -> crate::StoreResult<crate::Contact> {
                let updated = self.write_contact_update(id, update).await;
                // Whatever the outcome: a failure may come after the write.
                self.directory.forget(Some(id), &[]);
                updated
            }

            #[tracing::instrument(level = "debug", skip_all, fields(contact = %id))]
            async fn delete_contact(&self, id: crate::ContactId) -> crate::StoreResult<()> {
                let done = sqlx::query(crate::store::sql::contacts::DELETE_CONTACT)
                    .bind(id.0)
                    .execute(&self.pool)
                    .await;
                // Its cards go, and with them its tasks; its calls stay, unlinked.
                self.directory.forget(Some(id), &[]);
                crate::store::sql::one_row(done?.rows_affected())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(contact = %contact))]
            async fn add_phone(
                &self,
                contact: crate::ContactId,
                phone: &crate::NewPhone,
            ) -> crate::StoreResult<crate::ContactPhone> {
                let added = self.write_new_phone(contact, phone).await;
                // Whatever the outcome: the number's cards now show the contact, whose own
                // cards show the number (and the calls from it it adopted).
                self.directory
                    .forget(Some(contact), &[phone.number.lookup_key.as_str()]);
                self.phone(added?).await
            }

            #[tracing::instrument(level = "debug", skip_all, fields(phone = %id))]
            async fn update_phone(
                &self,
                id: crate::PhoneId,
                new: &crate::NewPhone,
            ) -> crate::StoreResult<crate::ContactPhone> {
                use crate::store::sql::contacts as q;
                let label = crate::store::sql::phones::checked_phone(new)?;
                let current = self.phone(id).await?;
                let mut tx = self.pool.begin().await?;
                let taken: i64 = sqlx::query_scalar(crate::store::sql::phones::PHONE_KEY_TAKEN)
                    .bind(current.contact.0)
                    .bind(new.number.lookup_key.as_str())
                    .bind(id.0)
                    .fetch_one(&mut *tx)
                    .await?;
                if taken > 0 {
                    return Err(crate::StoreError::Conflict(format!(
                        "the contact already has the number {}",
                        new.number.raw
                    )));
                }
                sqlx::query(crate::store::sql::phones::UPDATE_PHONE)
                    .bind(id.0)
                    .bind(new.number.raw.as_str())
                    .bind(new.number.e164.as_ref().map(|e| e.as_str()))
                    .bind(new.number.lookup_key.as_str())
                    .bind(label)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(q::TOUCH_UPDATED)
                    .bind(current.contact.0)
                    .bind(crate::store::now_ms())
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
            async fn remove_phone(
                &self,
                id: crate::PhoneId,
            ) -> crate::StoreResult<crate::ContactPhone> {
                let phone = self.phone(id).await?;
                let done = sqlx::query(crate::store::sql::phones::DELETE_PHONE)
                    .bind(id.0)
                    .execute(&self.pool)
                    .await?;
                crate::store::sql::one_row(done.rows_affected())?;
                let touched = sqlx::query(crate::store::sql::contacts::TOUCH_UPDATED)
                    .bind(phone.contact.0)
                    .bind(crate::store::now_ms())
                    .execute(&self.pool)
                    .await;
                self.directory
                    .forget(Some(phone.contact), &[phone.lookup_key.as_str()]);
                touched?;
                Ok(phone)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(offset = offset, limit = limit))]
            async fn list_contacts(
                &self,
                offset: u32,
                limit: u32,
            ) -> crate::StoreResult<Vec<crate::Contact>> {
                use crate::store::rows::Columns as _;
                let ids = sqlx::query(crate::store::sql::contacts::LIST_CONTACTS)
                    .bind(i64::from(limit.clamp(1, 500)))
                    .bind(i64::from(offset))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|row| row.int("id"))
                    .collect::<crate::StoreResult<Vec<i64>>>()?;
                self.load_contacts(&ids).await
            }

            #[tracing::instrument(level = "debug", skip_all, fields(limit = limit))]
            async fn search_contacts(
                &self,
                query: &str,
                limit: u32,
            ) -> crate::StoreResult<Vec<crate::Contact>> {
                use crate::store::rows::Columns as _;
                let Some(search) =
                    crate::store::sql::contact_input::SearchTerms::new(&self.normalizer, query)
                else {
                    return Ok(Vec::new());
                };
                let ids = sqlx::query(crate::store::sql::contacts::SEARCH_CONTACTS)
                    .bind(search.text)
                    .bind(search.key)
                    .bind(search.digits)
                    .bind(i64::from(limit.clamp(1, 500)))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|row| row.int("id"))
                    .collect::<crate::StoreResult<Vec<i64>>>()?;
                self.load_contacts(&ids).await
            }

            #[tracing::instrument(level = "debug", skip_all)]
            async fn lookup_number(
                &self,
                number: &str,
                for_user: Option<crate::UserId>,
            ) -> crate::StoreResult<Vec<crate::ContactCard>> {
                let key = self.normalizer.normalize(number).lookup_key;
                if key.is_empty() {
                    return Ok(Vec::new());
                }
                self.directory
                    .lookup(&key, for_user, || self.load_cards(&key))
                    .await
            }
        }

    };
}

pub(crate) use impl_contact_store;
