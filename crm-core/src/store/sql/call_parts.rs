//! What agents add to a call besides the PBX's record: the contacts a shared number's call
//! may be linked to, the contact picked for it while it was still in progress
//! (`call_contact_picks`, applied when the call log writes the call) and each agent's own
//! wrap-up (`call_wrapups`).

use crate::domain::call::CallFilter;
use crate::domain::ids::ContactId;
use crate::store::sql::calls::{Bind, filter_clause};

/// The contacts that have the number of each call; followed by a placeholder list and `)`.
pub(crate) const CANDIDATES_OF_CALLS: &str = "SELECT DISTINCT c.id AS call_id, \
    p.contact_id FROM calls c JOIN contact_phones p ON p.lookup_key = c.customer_lookup_key \
    WHERE c.id IN (";
/// Saves (or replaces) the contact picked for a call not yet in the log.
pub(crate) const SAVE_PICK: &str = "INSERT INTO call_contact_picks \
    (pbx, linkedid, contact_id, picked_at_ms) VALUES ($1, $2, $3, $4) \
    ON CONFLICT (pbx, linkedid) DO UPDATE SET contact_id = excluded.contact_id, \
    picked_at_ms = excluded.picked_at_ms";
/// The pick waiting for a call, with the call's id when the log has the call.
pub(crate) const PICK_OF_CALL: &str = "SELECT p.contact_id, c.id AS call_id \
    FROM call_contact_picks p LEFT JOIN calls c ON c.pbx = p.pbx AND c.linkedid = p.linkedid \
    WHERE p.pbx = $1 AND p.linkedid = $2";
pub(crate) const DELETE_PICK: &str =
    "DELETE FROM call_contact_picks WHERE pbx = $1 AND linkedid = $2";
/// Saves (or replaces) one agent's wrap-up of a call.
pub(crate) const SAVE_AGENT_WRAPUP: &str = "INSERT INTO call_wrapups \
    (call_id, extension, outcome, resolved, note, wrapup_ms, saved_at_ms) \
    VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (call_id, extension) DO UPDATE \
    SET outcome = excluded.outcome, resolved = excluded.resolved, note = excluded.note, \
    wrapup_ms = excluded.wrapup_ms, saved_at_ms = excluded.saved_at_ms";
pub(crate) const AGENT_WRAPUPS: &str = "SELECT extension, outcome, resolved, note, \
    wrapup_ms, saved_at_ms FROM call_wrapups WHERE call_id = $1 \
    ORDER BY saved_at_ms, extension";

/// The `WHERE … ORDER BY … LIMIT` of
/// [`undecided_calls`](crate::CallStore::undecided_calls) and its bind values: the calls of
/// no contact from one of `contact`'s numbers, which another contact also has.
pub(crate) fn undecided_clause(contact: ContactId, filter: &CallFilter) -> (String, Vec<Bind>) {
    let (rest, mut binds) = filter_clause(&CallFilter {
        contact: None,
        ..filter.clone()
    });
    binds.push(Bind::Int(contact.0));
    let n = binds.len();
    let rest = rest
        .strip_prefix("WHERE ")
        .map_or_else(|| rest.clone(), |conditions| format!("AND {conditions}"));
    let sql = format!(
        "WHERE contact_id IS NULL AND customer_lookup_key IN (SELECT lookup_key FROM \
         contact_phones WHERE contact_id = ${n} AND lookup_key IN (SELECT lookup_key FROM \
         contact_phones WHERE contact_id <> ${n})) {rest}"
    );
    (sql, binds)
}

/// The inherent helpers of a backend: applying a waiting pick, a call's candidates.
macro_rules! impl_call_parts {
    ($store:ty) => {
        impl $store {
            /// The contacts that have each call's number, by call id, in id order.
            async fn candidates_of_calls(
                &self,
                calls: &[crate::CallRow],
            ) -> crate::StoreResult<
                std::collections::HashMap<i64, Vec<crate::ContactId>>,
            > {
                use crate::store::rows::Columns as _;
                use crate::store::sql::{call_parts as q, calls::LEGS_CHUNK};
                let mut candidates: std::collections::HashMap<i64, Vec<crate::ContactId>> =
                    std::collections::HashMap::new();
                let ids: Vec<i64> = calls.iter().map(|c| c.id.0).collect();
                for chunk in ids.chunks(LEGS_CHUNK) {
                    let list = crate::store::rows::placeholders(1, chunk.len());
                    let sql = format!("{}{list})", q::CANDIDATES_OF_CALLS);
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    for row in query.fetch_all(&self.pool).await? {
                        candidates
                            .entry(row.int("call_id")?)
                            .or_default()
                            .push(crate::ContactId(row.int("contact_id")?));
                    }
                }
                for list in candidates.values_mut() {
                    list.sort();
                }
                Ok(candidates)
            }

            /// After the call log wrote call `id` (`pbx`, `linkedid`) without a contact: the
            /// contact picked while it was in progress, if any, is linked now; a pick of a
            /// contact without the call's number is logged and dropped.
            pub(crate) async fn apply_pick_of_written_call(
                &self,
                pbx: &str,
                linkedid: &str,
                id: i64,
            ) -> crate::StoreResult<()> {
                match self.apply_contact_pick(pbx, linkedid).await {
                    Ok(_) => Ok(()),
                    Err(crate::StoreError::Invalid(why)) => {
                        tracing::warn!(call = id, %why, "contact picked during the call not applied");
                        Ok(())
                    }
                    Err(err) => Err(err),
                }
            }

            /// Links the call (`pbx`, `linkedid`) to the contact picked for it while it was
            /// in progress, once the log has the call, and forgets the pick. `None` when
            /// there is no pick or the call is not in the log yet; `Invalid` (the pick
            /// forgotten) when the contact picked does not have the call's number.
            pub(crate) async fn apply_contact_pick(
                &self,
                pbx: &str,
                linkedid: &str,
            ) -> crate::StoreResult<Option<crate::CallRow>> {
                use crate::store::CallStore as _;
                use crate::store::rows::Columns as _;
                use crate::store::sql::call_parts as q;
                let Some(row) = sqlx::query(q::PICK_OF_CALL)
                    .bind(pbx)
                    .bind(linkedid)
                    .fetch_optional(&self.pool)
                    .await?
                else {
                    return Ok(None);
                };
                let Some(call) = row.opt_int("call_id")? else {
                    return Ok(None);
                };
                let contact = crate::ContactId(row.int("contact_id")?);
                let linked = self.link_call_contact(crate::CallId(call), contact).await;
                if matches!(
                    linked,
                    Ok(_) | Err(crate::StoreError::Invalid(_) | crate::StoreError::NotFound)
                ) {
                    sqlx::query(q::DELETE_PICK)
                        .bind(pbx)
                        .bind(linkedid)
                        .execute(&self.pool)
                        .await?;
                }
                linked.map(Some)
            }
        }
    };
}

/// Implements [`CallPartStore`](crate::CallPartStore) for a backend.
macro_rules! impl_call_part_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::store::CallPartStore for $store {
        #[tracing::instrument(level = "debug", skip_all, fields(pbx = pbx, linkedid = linkedid, contact = %contact))]
        async fn remember_contact_pick(
            &self,
            pbx: &str,
            linkedid: &str,
            contact: crate::ContactId,
        ) -> crate::StoreResult<Option<crate::CallRow>> {
            use crate::store::ContactStore as _;
            self.get_contact(contact).await?;
            sqlx::query(crate::store::sql::call_parts::SAVE_PICK)
                .bind(pbx)
                .bind(linkedid)
                .bind(contact.0)
                .bind(crate::store::now_ms())
                .execute(&self.pool)
                .await?;
            // The call may have been written meanwhile, without the pick. (Linking it
            // forgets the cards of the contacts it leaves and joins.)
            self.apply_contact_pick(pbx, linkedid).await
        }

        #[tracing::instrument(level = "debug", skip_all, fields(call = %id, extension = extension))]
        async fn save_agent_wrapup(
            &self,
            id: crate::CallId,
            extension: &str,
            wrapup: &crate::WrapUp,
        ) -> crate::StoreResult<crate::CallRow> {
            use crate::store::CallStore as _;
            let (outcome, note) = wrapup.validate()?;
            let call = self.get_call(id).await?;
            sqlx::query(crate::store::sql::call_parts::SAVE_AGENT_WRAPUP)
                .bind(id.0)
                .bind(extension)
                .bind(outcome.as_str())
                .bind(wrapup.resolved)
                .bind(note.as_deref())
                .bind(wrapup.wrapup_ms)
                .bind(crate::store::now_ms())
                .execute(&self.pool)
                .await?;
            let row = if call.agents().first().is_none_or(|last| last == extension) {
                // The call's own wrap-up is its last talker's.
                self.save_wrapup(id, wrapup).await?
            } else {
                call
            };
            self.directory.forget(row.contact, &[]);
            Ok(row)
        }

        #[tracing::instrument(level = "debug", skip_all, fields(call = %id))]
        async fn agent_wrapups(
            &self,
            id: crate::CallId,
        ) -> crate::StoreResult<Vec<crate::AgentWrapUp>> {
            sqlx::query(crate::store::sql::call_parts::AGENT_WRAPUPS)
                .bind(id.0)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(crate::store::rows::agent_wrapup)
                .collect()
        }
        }
    };
}

pub(crate) use {impl_call_part_store, impl_call_parts};
