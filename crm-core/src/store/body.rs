//! The [`Store`](super::Store) method bodies, written once and compiled for each backend by
//! [`impl_store!`]. Both backends run the same SQL (see [`queries`](super::queries)); what
//! differs between them (pool type, migrations) is passed in.

/// Implements [`Store`](super::Store) for a backend struct with fields `pool`, `cache` and
/// `normalizer`.
macro_rules! impl_store {
    ($store:ty, $backend:literal, $migrator:expr) => {
        use sqlx::Row as _;

        use crate::StoreError;
        use crate::directory::ContactCard;
        use crate::domain::call::{AgentAttemptInput, CallFilter, CallRecordInput, CallRow};
        use crate::domain::contact::{
            self as contact_rules, Contact, ContactPhone, ContactUpdate, NewContact, NewPhone,
            Stage,
        };
        use crate::domain::ids::{CallId, ContactId, NoteId, PhoneId, TaskId, TokenId, UserId};
        use crate::domain::user::{
            Extension, Locale, NewUser, Role, TokenScope, TokenUser, User, Username,
        };
        use crate::domain::work::{AuditEntry, NewTask, Note, Task, TaskKind, TaskStatus};
        use crate::store::Store as _;
        use crate::store::now_ms;
        use crate::store::queries as q;
        use crate::store::rows;

        impl $store {
            fn user_from_row<R: sqlx::Row>(row: &R) -> StoreResult<User>
            where
                for<'a> &'a str: sqlx::ColumnIndex<R>,
                for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
                for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
                for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
            {
                let extension: Option<String> = row.try_get("extension")?;
                Ok(User {
                    id: UserId(row.try_get("id")?),
                    username: Username::parse(&row.try_get::<String, _>("username")?)?,
                    display_name: row.try_get("display_name")?,
                    role: Role::parse(&row.try_get::<String, _>("role")?)?,
                    extension: extension.as_deref().map(Extension::parse).transpose()?,
                    locale: Locale::parse(&row.try_get::<String, _>("locale")?)?,
                    active: row.try_get("active")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                })
            }

            async fn users_where(&self, clause: &str, arg: Option<&str>) -> StoreResult<Vec<User>> {
                let sql = format!("SELECT {} FROM users {clause}", q::USER_COLUMNS);
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                if let Some(arg) = arg {
                    query = query.bind(arg.to_owned());
                }
                let rows = query.fetch_all(&self.pool).await?;
                rows.iter().map(Self::user_from_row).collect()
            }

            async fn load_contacts(&self, ids: &[i64]) -> StoreResult<Vec<Contact>> {
                let mut out = Vec::with_capacity(ids.len());
                for &id in ids {
                    out.push(self.load_contact(ContactId(id)).await?);
                }
                Ok(out)
            }

            async fn load_contact(&self, id: ContactId) -> StoreResult<Contact> {
                let sql = format!("SELECT {} FROM contacts WHERE id = $1", q::CONTACT_COLUMNS);
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let sql = format!(
                    "SELECT {} FROM contact_phones WHERE contact_id = $1 ORDER BY id",
                    q::PHONE_COLUMNS
                );
                let phones = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id.0)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|p| {
                        Ok(ContactPhone {
                            id: PhoneId(p.try_get("id")?),
                            raw: p.try_get("raw")?,
                            e164: p.try_get("e164")?,
                            lookup_key: p.try_get("lookup_key")?,
                            label: p.try_get("label")?,
                        })
                    })
                    .collect::<StoreResult<Vec<_>>>()?;
                let owner: Option<i64> = row.try_get("owner_id")?;
                Ok(Contact {
                    id,
                    name: row.try_get("name")?,
                    organisation: row.try_get("organisation")?,
                    stage: Stage::parse(&row.try_get::<String, _>("stage")?)?,
                    email: row.try_get("email")?,
                    tags: rows::tags_from_json(&row.try_get::<String, _>("tags")?),
                    owner: owner.map(UserId),
                    phones,
                    created_at_ms: row.try_get("created_at_ms")?,
                    updated_at_ms: row.try_get("updated_at_ms")?,
                    last_interaction_at_ms: row.try_get("last_interaction_at_ms")?,
                })
            }

            fn task_from_row<R: sqlx::Row>(row: &R) -> StoreResult<Task>
            where
                for<'a> &'a str: sqlx::ColumnIndex<R>,
                for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
                for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
            {
                let contact: Option<i64> = row.try_get("contact_id")?;
                let call: Option<i64> = row.try_get("call_id")?;
                let assignee: Option<i64> = row.try_get("assignee_id")?;
                Ok(Task {
                    id: TaskId(row.try_get("id")?),
                    kind: TaskKind::parse(&row.try_get::<String, _>("kind")?)?,
                    title: row.try_get("title")?,
                    contact: contact.map(ContactId),
                    call: call.map(CallId),
                    assignee: assignee.map(UserId),
                    due_at_ms: row.try_get("due_at_ms")?,
                    status: TaskStatus::parse(&row.try_get::<String, _>("status")?)?,
                    created_at_ms: row.try_get("created_at_ms")?,
                    closed_at_ms: row.try_get("closed_at_ms")?,
                })
            }

            async fn task(&self, id: TaskId) -> StoreResult<Task> {
                let sql = format!("SELECT {} FROM tasks WHERE id = $1", q::TASK_COLUMNS);
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                Self::task_from_row(&row)
            }

            /// The agent attempts of these calls, in one query.
            async fn call_legs_of(
                &self,
                calls: &[i64],
            ) -> StoreResult<std::collections::HashMap<i64, Vec<AgentAttemptInput>>> {
                let mut legs: std::collections::HashMap<i64, Vec<AgentAttemptInput>> =
                    std::collections::HashMap::new();
                if calls.is_empty() {
                    return Ok(legs);
                }
                let placeholders: Vec<String> =
                    (1..=calls.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "SELECT call_id, extension, result, ring_ms, rang_at_ms FROM call_legs \
                     WHERE call_id IN ({}) ORDER BY call_id, seq",
                    placeholders.join(", ")
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for &call in calls {
                    query = query.bind(call);
                }
                for r in query.fetch_all(&self.pool).await? {
                    legs.entry(r.try_get("call_id")?)
                        .or_default()
                        .push(AgentAttemptInput {
                            extension: r.try_get("extension")?,
                            result: r.try_get("result")?,
                            ring_ms: r.try_get("ring_ms")?,
                            rang_at_ms: r.try_get("rang_at_ms")?,
                        });
                }
                Ok(legs)
            }

            async fn calls_where(
                &self,
                clause: &str,
                binds: Vec<CallBind>,
            ) -> StoreResult<Vec<CallRow>> {
                let sql = format!("SELECT {} FROM calls {clause}", q::CALL_COLUMNS);
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for bind in binds {
                    query = match bind {
                        CallBind::Int(v) => query.bind(v),
                        CallBind::Text(v) => query.bind(v),
                    };
                }
                let rows = query.fetch_all(&self.pool).await?;
                let ids = rows
                    .iter()
                    .map(|row| row.try_get::<i64, _>("id"))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut legs = self.call_legs_of(&ids).await?;
                let mut out = Vec::with_capacity(rows.len());
                for row in &rows {
                    let id: i64 = row.try_get("id")?;
                    let contact: Option<i64> = row.try_get("contact_id")?;
                    let user: Option<i64> = row.try_get("answered_by_user_id")?;
                    out.push(CallRow {
                        id: CallId(id),
                        pbx: row.try_get("pbx")?,
                        linkedid: row.try_get("linkedid")?,
                        direction: row.try_get("direction")?,
                        customer_number_raw: row.try_get("customer_number_raw")?,
                        customer_number_e164: row.try_get("customer_number_e164")?,
                        customer_name: row.try_get("customer_name")?,
                        contact: contact.map(ContactId),
                        did: row.try_get("did")?,
                        queue: row.try_get("queue")?,
                        agents_rung: legs.remove(&id).unwrap_or_default(),
                        answered_by_extension: row.try_get("answered_by_extension")?,
                        answered_by_user: user.map(UserId),
                        agent_extension: row.try_get("agent_extension")?,
                        started_at_ms: row.try_get("started_at_ms")?,
                        queued_at_ms: row.try_get("queued_at_ms")?,
                        answered_at_ms: row.try_get("answered_at_ms")?,
                        ended_at_ms: row.try_get("ended_at_ms")?,
                        wait_ms: row.try_get("wait_ms")?,
                        ring_ms: row.try_get("ring_ms")?,
                        talk_ms: row.try_get("talk_ms")?,
                        hold_ms: row.try_get("hold_ms")?,
                        disposition: row.try_get("disposition")?,
                        hangup_by: row.try_get("hangup_by")?,
                        hangup_by_extension: row.try_get("hangup_by_extension")?,
                        hangup_cause: row.try_get("hangup_cause")?,
                        transfers: rows::json_value(&row.try_get::<String, _>("transfers")?),
                        recording_file: row.try_get("recording_file")?,
                        click_id: row.try_get("click_id")?,
                        end_known: row.try_get("end_known")?,
                        wrapup_outcome: row.try_get("wrapup_outcome")?,
                        wrapup_resolved: row.try_get("wrapup_resolved")?,
                        wrapup_note: row.try_get("wrapup_note")?,
                    });
                }
                Ok(out)
            }

            /// Builds the contact cards for a lookup key, uncached.
            async fn cards_for_key(&self, key: &str) -> StoreResult<Vec<ContactCard>> {
                let ids: Vec<i64> = sqlx::query(q::CONTACT_IDS_BY_KEY)
                    .bind(key.to_owned())
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| r.try_get::<i64, _>("id"))
                    .collect::<Result<_, _>>()?;
                let mut cards = Vec::with_capacity(ids.len());
                for contact in self.load_contacts(&ids).await? {
                    let last_calls = self
                        .calls_where(
                            "WHERE contact_id = $1 ORDER BY started_at_ms DESC, id DESC LIMIT 5",
                            vec![CallBind::Int(contact.id.0)],
                        )
                        .await?;
                    let open_tasks = self.tasks_of_contact(contact.id, true).await?;
                    cards.push(ContactCard {
                        contact,
                        last_calls,
                        open_tasks,
                    });
                }
                Ok(cards)
            }

            async fn phone_keys_of(&self, contact: ContactId) -> StoreResult<Vec<String>> {
                sqlx::query("SELECT lookup_key FROM contact_phones WHERE contact_id = $1")
                    .bind(contact.0)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| {
                        r.try_get::<String, _>("lookup_key")
                            .map_err(StoreError::from)
                    })
                    .collect()
            }

            /// Forgets every cached card showing this contact.
            async fn invalidate_contact(&self, contact: ContactId) -> StoreResult<()> {
                let keys = self.phone_keys_of(contact).await?;
                self.cache.invalidate_keys(keys.iter().map(String::as_str));
                self.cache.invalidate_contact(contact);
                Ok(())
            }
        }

        /// A bind value of a dynamically built call query.
        enum CallBind {
            Int(i64),
            Text(String),
        }

        #[async_trait::async_trait]
        impl crate::store::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            fn normalizer(&self) -> &crate::PhoneNormalizer {
                &self.normalizer
            }

            #[tracing::instrument(skip_all)]
            async fn migrate(&self) -> StoreResult<()> {
                $migrator.run(&self.pool).await?;
                Ok(())
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query(q::PING).execute(&self.pool).await?;
                Ok(())
            }

            #[tracing::instrument(skip_all, fields(username = %user.username))]
            async fn create_user(&self, user: &NewUser) -> StoreResult<User> {
                let display_name = user.display_name.trim();
                if display_name.is_empty() || display_name.chars().count() > 200 {
                    return Err(StoreError::Invalid(
                        "a display name has 1-200 characters".into(),
                    ));
                }
                let id: i64 = sqlx::query(q::INSERT_USER)
                    .bind(user.username.as_str().to_owned())
                    .bind(display_name.to_owned())
                    .bind(user.role.as_str())
                    .bind(user.extension.as_ref().map(|e| e.as_str().to_owned()))
                    .bind(user.locale.as_str())
                    .bind(user.password_hash.clone())
                    .bind(now_ms())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(|err| match StoreError::from(err) {
                        StoreError::Conflict(_) => StoreError::Conflict(
                            "the username or the extension is already taken".into(),
                        ),
                        other => other,
                    })?
                    .try_get("id")?;
                self.user(UserId(id)).await
            }

            async fn user(&self, id: UserId) -> StoreResult<User> {
                let sql = format!("SELECT {} FROM users WHERE id = $1", q::USER_COLUMNS);
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                Self::user_from_row(&row)
            }

            async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
                Ok(self
                    .users_where("WHERE username = $1", Some(username))
                    .await?
                    .into_iter()
                    .next())
            }

            async fn user_by_extension(&self, extension: &str) -> StoreResult<Option<User>> {
                Ok(self
                    .users_where("WHERE extension = $1", Some(extension))
                    .await?
                    .into_iter()
                    .next())
            }

            async fn list_users(&self) -> StoreResult<Vec<User>> {
                self.users_where("ORDER BY username", None).await
            }

            async fn user_password_hash(&self, id: UserId) -> StoreResult<String> {
                Ok(sqlx::query(q::USER_PASSWORD_HASH)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?
                    .try_get("password_hash")?)
            }

            async fn set_password_hash(&self, id: UserId, hash: &str) -> StoreResult<()> {
                let done = sqlx::query(q::SET_PASSWORD_HASH)
                    .bind(id.0)
                    .bind(hash.to_owned())
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn set_user_locale(&self, id: UserId, locale: Locale) -> StoreResult<()> {
                let done = sqlx::query(q::SET_USER_LOCALE)
                    .bind(id.0)
                    .bind(locale.as_str())
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            #[tracing::instrument(skip_all, fields(user = %user))]
            async fn create_token(
                &self,
                user: UserId,
                scope: TokenScope,
            ) -> StoreResult<(TokenId, String)> {
                let (token, hash) = crate::token::new_token();
                let id: i64 = sqlx::query(q::INSERT_TOKEN)
                    .bind(user.0)
                    .bind(hash)
                    .bind(scope.as_str())
                    .bind(now_ms())
                    .fetch_one(&self.pool)
                    .await?
                    .try_get("id")?;
                Ok((TokenId(id), token))
            }

            #[tracing::instrument(skip_all)]
            async fn verify_token(&self, token: &str) -> StoreResult<Option<TokenUser>> {
                if !token.starts_with(crate::token::TOKEN_PREFIX) || token.len() > 128 {
                    return Ok(None);
                }
                let Some(row) = sqlx::query(q::TOKEN_USER)
                    .bind(crate::token::hash_token(token))
                    .fetch_optional(&self.pool)
                    .await?
                else {
                    return Ok(None);
                };
                let token_id: i64 = row.try_get("token_id")?;
                let scope = TokenScope::parse(&row.try_get::<String, _>("scope")?)?;
                let user = Self::user_from_row(&row)?;
                sqlx::query(q::TOUCH_TOKEN)
                    .bind(token_id)
                    .bind(now_ms())
                    .execute(&self.pool)
                    .await?;
                Ok(Some(TokenUser { user, scope }))
            }

            async fn revoke_token(&self, id: TokenId) -> StoreResult<()> {
                sqlx::query(q::REVOKE_TOKEN)
                    .bind(id.0)
                    .bind(now_ms())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            #[tracing::instrument(skip_all)]
            async fn create_contact(&self, new: &NewContact) -> StoreResult<Contact> {
                let name = contact_rules::validate_name(&new.name)?;
                let email = new
                    .email
                    .as_deref()
                    .filter(|e| !e.trim().is_empty())
                    .map(contact_rules::validate_email)
                    .transpose()?;
                let now = now_ms();
                let mut tx = self.pool.begin().await?;
                let id: i64 = sqlx::query(q::INSERT_CONTACT)
                    .bind(name)
                    .bind(
                        new.organisation
                            .as_deref()
                            .map(str::trim)
                            .filter(|o| !o.is_empty())
                            .map(str::to_owned),
                    )
                    .bind(new.stage.as_str())
                    .bind(email)
                    .bind(rows::tags_to_json(&contact_rules::clean_tags(&new.tags)))
                    .bind(new.owner.map(|o| o.0))
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("id")?;
                for phone in &new.phones {
                    if phone.number.lookup_key.is_empty() {
                        return Err(StoreError::Invalid("a phone number cannot be empty".into()));
                    }
                    sqlx::query(q::INSERT_PHONE)
                        .bind(id)
                        .bind(phone.number.raw.clone())
                        .bind(phone.number.e164.as_ref().map(|e| e.as_str().to_owned()))
                        .bind(phone.number.lookup_key.clone())
                        .bind(phone.label.trim().to_owned())
                        .fetch_one(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                self.cache
                    .invalidate_keys(new.phones.iter().map(|p| p.number.lookup_key.as_str()));
                self.load_contact(ContactId(id)).await
            }

            async fn contact(&self, id: ContactId) -> StoreResult<Contact> {
                self.load_contact(id).await
            }

            #[tracing::instrument(skip_all, fields(contact = %id))]
            async fn update_contact(
                &self,
                id: ContactId,
                update: &ContactUpdate,
            ) -> StoreResult<Contact> {
                let current = self.load_contact(id).await?;
                let name = match &update.name {
                    Some(name) => contact_rules::validate_name(name)?,
                    None => current.name,
                };
                let email = match &update.email {
                    Some(Some(email)) if !email.trim().is_empty() => {
                        Some(contact_rules::validate_email(email)?)
                    }
                    Some(_) => None,
                    None => current.email,
                };
                let organisation = match &update.organisation {
                    Some(org) => org
                        .as_deref()
                        .map(str::trim)
                        .filter(|o| !o.is_empty())
                        .map(str::to_owned),
                    None => current.organisation,
                };
                let tags = match &update.tags {
                    Some(tags) => contact_rules::clean_tags(tags),
                    None => current.tags,
                };
                let owner = match update.owner {
                    Some(owner) => owner,
                    None => current.owner,
                };
                sqlx::query(q::UPDATE_CONTACT)
                    .bind(id.0)
                    .bind(name)
                    .bind(organisation)
                    .bind(update.stage.unwrap_or(current.stage).as_str())
                    .bind(email)
                    .bind(rows::tags_to_json(&tags))
                    .bind(owner.map(|o| o.0))
                    .bind(now_ms())
                    .execute(&self.pool)
                    .await?;
                self.invalidate_contact(id).await?;
                self.load_contact(id).await
            }

            async fn delete_contact(&self, id: ContactId) -> StoreResult<()> {
                let keys = self.phone_keys_of(id).await?;
                let done = sqlx::query(q::DELETE_CONTACT)
                    .bind(id.0)
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                self.cache.invalidate_keys(keys.iter().map(String::as_str));
                self.cache.invalidate_contact(id);
                Ok(())
            }

            async fn add_phone(
                &self,
                contact: ContactId,
                phone: &NewPhone,
            ) -> StoreResult<ContactPhone> {
                if phone.number.lookup_key.is_empty() {
                    return Err(StoreError::Invalid("a phone number cannot be empty".into()));
                }
                let id: i64 = sqlx::query(q::INSERT_PHONE)
                    .bind(contact.0)
                    .bind(phone.number.raw.clone())
                    .bind(phone.number.e164.as_ref().map(|e| e.as_str().to_owned()))
                    .bind(phone.number.lookup_key.clone())
                    .bind(phone.label.trim().to_owned())
                    .fetch_one(&self.pool)
                    .await?
                    .try_get("id")?;
                self.cache
                    .invalidate_keys([phone.number.lookup_key.as_str()]);
                self.invalidate_contact(contact).await?;
                Ok(ContactPhone {
                    id: PhoneId(id),
                    raw: phone.number.raw.clone(),
                    e164: phone.number.e164.as_ref().map(|e| e.as_str().to_owned()),
                    lookup_key: phone.number.lookup_key.clone(),
                    label: phone.label.trim().to_owned(),
                })
            }

            async fn remove_phone(&self, phone: PhoneId) -> StoreResult<()> {
                let row = sqlx::query(q::DELETE_PHONE)
                    .bind(phone.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let contact: i64 = row.try_get("contact_id")?;
                let key: String = row.try_get("lookup_key")?;
                self.cache.invalidate_keys([key.as_str()]);
                self.invalidate_contact(ContactId(contact)).await
            }

            #[tracing::instrument(skip_all)]
            async fn search_contacts(&self, query: &str, limit: u32) -> StoreResult<Vec<Contact>> {
                let query = query.trim();
                if query.is_empty() {
                    return Ok(Vec::new());
                }
                let text = format!("%{}%", escape_like(&query.to_lowercase()));
                let number = self.normalizer.normalize(query);
                let digits: String = number
                    .lookup_key
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect();
                let partial = if digits.len() >= 4
                    && number
                        .lookup_key
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '+')
                {
                    format!("%{digits}%")
                } else {
                    String::new()
                };
                let ids: Vec<i64> = sqlx::query(q::SEARCH_CONTACTS)
                    .bind(text)
                    .bind(number.lookup_key)
                    .bind(partial)
                    .bind(i64::from(limit.clamp(1, 500)))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| r.try_get::<i64, _>("id"))
                    .collect::<Result<_, _>>()?;
                self.load_contacts(&ids).await
            }

            #[tracing::instrument(skip_all)]
            async fn lookup_number(
                &self,
                number: &str,
                for_user: Option<UserId>,
            ) -> StoreResult<Vec<ContactCard>> {
                let key = self.normalizer.normalize(number).lookup_key;
                if key.is_empty() {
                    return Ok(Vec::new());
                }
                let cards = match self.cache.get(&key) {
                    Some(cards) => cards,
                    None => {
                        let generation = self.cache.generation();
                        let cards = self.cards_for_key(&key).await?;
                        self.cache.insert(&key, cards, generation)
                    }
                };
                Ok(crate::directory::rank_for(&cards, for_user))
            }

            async fn add_note(
                &self,
                contact: ContactId,
                call: Option<CallId>,
                author: Option<UserId>,
                body: &str,
            ) -> StoreResult<Note> {
                let body = body.trim();
                if body.is_empty() {
                    return Err(StoreError::Invalid("a note cannot be empty".into()));
                }
                let now = now_ms();
                let id: i64 = sqlx::query(q::INSERT_NOTE)
                    .bind(contact.0)
                    .bind(call.map(|c| c.0))
                    .bind(author.map(|a| a.0))
                    .bind(body.to_owned())
                    .bind(now)
                    .fetch_one(&self.pool)
                    .await?
                    .try_get("id")?;
                Ok(Note {
                    id: NoteId(id),
                    contact,
                    call,
                    author,
                    body: body.to_owned(),
                    created_at_ms: now,
                })
            }

            async fn notes(&self, contact: ContactId) -> StoreResult<Vec<Note>> {
                sqlx::query(q::NOTES_OF_CONTACT)
                    .bind(contact.0)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| {
                        let call: Option<i64> = r.try_get("call_id")?;
                        let author: Option<i64> = r.try_get("author_id")?;
                        Ok(Note {
                            id: NoteId(r.try_get("id")?),
                            contact: ContactId(r.try_get("contact_id")?),
                            call: call.map(CallId),
                            author: author.map(UserId),
                            body: r.try_get("body")?,
                            created_at_ms: r.try_get("created_at_ms")?,
                        })
                    })
                    .collect()
            }

            #[tracing::instrument(skip_all)]
            async fn create_task(&self, task: &NewTask) -> StoreResult<Task> {
                let title = task.title.trim();
                if title.is_empty() || title.chars().count() > 500 {
                    return Err(StoreError::Invalid(
                        "a task title has 1-500 characters".into(),
                    ));
                }
                let id: i64 = sqlx::query(q::INSERT_TASK)
                    .bind(task.kind.as_str())
                    .bind(title.to_owned())
                    .bind(task.contact.map(|c| c.0))
                    .bind(task.call.map(|c| c.0))
                    .bind(task.assignee.map(|a| a.0))
                    .bind(task.due_at_ms)
                    .bind(now_ms())
                    .fetch_one(&self.pool)
                    .await?
                    .try_get("id")?;
                if let Some(contact) = task.contact {
                    self.invalidate_contact(contact).await?;
                }
                self.task(TaskId(id)).await
            }

            async fn set_task_status(&self, id: TaskId, status: TaskStatus) -> StoreResult<Task> {
                let closed = (status != TaskStatus::Open).then(now_ms);
                let done = sqlx::query(q::SET_TASK_STATUS)
                    .bind(id.0)
                    .bind(status.as_str())
                    .bind(closed)
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                let task = self.task(id).await?;
                if let Some(contact) = task.contact {
                    self.invalidate_contact(contact).await?;
                }
                Ok(task)
            }

            async fn tasks_of_contact(
                &self,
                contact: ContactId,
                open_only: bool,
            ) -> StoreResult<Vec<Task>> {
                let filter = if open_only { "AND status = 'open'" } else { "" };
                let sql = format!(
                    "SELECT {} FROM tasks WHERE contact_id = $1 {filter} \
                     ORDER BY due_at_ms IS NULL, due_at_ms, id",
                    q::TASK_COLUMNS
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(contact.0)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(Self::task_from_row)
                    .collect()
            }

            #[tracing::instrument(skip_all, fields(pbx = %call.pbx, linkedid = %call.linkedid))]
            async fn record_call(&self, call: &CallRecordInput) -> StoreResult<CallId> {
                if call.pbx.is_empty() || call.linkedid.is_empty() {
                    return Err(StoreError::Invalid(
                        "a call needs its PBX and Linkedid".into(),
                    ));
                }
                let number = call
                    .customer_number_raw
                    .as_deref()
                    .map(|raw| self.normalizer.normalize(raw));
                let e164 = call.customer_number_e164.clone().or_else(|| {
                    number
                        .as_ref()
                        .and_then(|n| n.e164.as_ref().map(|e| e.as_str().to_owned()))
                });
                let lookup_key = e164
                    .clone()
                    .or_else(|| number.as_ref().map(|n| n.lookup_key.clone()))
                    .filter(|k| !k.is_empty());
                let contact = match &lookup_key {
                    Some(key) => sqlx::query(q::CONTACT_IDS_BY_KEY)
                        .bind(key.clone())
                        .fetch_optional(&self.pool)
                        .await?
                        .map(|r| r.try_get::<i64, _>("id"))
                        .transpose()?,
                    None => None,
                };
                let answered_by_user = match &call.answered_by_extension {
                    Some(ext) => self.user_by_extension(ext).await?.map(|u| u.id.0),
                    None => None,
                };
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(q::UPSERT_CALL)
                    .bind(call.pbx.clone())
                    .bind(call.linkedid.clone())
                    .bind(call.direction.clone())
                    .bind(call.customer_number_raw.clone())
                    .bind(e164)
                    .bind(lookup_key)
                    .bind(call.customer_name.clone())
                    .bind(contact)
                    .bind(call.did.clone())
                    .bind(call.queue.clone())
                    .bind(call.answered_by_extension.clone())
                    .bind(answered_by_user)
                    .bind(call.agent_extension.clone())
                    .bind(call.started_at_ms)
                    .bind(call.queued_at_ms)
                    .bind(call.answered_at_ms)
                    .bind(call.ended_at_ms)
                    .bind(call.wait_ms)
                    .bind(call.ring_ms)
                    .bind(call.talk_ms)
                    .bind(call.hold_ms)
                    .bind(call.disposition.clone())
                    .bind(call.hangup_by.clone())
                    .bind(call.hangup_by_extension.clone())
                    .bind(call.hangup_cause)
                    .bind(call.transfers.to_string())
                    .bind(call.recording_file.clone())
                    .bind(call.click_id.clone())
                    .bind(call.end_known)
                    .bind(call.completeness())
                    .execute(&mut *tx)
                    .await?;
                let row = sqlx::query(q::CALL_ID_BY_LINKEDID)
                    .bind(call.pbx.clone())
                    .bind(call.linkedid.clone())
                    .fetch_one(&mut *tx)
                    .await?;
                let id: i64 = row.try_get("id")?;
                let stored_contact: Option<i64> = row.try_get("contact_id")?;
                if done.rows_affected() > 0 {
                    sqlx::query(q::DELETE_CALL_LEGS)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    for (seq, leg) in call.agents_rung.iter().enumerate() {
                        sqlx::query(q::INSERT_CALL_LEG)
                            .bind(id)
                            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
                            .bind(leg.extension.clone())
                            .bind(leg.result.clone())
                            .bind(leg.ring_ms)
                            .bind(leg.rang_at_ms)
                            .execute(&mut *tx)
                            .await?;
                    }
                    if let Some(contact) = stored_contact {
                        sqlx::query(q::TOUCH_CONTACT)
                            .bind(contact)
                            .bind(call.started_at_ms)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
                if let Some(contact) = stored_contact {
                    self.invalidate_contact(ContactId(contact)).await?;
                }
                Ok(CallId(id))
            }

            async fn call(&self, id: CallId) -> StoreResult<CallRow> {
                self.calls_where("WHERE id = $1", vec![CallBind::Int(id.0)])
                    .await?
                    .into_iter()
                    .next()
                    .ok_or(StoreError::NotFound)
            }

            async fn call_by_linkedid(
                &self,
                pbx: &str,
                linkedid: &str,
            ) -> StoreResult<Option<CallRow>> {
                Ok(self
                    .calls_where(
                        "WHERE pbx = $1 AND linkedid = $2",
                        vec![
                            CallBind::Text(pbx.to_owned()),
                            CallBind::Text(linkedid.to_owned()),
                        ],
                    )
                    .await?
                    .into_iter()
                    .next())
            }

            #[tracing::instrument(skip_all)]
            async fn list_calls(&self, filter: &CallFilter) -> StoreResult<Vec<CallRow>> {
                let mut clauses = Vec::new();
                let mut binds = Vec::new();
                if let Some(contact) = filter.contact {
                    binds.push(CallBind::Int(contact.0));
                    clauses.push(format!("contact_id = ${}", binds.len()));
                }
                if let Some(from) = filter.from_ms {
                    binds.push(CallBind::Int(from));
                    clauses.push(format!("started_at_ms >= ${}", binds.len()));
                }
                if let Some(to) = filter.to_ms {
                    binds.push(CallBind::Int(to));
                    clauses.push(format!("started_at_ms < ${}", binds.len()));
                }
                if let Some(ext) = &filter.agent_extension {
                    binds.push(CallBind::Text(ext.clone()));
                    let n = binds.len();
                    clauses.push(format!(
                        "(answered_by_extension = ${n} OR agent_extension = ${n} OR \
                         id IN (SELECT call_id FROM call_legs WHERE extension = ${n}))"
                    ));
                }
                let clause = if clauses.is_empty() {
                    String::new()
                } else {
                    format!("WHERE {}", clauses.join(" AND "))
                };
                binds.push(CallBind::Int(i64::from(filter.limit.max(1))));
                let sql = format!(
                    "{clause} ORDER BY started_at_ms DESC, id DESC LIMIT ${}",
                    binds.len()
                );
                self.calls_where(&sql, binds).await
            }

            async fn record_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
                sqlx::query(q::INSERT_AUDIT)
                    .bind(entry.at_ms)
                    .bind(entry.actor.map(|a| a.0))
                    .bind(entry.action.clone())
                    .bind(entry.subject.clone())
                    .bind(entry.detail.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn audit_log(&self, limit: u32) -> StoreResult<Vec<AuditEntry>> {
                sqlx::query(q::AUDIT_LOG)
                    .bind(i64::from(limit.clamp(1, 10_000)))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| {
                        let actor: Option<i64> = r.try_get("actor_user_id")?;
                        Ok(AuditEntry {
                            at_ms: r.try_get("at_ms")?,
                            actor: actor.map(UserId),
                            action: r.try_get("action")?,
                            subject: r.try_get("subject")?,
                            detail: rows::json_value(&r.try_get::<String, _>("detail")?),
                        })
                    })
                    .collect()
            }
        }

        /// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
        fn escape_like(s: &str) -> String {
            let mut out = String::with_capacity(s.len());
            for c in s.chars() {
                if matches!(c, '%' | '_' | '\\') {
                    out.push('\\');
                }
                out.push(c);
            }
            out
        }
    };
}

pub(crate) use impl_store;
