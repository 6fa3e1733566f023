//! What agents add to a call besides the PBX's record: the contacts a shared number's call
//! may be linked to, the contact picked for it while it was still in progress
//! (`call_contact_picks`, applied when the call log writes the call) and each agent's own
//! wrap-up (`call_wrapups`).

use std::collections::HashMap;

use sqlx::{ColumnIndex, Decode, Encode, Executor, QueryBuilder, Type};

use super::calls::{LEGS_CHUNK, SELECT_CALLS};
use super::with_ids;
use crate::domain::call::AgentWrapUp;
use crate::store::call_rows::AgentWrapUpRow;
use crate::store::{Backend, CallPartStore, CallStore, ContactStore, SqlStore, now_ms};
use crate::{CallFilter, CallId, CallRow, ContactId, StoreError, StoreResult, WrapUp};

/// The contacts that have the number of each call; followed by the list of call ids and `)`.
const CANDIDATES_OF_CALLS: &str = "SELECT DISTINCT c.id AS call_id, \
    p.contact_id FROM calls c JOIN contact_phones p ON p.lookup_key = c.customer_lookup_key \
    WHERE c.id IN (";
/// Saves (or replaces) the contact picked for a call not yet in the log.
const SAVE_PICK: &str = "INSERT INTO call_contact_picks \
    (pbx, linkedid, contact_id, picked_at_ms) VALUES ($1, $2, $3, $4) \
    ON CONFLICT (pbx, linkedid) DO UPDATE SET contact_id = excluded.contact_id, \
    picked_at_ms = excluded.picked_at_ms";
/// The pick waiting for a call, with the call's id when the log has the call.
const PICK_OF_CALL: &str = "SELECT p.contact_id, c.id AS call_id \
    FROM call_contact_picks p LEFT JOIN calls c ON c.pbx = p.pbx AND c.linkedid = p.linkedid \
    WHERE p.pbx = $1 AND p.linkedid = $2";
const DELETE_PICK: &str = "DELETE FROM call_contact_picks WHERE pbx = $1 AND linkedid = $2";
/// Saves (or replaces) one agent's wrap-up of a call.
const SAVE_AGENT_WRAPUP: &str = "INSERT INTO call_wrapups \
    (call_id, extension, outcome, resolved, note, wrapup_ms, saved_at_ms) \
    VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (call_id, extension) DO UPDATE \
    SET outcome = excluded.outcome, resolved = excluded.resolved, note = excluded.note, \
    wrapup_ms = excluded.wrapup_ms, saved_at_ms = excluded.saved_at_ms";
const AGENT_WRAPUPS: &str = "SELECT extension, outcome, resolved, note, \
    wrapup_ms, saved_at_ms FROM call_wrapups WHERE call_id = $1 \
    ORDER BY saved_at_ms, extension";

/// The contact picked for a call, and the call when the log has it (`PICK_OF_CALL`).
#[derive(sqlx::FromRow)]
struct PickRow {
    contact_id: i64,
    call_id: Option<i64>,
}

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
    /// The calls of [`undecided_calls`](crate::CallStore::undecided_calls): those of no
    /// contact from one of `contact`'s numbers, which another contact also has, filtered by
    /// `filter` (its `contact` ignored).
    pub(super) fn undecided_query(contact: ContactId, filter: &CallFilter) -> QueryBuilder<DB> {
        let mut query = QueryBuilder::new(SELECT_CALLS);
        query.push(
            "WHERE contact_id IS NULL AND customer_lookup_key IN (SELECT lookup_key FROM \
             contact_phones WHERE contact_id = ",
        );
        query.push_bind(contact.0);
        query
            .push(" AND lookup_key IN (SELECT lookup_key FROM contact_phones WHERE contact_id <> ");
        query.push_bind(contact.0).push("))");
        let filter = CallFilter {
            contact: None,
            ..filter.clone()
        };
        Self::push_call_filter(&mut query, &filter, true);
        query
    }

    /// The contacts that have each call's number, by call id, in id order.
    pub(super) async fn candidates_of_calls(
        &self,
        calls: &[CallRow],
    ) -> StoreResult<HashMap<i64, Vec<ContactId>>> {
        let mut candidates: HashMap<i64, Vec<ContactId>> = HashMap::new();
        let ids: Vec<i64> = calls.iter().map(|c| c.id.0).collect();
        for chunk in ids.chunks(LEGS_CHUNK) {
            let pairs: Vec<(i64, i64)> = with_ids(CANDIDATES_OF_CALLS, chunk, ")")
                .build_query_as()
                .fetch_all(&self.pool)
                .await?;
            for (call, contact) in pairs {
                candidates.entry(call).or_default().push(ContactId(contact));
            }
        }
        for list in candidates.values_mut() {
            list.sort();
        }
        Ok(candidates)
    }

    /// After the call log wrote call `id` (`pbx`, `linkedid`) without a contact: the
    /// contact picked while it was in progress, if any, is linked now; a pick of a contact
    /// without the call's number is logged and dropped.
    pub(super) async fn apply_pick_of_written_call(
        &self,
        pbx: &str,
        linkedid: &str,
        id: i64,
    ) -> StoreResult<()> {
        match self.apply_contact_pick(pbx, linkedid).await {
            Ok(_) => Ok(()),
            Err(StoreError::Invalid(why)) => {
                tracing::warn!(call = id, %why, "contact picked during the call not applied");
                Ok(())
            }
            Err(err) => Err(err),
        }
    }

    /// Links the call (`pbx`, `linkedid`) to the contact picked for it while it was in
    /// progress, once the log has the call, and forgets the pick. `None` when there is no
    /// pick or the call is not in the log yet; `Invalid` (the pick forgotten) when the
    /// contact picked does not have the call's number.
    async fn apply_contact_pick(&self, pbx: &str, linkedid: &str) -> StoreResult<Option<CallRow>> {
        let Some(pick) = sqlx::query_as::<_, PickRow>(PICK_OF_CALL)
            .bind(pbx)
            .bind(linkedid)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let Some(call) = pick.call_id else {
            return Ok(None);
        };
        let linked = self
            .link_call_contact(CallId(call), ContactId(pick.contact_id))
            .await;
        if matches!(
            linked,
            Ok(_) | Err(StoreError::Invalid(_) | StoreError::NotFound)
        ) {
            sqlx::query(DELETE_PICK)
                .bind(pbx)
                .bind(linkedid)
                .execute(&self.pool)
                .await?;
        }
        linked.map(Some)
    }
}

#[async_trait::async_trait]
impl<DB> CallPartStore for SqlStore<DB>
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
    #[tracing::instrument(level = "debug", skip_all, fields(pbx = pbx, linkedid = linkedid, contact = %contact))]
    async fn remember_contact_pick(
        &self,
        pbx: &str,
        linkedid: &str,
        contact: ContactId,
    ) -> StoreResult<Option<CallRow>> {
        self.get_contact(contact).await?;
        sqlx::query(SAVE_PICK)
            .bind(pbx)
            .bind(linkedid)
            .bind(contact.0)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        // The call may have been written meanwhile, without the pick. (Linking it forgets
        // the cards of the contacts it leaves and joins.)
        self.apply_contact_pick(pbx, linkedid).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(call = %id, extension = extension))]
    async fn save_agent_wrapup(
        &self,
        id: CallId,
        extension: &str,
        wrapup: &WrapUp,
    ) -> StoreResult<CallRow> {
        let (outcome, note) = wrapup.validate()?;
        let call = self.get_call(id).await?;
        sqlx::query(SAVE_AGENT_WRAPUP)
            .bind(id.0)
            .bind(extension)
            .bind(outcome.as_str())
            .bind(wrapup.resolved)
            .bind(note.as_deref())
            .bind(wrapup.wrapup_ms)
            .bind(now_ms())
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
    async fn agent_wrapups(&self, id: CallId) -> StoreResult<Vec<AgentWrapUp>> {
        Ok(sqlx::query_as::<_, AgentWrapUpRow>(AGENT_WRAPUPS)
            .bind(id.0)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(AgentWrapUp::from)
            .collect())
    }
}
