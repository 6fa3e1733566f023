//! The call log: SQL and the [`CallStore`](crate::CallStore) implementation. A call is read
//! from its row ([`CallRecordRow`]) with its legs and agent segments; the list filters are
//! built with a [`QueryBuilder`].

use std::collections::HashMap;

use futures_util::TryStreamExt as _;
use sqlx::{ColumnIndex, Decode, Encode, Executor, QueryBuilder, Type};

use super::{call_write, one_row, with_ids};
use crate::domain::call::{CallLeg, CallSegment, UndecidedCall};
use crate::store::call_rows::{CallFactsRow, CallRecordRow, LegRow, SegmentRow};
use crate::store::{Backend, CallStore, ContactStore, RowsAffected as _, SqlStore, now_ms};
use crate::{
    CallFacts, CallFilter, CallId, CallMetrics, CallRecordInput, CallRow, ContactId, FcrStatus,
    StoreError, StoreResult, WrapUp,
};

/// The columns [`CallRecordRow`] reads.
macro_rules! call_columns {
    () => {
        "id, pbx, linkedid, direction, customer_number_raw, customer_number_e164, \
         customer_name, contact_id, did, queue, answered_by_extension, answered_by_user_id, \
         agent_extension, started_at_ms, queued_at_ms, answered_at_ms, ended_at_ms, wait_ms, \
         ring_ms, talk_ms, hold_ms, disposition, hangup_by, hangup_by_extension, hangup_cause, \
         transfers, recording_file, click_id, end_known, failure_reason, wrapup_outcome, wrapup_resolved, \
         wrapup_note, wrapup_ms, wrapup_at_ms, service_level_met, first_contact, fcr_status, \
         metrics_at_ms"
    };
}

/// Followed by a `WHERE` clause.
pub(crate) const SELECT_CALLS: &str = concat!("SELECT ", call_columns!(), " FROM calls ");
const CALL_BY_ID: &str = concat!("SELECT ", call_columns!(), " FROM calls WHERE id = $1");
const CALL_BY_LINKEDID: &str = concat!(
    "SELECT ",
    call_columns!(),
    " FROM calls WHERE pbx = $1 AND linkedid = $2"
);
/// The [`CallFacts`] of the calls started in `[$1, $2)`, oldest first.
const CALL_FACTS: &str = "SELECT id, direction, disposition, queue, contact_id, \
    customer_number_raw, customer_number_e164, started_at_ms, queued_at_ms, answered_at_ms, \
    wait_ms, talk_ms, hold_ms, wrapup_ms, wrapup_resolved, service_level_met, first_contact, \
    fcr_status, metrics_at_ms FROM calls WHERE started_at_ms >= $1 AND started_at_ms < $2 \
    ORDER BY started_at_ms, id";
/// Followed by the list of call ids and `) ORDER BY call_id, seq`.
const SEGMENTS_OF_CALLS: &str = "SELECT call_id, extension, connected_at_ms, \
    talk_ms FROM call_segments WHERE call_id IN (";
/// Followed by the list of call ids and `) ORDER BY call_id, seq`.
const LEGS_OF_CALLS: &str = "SELECT call_id, extension, result, ring_ms, talk_ms, \
    rang_at_ms FROM call_legs WHERE call_id IN (";
pub(crate) const TOUCH_INTERACTION: &str = "UPDATE contacts SET last_interaction_at_ms = $2 \
    WHERE id = $1 AND (last_interaction_at_ms IS NULL OR last_interaction_at_ms < $2)";
/// (A change that can change the call's figures clears when they were computed, so that
/// the metrics job recomputes them: here, in the upsert and when a contact is linked.)
const SAVE_WRAPUP: &str = "UPDATE calls SET wrapup_outcome = $2, \
    wrapup_resolved = $3, wrapup_note = $4, wrapup_ms = $5, wrapup_at_ms = $6, \
    metrics_at_ms = NULL WHERE id = $1";
/// Links call `$1` to contact `$2` when the contact has the call's number.
const LINK_CALL_CONTACT: &str = "UPDATE calls SET contact_id = $2, \
    metrics_at_ms = NULL WHERE id = $1 \
    AND customer_lookup_key IN (SELECT lookup_key FROM contact_phones WHERE contact_id = $2)";
const SET_CALL_METRICS: &str = "UPDATE calls SET service_level_met = $2, \
    first_contact = $3, fcr_status = $4, metrics_at_ms = $5 WHERE id = $1";

/// Legs are read for at most this many calls per query (bind-parameter limits).
pub(crate) const LEGS_CHUNK: usize = 500;

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
    /// Appends `filter`'s conditions (after `WHERE`, or after `AND` when `query` has a
    /// condition already), then newest first and its limit.
    pub(super) fn push_call_filter(query: &mut QueryBuilder<DB>, filter: &CallFilter, and: bool) {
        let mut next = if and { " AND " } else { "WHERE " };
        if let Some(contact) = filter.contact {
            query.push(next).push("contact_id = ").push_bind(contact.0);
            next = " AND ";
        }
        if let Some(from) = filter.from_ms {
            query.push(next).push("started_at_ms >= ").push_bind(from);
            next = " AND ";
        }
        if let Some(to) = filter.to_ms {
            query.push(next).push("started_at_ms < ").push_bind(to);
            next = " AND ";
        }
        if let Some(ext) = filter.agent_extension.as_deref() {
            // The agent rang, answered, talked (after a transfer) or handled the call.
            query
                .push(next)
                .push("(answered_by_extension = ")
                .push_bind(ext);
            query.push(" OR agent_extension = ").push_bind(ext);
            query.push(" OR id IN (SELECT call_id FROM call_legs WHERE extension = ");
            query.push_bind(ext);
            query.push(") OR id IN (SELECT call_id FROM call_segments WHERE extension = ");
            query.push_bind(ext).push("))");
        }
        query.push(" ORDER BY started_at_ms DESC, id DESC LIMIT ");
        query.push_bind(i64::from(filter.limit.max(1)));
    }

    /// The calls of `rows`, with their legs and agent segments.
    pub(super) async fn with_parts(&self, rows: Vec<CallRecordRow>) -> StoreResult<Vec<CallRow>> {
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let mut legs: HashMap<i64, Vec<CallLeg>> = HashMap::new();
        let mut segments: HashMap<i64, Vec<CallSegment>> = HashMap::new();
        for chunk in ids.chunks(LEGS_CHUNK) {
            let leg_rows: Vec<LegRow> = with_ids(LEGS_OF_CALLS, chunk, ") ORDER BY call_id, seq")
                .build_query_as()
                .fetch_all(&self.pool)
                .await?;
            for row in leg_rows {
                legs.entry(row.call_id).or_default().push(row.into_leg()?);
            }
        }
        for chunk in ids.chunks(LEGS_CHUNK) {
            let segment_rows: Vec<SegmentRow> =
                with_ids(SEGMENTS_OF_CALLS, chunk, ") ORDER BY call_id, seq")
                    .build_query_as()
                    .fetch_all(&self.pool)
                    .await?;
            for row in segment_rows {
                segments.entry(row.call_id).or_default().push(row.into());
            }
        }
        rows.into_iter()
            .map(|row| {
                let id = row.id;
                row.into_call(
                    legs.remove(&id).unwrap_or_default(),
                    segments.remove(&id).unwrap_or_default(),
                )
            })
            .collect()
    }

    /// The calls `query` (a [`SELECT_CALLS`] with its clause) selects, with their parts.
    pub(super) async fn calls_from(
        &self,
        mut query: QueryBuilder<DB>,
    ) -> StoreResult<Vec<CallRow>> {
        let rows = query.build_query_as().fetch_all(&self.pool).await?;
        self.with_parts(rows).await
    }
}

#[async_trait::async_trait]
impl<DB> CallStore for SqlStore<DB>
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
    #[tracing::instrument(level = "debug", skip_all, fields(pbx = %call.pbx, linkedid = %call.linkedid))]
    async fn record_call(&self, call: &CallRecordInput) -> StoreResult<CallId> {
        call.validate()?;
        let customer = self.call_customer(call).await?;
        let mut tx = self.pool.begin().await?;
        let written = Self::upsert_call(&mut tx, call, &customer).await?;
        let (id, contact): (i64, Option<i64>) = sqlx::query_as(call_write::CALL_ID_BY_LINKEDID)
            .bind(call.pbx.as_str())
            .bind(call.linkedid.as_str())
            .fetch_one(&mut *tx)
            .await?;
        if written {
            Self::write_call_parts(&mut tx, id, contact, call).await?;
        }
        tx.commit().await?;
        // The call shows on its contact's card, and its time ranks the contact.
        self.directory.forget(contact.map(ContactId), &[]);
        if customer.contact.is_none() && customer.lookup_key.is_some() {
            // After the commit: a pick saved meanwhile is seen by one side or the other.
            // (Linking the call to the contact picked forgets that contact's cards.)
            self.apply_pick_of_written_call(&call.pbx, &call.linkedid, id)
                .await?;
        }
        tracing::debug!(call = id, written, "call recorded");
        Ok(CallId(id))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(call = %id))]
    async fn get_call(&self, id: CallId) -> StoreResult<CallRow> {
        let rows = sqlx::query_as(CALL_BY_ID)
            .bind(id.0)
            .fetch_all(&self.pool)
            .await?;
        self.with_parts(rows)
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(pbx = pbx, linkedid = linkedid))]
    async fn call_by_linkedid(&self, pbx: &str, linkedid: &str) -> StoreResult<Option<CallRow>> {
        let rows = sqlx::query_as(CALL_BY_LINKEDID)
            .bind(pbx)
            .bind(linkedid)
            .fetch_all(&self.pool)
            .await?;
        Ok(self.with_parts(rows).await?.pop())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(limit = filter.limit))]
    async fn list_calls(&self, filter: &CallFilter) -> StoreResult<Vec<CallRow>> {
        let mut query = QueryBuilder::new(SELECT_CALLS);
        Self::push_call_filter(&mut query, filter, false);
        self.calls_from(query).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn fold_call_facts(
        &self,
        from_ms: i64,
        to_ms: i64,
        each: &mut (dyn FnMut(CallFacts) + Send),
    ) -> StoreResult<()> {
        let mut rows = sqlx::query_as::<_, CallFactsRow>(CALL_FACTS)
            .bind(from_ms)
            .bind(to_ms)
            .fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            each(row.into_facts()?);
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(call = %id))]
    async fn save_wrapup(&self, id: CallId, wrapup: &WrapUp) -> StoreResult<CallRow> {
        let (outcome, note) = wrapup.validate()?;
        let done = sqlx::query(SAVE_WRAPUP)
            .bind(id.0)
            .bind(outcome)
            .bind(wrapup.resolved)
            .bind(note.as_deref())
            .bind(wrapup.wrapup_ms)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        one_row(done.rows_affected())?;
        let row = self.get_call(id).await?;
        self.directory.forget(row.contact, &[]);
        Ok(row)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(call = %id))]
    async fn set_call_metrics(&self, id: CallId, metrics: &CallMetrics) -> StoreResult<()> {
        let done = sqlx::query(SET_CALL_METRICS)
            .bind(id.0)
            .bind(metrics.service_level_met)
            .bind(metrics.first_contact)
            .bind(metrics.fcr_status.map(FcrStatus::as_str))
            .bind(metrics.computed_at_ms)
            .execute(&self.pool)
            .await?;
        one_row(done.rows_affected())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(call = %id, contact = %contact))]
    async fn link_call_contact(&self, id: CallId, contact: ContactId) -> StoreResult<CallRow> {
        let call = self.get_call(id).await?;
        self.get_contact(contact).await?;
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(LINK_CALL_CONTACT)
            .bind(id.0)
            .bind(contact.0)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Invalid(
                "the contact does not have the call's number".into(),
            ));
        }
        sqlx::query(TOUCH_INTERACTION)
            .bind(contact.0)
            .bind(call.started_at_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        // The call leaves the card it was on (if any) for the picked contact's.
        self.directory.forget(call.contact, &[]);
        self.directory.forget(Some(contact), &[]);
        self.get_call(id).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(contact = %contact))]
    async fn undecided_calls(
        &self,
        contact: ContactId,
        filter: &CallFilter,
    ) -> StoreResult<Vec<UndecidedCall>> {
        let calls = self
            .calls_from(Self::undecided_query(contact, filter))
            .await?;
        let mut candidates = self.candidates_of_calls(&calls).await?;
        Ok(calls
            .into_iter()
            .map(|call| UndecidedCall {
                candidates: candidates.remove(&call.id.0).unwrap_or_default(),
                call,
            })
            .collect())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(call = %id))]
    async fn call_candidates(&self, id: CallId) -> StoreResult<Vec<ContactId>> {
        let call = self.get_call(id).await?;
        Ok(self
            .candidates_of_calls(std::slice::from_ref(&call))
            .await?
            .remove(&id.0)
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use sqlx::{Postgres, QueryBuilder};

    use crate::store::SqlStore;
    use crate::{CallFilter, ContactId};

    #[test]
    fn a_call_filter_binds_each_condition() {
        let filter = CallFilter {
            contact: Some(ContactId(7)),
            from_ms: Some(1),
            to_ms: Some(2),
            agent_extension: Some("1001".into()),
            limit: 0,
        };
        let mut query = QueryBuilder::<Postgres>::new("");
        SqlStore::<Postgres>::push_call_filter(&mut query, &filter, false);
        assert_eq!(
            query.sql().as_str(),
            "WHERE contact_id = $1 AND started_at_ms >= $2 AND started_at_ms < $3 AND \
             (answered_by_extension = $4 OR agent_extension = $5 OR id IN (SELECT call_id FROM \
             call_legs WHERE extension = $6) OR id IN (SELECT call_id FROM call_segments WHERE \
             extension = $7)) ORDER BY started_at_ms DESC, id DESC LIMIT $8"
        );
        let mut query = QueryBuilder::<Postgres>::new("WHERE x");
        SqlStore::<Postgres>::push_call_filter(&mut query, &CallFilter::default(), true);
        assert_eq!(
            query.sql().as_str(),
            "WHERE x ORDER BY started_at_ms DESC, id DESC LIMIT $1"
        );
    }
}
