//! What agents add to a call besides the PBX's record: the contact picked for a shared
//! number's call while it was still in progress (`call_contact_picks`, applied when the
//! call log writes the call) and each agent's own wrap-up (`call_wrapups`).

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

/// The inherent helper of a backend: applying a waiting pick.
macro_rules! impl_call_parts {
    ($store:ty) => {
        impl $store {
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
            // The call may have been written meanwhile, without the pick.
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
            if call.agents().first().is_none_or(|last| last == extension) {
                // The call's own wrap-up is its last talker's.
                self.save_wrapup(id, wrapup).await
            } else {
                Ok(call)
            }
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
