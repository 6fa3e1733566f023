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
/// The upsert of a call. The stored version is replaced only by a more complete one, or an
/// as complete and different one; wrap-up columns are never part of it, and a contact once
/// matched stays.
pub(crate) const UPSERT_CALL: &str = "INSERT INTO calls (pbx, linkedid, direction, \
    customer_number_raw, customer_number_e164, customer_lookup_key, customer_name, contact_id, \
    did, queue, answered_by_extension, answered_by_user_id, agent_extension, started_at_ms, \
    queued_at_ms, answered_at_ms, ended_at_ms, wait_ms, ring_ms, talk_ms, hold_ms, disposition, \
    hangup_by, hangup_by_extension, hangup_cause, transfers, recording_file, click_id, \
    end_known, completeness, version_hash, failure_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, \
    $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, \
    $26, $27, $28, $29, $30, $31, $32) \
    ON CONFLICT (pbx, linkedid) DO UPDATE SET direction = excluded.direction, \
    customer_number_raw = excluded.customer_number_raw, \
    customer_number_e164 = excluded.customer_number_e164, \
    customer_lookup_key = excluded.customer_lookup_key, customer_name = excluded.customer_name, \
    contact_id = coalesce(calls.contact_id, excluded.contact_id), did = excluded.did, \
    queue = excluded.queue, answered_by_extension = excluded.answered_by_extension, \
    answered_by_user_id = excluded.answered_by_user_id, \
    agent_extension = excluded.agent_extension, started_at_ms = excluded.started_at_ms, \
    queued_at_ms = excluded.queued_at_ms, answered_at_ms = excluded.answered_at_ms, \
    ended_at_ms = excluded.ended_at_ms, wait_ms = excluded.wait_ms, ring_ms = excluded.ring_ms, \
    talk_ms = excluded.talk_ms, hold_ms = excluded.hold_ms, \
    disposition = excluded.disposition, hangup_by = excluded.hangup_by, \
    hangup_by_extension = excluded.hangup_by_extension, hangup_cause = excluded.hangup_cause, \
    transfers = excluded.transfers, \
    recording_file = coalesce(excluded.recording_file, calls.recording_file), \
    click_id = coalesce(excluded.click_id, calls.click_id), end_known = excluded.end_known, \
    completeness = excluded.completeness, version_hash = excluded.version_hash, \
    failure_reason = excluded.failure_reason, metrics_at_ms = NULL \
    WHERE calls.completeness < excluded.completeness \
    OR (calls.completeness = excluded.completeness AND calls.version_hash <> excluded.version_hash)";
pub(crate) const CALL_ID_BY_LINKEDID: &str =
    "SELECT id, contact_id FROM calls WHERE pbx = $1 AND linkedid = $2";
pub(crate) const DELETE_CALL_LEGS: &str = "DELETE FROM call_legs WHERE call_id = $1";
pub(crate) const INSERT_CALL_LEG: &str = "INSERT INTO call_legs \
    (call_id, seq, extension, result, ring_ms, talk_ms, rang_at_ms) \
    VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub(crate) const DELETE_CALL_SEGMENTS: &str = "DELETE FROM call_segments WHERE call_id = $1";
pub(crate) const INSERT_CALL_SEGMENT: &str = "INSERT INTO call_segments \
    (call_id, seq, extension, connected_at_ms, talk_ms) VALUES ($1, $2, $3, $4, $5)";
/// Followed by a placeholder list and `) ORDER BY call_id, seq`.
pub(crate) const SEGMENTS_OF_CALLS: &str = "SELECT call_id, extension, connected_at_ms, \
    talk_ms FROM call_segments WHERE call_id IN (";
/// Followed by a placeholder list and `) ORDER BY call_id, seq`.
pub(crate) const LEGS_OF_CALLS: &str = "SELECT call_id, extension, result, ring_ms, talk_ms, \
    rang_at_ms FROM call_legs WHERE call_id IN (";
pub(crate) const TOUCH_INTERACTION: &str = "UPDATE contacts SET last_interaction_at_ms = $2 \
    WHERE id = $1 AND (last_interaction_at_ms IS NULL OR last_interaction_at_ms < $2)";
/// Recordings that arrived before their call: by Linkedid, or by the Uniqueid of the
/// MixMonitor file the tracker saw (`$4`, possibly NULL).
pub(crate) const LINK_RECORDINGS: &str = "UPDATE recordings SET call_id = $1, linkedid = $3 \
    WHERE call_id IS NULL AND pbx = $2 AND (linkedid = $3 OR uniqueid = $4)";
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
    ($store:ty) => {
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
                use crate::store::sql::calls as q;
                use crate::store::UserStore as _;
                call.validate()?;
                let number = call
                    .customer_number_raw
                    .as_deref()
                    .map(|raw| self.normalizer.normalize(raw));
                let e164 = call
                    .customer_number_e164
                    .as_deref()
                    .and_then(|e| crate::PhoneE164::parse(e).ok())
                    .or_else(|| number.as_ref().and_then(|n| n.e164.clone()));
                let withheld = call
                    .customer_number_raw
                    .as_deref()
                    .is_none_or(crate::phone::is_withheld);
                let lookup_key = match (&e164, &number) {
                    (Some(e164), _) => Some(e164.as_str().to_owned()),
                    (None, Some(number)) => Some(number.lookup_key.clone()),
                    (None, None) => None,
                }
                .filter(|key| !key.is_empty() && !(withheld && e164.is_none()));
                let answered_by = match call.answered_by_extension.as_deref() {
                    Some(ext) => self.user_by_extension(ext).await?.map(|u| u.id.0),
                    None => None,
                };
                // Only a number of exactly one contact links the call; a shared number's
                // call waits for somebody to pick the contact.
                let contact: Option<i64> = match &lookup_key {
                    Some(key) => {
                        let rows = sqlx::query(crate::store::sql::contacts::CONTACT_IDS_BY_KEY)
                            .bind(key.as_str())
                            .bind(answered_by)
                            .fetch_all(&self.pool)
                            .await?;
                        match rows.as_slice() {
                            [only] => Some(only.int("id")?),
                            _ => None,
                        }
                    }
                    None => None,
                };
                let mut tx = self.pool.begin().await?;
                let written = sqlx::query(q::UPSERT_CALL)
                    .bind(call.pbx.as_str())
                    .bind(call.linkedid.as_str())
                    .bind(call.direction.as_str())
                    .bind(call.customer_number_raw.as_deref())
                    .bind(e164.as_ref().map(|e| e.as_str()))
                    .bind(lookup_key.as_deref())
                    .bind(call.customer_name.as_deref())
                    .bind(contact)
                    .bind(call.did.as_deref())
                    .bind(call.queue.as_deref())
                    .bind(call.answered_by_extension.as_deref())
                    .bind(answered_by)
                    .bind(call.agent_extension.as_deref())
                    .bind(call.started_at_ms)
                    .bind(call.queued_at_ms)
                    .bind(call.answered_at_ms)
                    .bind(call.ended_at_ms)
                    .bind(call.wait_ms)
                    .bind(call.ring_ms)
                    .bind(call.talk_ms)
                    .bind(call.hold_ms)
                    .bind(call.disposition.as_str())
                    .bind(call.hangup_by.map(crate::HangupBy::as_str))
                    .bind(call.hangup_by_extension.as_deref())
                    .bind(call.hangup_cause)
                    .bind(call.transfers.to_string())
                    .bind(call.recording_file.as_deref())
                    .bind(call.click_id.as_deref())
                    .bind(call.end_known)
                    .bind(call.completeness())
                    .bind(call.version_hash())
                    .bind(call.failure_reason.as_deref())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    > 0;
                let row = sqlx::query(q::CALL_ID_BY_LINKEDID)
                    .bind(call.pbx.as_str())
                    .bind(call.linkedid.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
                let id = row.int("id")?;
                if written {
                    sqlx::query(q::DELETE_CALL_LEGS)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    for (seq, leg) in (0_i64..).zip(call.legs()) {
                        sqlx::query(q::INSERT_CALL_LEG)
                            .bind(id)
                            .bind(seq)
                            .bind(leg.extension)
                            .bind(leg.result.as_str())
                            .bind(leg.ring_ms)
                            .bind(leg.talk_ms)
                            .bind(leg.rang_at_ms)
                            .execute(&mut *tx)
                            .await?;
                    }
                    sqlx::query(q::DELETE_CALL_SEGMENTS)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    for (seq, segment) in (0_i64..).zip(&call.agent_segments) {
                        sqlx::query(q::INSERT_CALL_SEGMENT)
                            .bind(id)
                            .bind(seq)
                            .bind(segment.extension.as_str())
                            .bind(segment.connected_at_ms)
                            .bind(segment.talk_ms)
                            .execute(&mut *tx)
                            .await?;
                    }
                    if let Some(contact) = row.opt_int("contact_id")? {
                        sqlx::query(q::TOUCH_INTERACTION)
                            .bind(contact)
                            .bind(call.started_at_ms)
                            .execute(&mut *tx)
                            .await?;
                    }
                    sqlx::query(q::LINK_RECORDINGS)
                        .bind(id)
                        .bind(call.pbx.as_str())
                        .bind(call.linkedid.as_str())
                        .bind(
                            call.recording_file
                                .as_deref()
                                .and_then(crate::domain::recording::recording_uniqueid),
                        )
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                if contact.is_none() && lookup_key.is_some() {
                    // After the commit: a pick saved meanwhile is seen by one side or the other.
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
                self.get_call(id).await
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
