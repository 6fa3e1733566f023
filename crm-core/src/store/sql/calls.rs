//! The call log: SQL and the [`CallStore`](crate::CallStore) implementation.

use crate::domain::call::CallFilter;

/// The columns [`rows::call`](crate::store::rows::call) reads.
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
/// The [`CallFacts`](crate::CallFacts) of the calls started in `[$1, $2)`, oldest first.
pub(crate) const CALL_FACTS: &str = "SELECT id, direction, disposition, queue, contact_id, \
    customer_number_raw, customer_number_e164, started_at_ms, queued_at_ms, answered_at_ms, \
    wait_ms, talk_ms, hold_ms, wrapup_ms, wrapup_resolved, service_level_met, first_contact, \
    fcr_status, metrics_at_ms FROM calls WHERE started_at_ms >= $1 AND started_at_ms < $2 \
    ORDER BY started_at_ms, id";
/// Followed by a placeholder list and `) ORDER BY call_id, seq`.
pub(crate) const SEGMENTS_OF_CALLS: &str = "SELECT call_id, extension, connected_at_ms, \
    talk_ms FROM call_segments WHERE call_id IN (";
/// Followed by a placeholder list and `) ORDER BY call_id, seq`.
pub(crate) const LEGS_OF_CALLS: &str = "SELECT call_id, extension, result, ring_ms, talk_ms, \
    rang_at_ms FROM call_legs WHERE call_id IN (";
pub(crate) const TOUCH_INTERACTION: &str = "UPDATE contacts SET last_interaction_at_ms = $2 \
    WHERE id = $1 AND (last_interaction_at_ms IS NULL OR last_interaction_at_ms < $2)";
/// (A change that can change the call's figures clears when they were computed, so that
/// the metrics job recomputes them: here, in the upsert and when a contact is linked.)
pub(crate) const SAVE_WRAPUP: &str = "UPDATE calls SET wrapup_outcome = $2, \
    wrapup_resolved = $3, wrapup_note = $4, wrapup_ms = $5, wrapup_at_ms = $6, \
    metrics_at_ms = NULL WHERE id = $1";

/// Links call `$1` to contact `$2` when the contact has the call's number.
pub(crate) const LINK_CALL_CONTACT: &str = "UPDATE calls SET contact_id = $2, \
    metrics_at_ms = NULL WHERE id = $1 \
    AND customer_lookup_key IN (SELECT lookup_key FROM contact_phones WHERE contact_id = $2)";

pub(crate) const SET_CALL_METRICS: &str = "UPDATE calls SET service_level_met = $2, \
    first_contact = $3, fcr_status = $4, metrics_at_ms = $5 WHERE id = $1";

/// Legs are read for at most this many calls per query (bind-parameter limits).
pub(crate) const LEGS_CHUNK: usize = 500;

/// A bind value of a built query.
pub(crate) enum Bind {
    Int(i64),
    Text(String),
}

/// The `WHERE … ORDER BY … LIMIT` of [`list_calls`](crate::CallStore::list_calls) and its
/// bind values.
pub(crate) fn filter_clause(filter: &CallFilter) -> (String, Vec<Bind>) {
    let mut clauses = Vec::new();
    let mut binds = Vec::new();
    if let Some(contact) = filter.contact {
        binds.push(Bind::Int(contact.0));
        clauses.push(format!("contact_id = ${}", binds.len()));
    }
    if let Some(from) = filter.from_ms {
        binds.push(Bind::Int(from));
        clauses.push(format!("started_at_ms >= ${}", binds.len()));
    }
    if let Some(to) = filter.to_ms {
        binds.push(Bind::Int(to));
        clauses.push(format!("started_at_ms < ${}", binds.len()));
    }
    if let Some(ext) = &filter.agent_extension {
        binds.push(Bind::Text(ext.clone()));
        let n = binds.len();
        clauses.push(format!(
            "(answered_by_extension = ${n} OR agent_extension = ${n} OR \
             id IN (SELECT call_id FROM call_legs WHERE extension = ${n}) OR \
             id IN (SELECT call_id FROM call_segments WHERE extension = ${n}))"
        ));
    }
    let clause = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    binds.push(Bind::Int(i64::from(filter.limit.max(1))));
    let sql = format!(
        "{clause} ORDER BY started_at_ms DESC, id DESC LIMIT ${}",
        binds.len()
    );
    (sql, binds)
}

/// Implements [`CallStore`](crate::CallStore) for a backend.
macro_rules! impl_call_store {
    ($store:ty, $db:ty) => {
        crate::store::sql::call_write::impl_call_write!($store, $db);

        impl $store {
            /// Calls selected by `clause` (after `FROM calls`), with their legs.
            async fn calls_where(
                &self,
                clause: &str,
                binds: Vec<crate::store::sql::calls::Bind>,
            ) -> crate::StoreResult<Vec<crate::CallRow>> {
                use crate::store::rows::Columns as _;
                use crate::store::sql::calls::{self as q, Bind};
                let sql = format!("{}{clause}", q::SELECT_CALLS);
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for bind in binds {
                    query = match bind {
                        Bind::Int(v) => query.bind(v),
                        Bind::Text(v) => query.bind(v),
                    };
                }
                let rows = query.fetch_all(&self.pool).await?;
                let ids = rows
                    .iter()
                    .map(|row| row.int("id"))
                    .collect::<crate::StoreResult<Vec<i64>>>()?;
                let mut legs: std::collections::HashMap<i64, Vec<crate::CallLeg>> =
                    std::collections::HashMap::new();
                for chunk in ids.chunks(q::LEGS_CHUNK) {
                    let list = crate::store::rows::placeholders(1, chunk.len());
                    let sql = format!("{}{list}) ORDER BY call_id, seq", q::LEGS_OF_CALLS);
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    for row in query.fetch_all(&self.pool).await? {
                        let call = row.int("call_id")?;
                        legs.entry(call)
                            .or_default()
                            .push(crate::store::rows::leg(&row)?);
                    }
                }
                let mut segments: std::collections::HashMap<i64, Vec<crate::CallSegment>> =
                    std::collections::HashMap::new();
                for chunk in ids.chunks(q::LEGS_CHUNK) {
                    let list = crate::store::rows::placeholders(1, chunk.len());
                    let sql = format!("{}{list}) ORDER BY call_id, seq", q::SEGMENTS_OF_CALLS);
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    for row in query.fetch_all(&self.pool).await? {
                        let call = row.int("call_id")?;
                        segments
                            .entry(call)
                            .or_default()
                            .push(crate::store::rows::segment(&row)?);
                    }
                }
                rows.iter()
                    .map(|row| {
                        let id = row.int("id")?;
                        crate::store::rows::call(
                            row,
                            legs.remove(&id).unwrap_or_default(),
                            segments.remove(&id).unwrap_or_default(),
                        )
                    })
                    .collect()
            }
        }

        #[async_trait::async_trait]
        impl crate::store::CallStore for $store {
            #[tracing::instrument(level = "debug", skip_all, fields(pbx = %call.pbx, linkedid = %call.linkedid))]
            async fn record_call(
                &self,
                call: &crate::CallRecordInput,
            ) -> crate::StoreResult<crate::CallId> {
                use crate::store::rows::Columns as _;
                call.validate()?;
                let customer = self.call_customer(call).await?;
                let mut tx = self.pool.begin().await?;
                let written = Self::upsert_call(&mut *tx, call, &customer).await?;
                let row = sqlx::query(crate::store::sql::call_write::CALL_ID_BY_LINKEDID)
                    .bind(call.pbx.as_str())
                    .bind(call.linkedid.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
                let id = row.int("id")?;
                let contact = row.opt_int("contact_id")?;
                if written {
                    Self::write_call_parts(&mut *tx, id, contact, call).await?;
                }
                tx.commit().await?;
                // The call shows on its contact's card, and its time ranks the contact.
                self.directory.forget(contact.map(crate::ContactId), &[]);
                if customer.contact.is_none() && customer.lookup_key.is_some() {
                    // After the commit: a pick saved meanwhile is seen by one side or the other.
                    // (Linking the call to the contact picked forgets that contact's cards.)
                    self.apply_pick_of_written_call(&call.pbx, &call.linkedid, id).await?;
                }
                tracing::debug!(call = id, written, "call recorded");
                Ok(crate::CallId(id))
            }

            #[tracing::instrument(level = "debug", skip_all, fields(call = %id))]
            async fn get_call(&self, id: crate::CallId) -> crate::StoreResult<crate::CallRow> {
                use crate::store::sql::calls::Bind;
                self.calls_where("WHERE id = $1", vec![Bind::Int(id.0)])
                    .await?
                    .pop()
                    .ok_or(crate::StoreError::NotFound)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(pbx = pbx, linkedid = linkedid))]
            async fn call_by_linkedid(
                &self,
                pbx: &str,
                linkedid: &str,
            ) -> crate::StoreResult<Option<crate::CallRow>> {
                use crate::store::sql::calls::Bind;
                let binds = vec![Bind::Text(pbx.to_owned()), Bind::Text(linkedid.to_owned())];
                Ok(self
                    .calls_where("WHERE pbx = $1 AND linkedid = $2", binds)
                    .await?
                    .pop())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(limit = filter.limit))]
            async fn list_calls(
                &self,
                filter: &crate::CallFilter,
            ) -> crate::StoreResult<Vec<crate::CallRow>> {
                let (clause, binds) = crate::store::sql::calls::filter_clause(filter);
                self.calls_where(&clause, binds).await
            }

            #[tracing::instrument(level = "debug", skip_all)]
            async fn fold_call_facts(
                &self,
                from_ms: i64,
                to_ms: i64,
                each: &mut (dyn FnMut(crate::CallFacts) + Send),
            ) -> crate::StoreResult<()> {
                use futures_util::TryStreamExt as _;
                let mut rows = sqlx::query(crate::store::sql::calls::CALL_FACTS)
                    .bind(from_ms)
                    .bind(to_ms)
                    .fetch(&self.pool);
                while let Some(row) = rows.try_next().await? {
                    each(crate::store::rows::call_facts(&row)?);
                }
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(call = %id))]
            async fn save_wrapup(
                &self,
                id: crate::CallId,
                wrapup: &crate::WrapUp,
            ) -> crate::StoreResult<crate::CallRow> {
                let (outcome, note) = wrapup.validate()?;
                let done = sqlx::query(crate::store::sql::calls::SAVE_WRAPUP)
                    .bind(id.0)
                    .bind(outcome)
                    .bind(wrapup.resolved)
                    .bind(note)
                    .bind(wrapup.wrapup_ms)
                    .bind(crate::store::now_ms())
                    .execute(&self.pool)
                    .await?;
                crate::store::sql::one_row(done.rows_affected())?;
                let row = self.get_call(id).await?;
                self.directory.forget(row.contact, &[]);
                Ok(row)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(call = %id))]
            async fn set_call_metrics(
                &self,
                id: crate::CallId,
                metrics: &crate::CallMetrics,
            ) -> crate::StoreResult<()> {
                let done = sqlx::query(crate::store::sql::calls::SET_CALL_METRICS)
                    .bind(id.0)
                    .bind(metrics.service_level_met)
                    .bind(metrics.first_contact)
                    .bind(metrics.fcr_status.map(crate::FcrStatus::as_str))
                    .bind(metrics.computed_at_ms)
                    .execute(&self.pool)
                    .await?;
                crate::store::sql::one_row(done.rows_affected())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(call = %id, contact = %contact))]
            async fn link_call_contact(
                &self,
                id: crate::CallId,
                contact: crate::ContactId,
            ) -> crate::StoreResult<crate::CallRow> {
                use crate::store::ContactStore as _;
                let call = self.get_call(id).await?;
                self.get_contact(contact).await?;
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(crate::store::sql::calls::LINK_CALL_CONTACT)
                    .bind(id.0)
                    .bind(contact.0)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(crate::StoreError::Invalid(
                        "the contact does not have the call's number".into(),
                    ));
                }
                sqlx::query(crate::store::sql::calls::TOUCH_INTERACTION)
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
                contact: crate::ContactId,
                filter: &crate::CallFilter,
            ) -> crate::StoreResult<Vec<crate::UndecidedCall>> {
                let (clause, binds) = crate::store::sql::call_parts::undecided_clause(contact, filter);
                let calls = self.calls_where(&clause, binds).await?;
                let mut candidates = self.candidates_of_calls(&calls).await?;
                Ok(calls
                    .into_iter()
                    .map(|call| crate::UndecidedCall {
                        candidates: candidates.remove(&call.id.0).unwrap_or_default(),
                        call,
                    })
                    .collect())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(call = %id))]
            async fn call_candidates(
                &self,
                id: crate::CallId,
            ) -> crate::StoreResult<Vec<crate::ContactId>> {
                let call = self.get_call(id).await?;
                Ok(self
                    .candidates_of_calls(std::slice::from_ref(&call))
                    .await?
                    .remove(&id.0)
                    .unwrap_or_default())
            }
        }
    };
}

pub(crate) use impl_call_store;
