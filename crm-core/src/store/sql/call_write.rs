//! Writing a call to the log, the steps of [`record_call`](crate::CallStore::record_call):
//! the customer's number and the one contact that has it, the upsert of the call's row and,
//! when that row was written, its legs, agent segments, the contact's last interaction and
//! the recordings that arrived before the call.

use crate::{CallRecordInput, PhoneE164, PhoneNormalizer};

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
/// Recordings that arrived before their call: by Linkedid, or by the Uniqueid of the
/// MixMonitor file the tracker saw (`$4`, possibly NULL).
pub(crate) const LINK_RECORDINGS: &str = "UPDATE recordings SET call_id = $1, linkedid = $3 \
    WHERE call_id IS NULL AND pbx = $2 AND (linkedid = $3 OR uniqueid = $4)";

/// Who the customer of a call being written is, as far as the call log links it.
pub(crate) struct CallCustomer {
    /// The customer's number in E.164: the PBX's, else the normalised raw number's.
    pub(crate) e164: Option<PhoneE164>,
    /// The key the number is matched to contacts' numbers by (none for a withheld one).
    pub(crate) lookup_key: Option<String>,
    /// The user id of the agent who answered, when a user has that extension.
    pub(crate) answered_by: Option<i64>,
    /// The contact the call is linked to: the only one with the number.
    pub(crate) contact: Option<i64>,
}

/// The customer's number of `call` in E.164 and its lookup key (none for a withheld number
/// without an E.164 form, nor for an empty key).
pub(crate) fn customer_number(
    normalizer: &PhoneNormalizer,
    call: &CallRecordInput,
) -> (Option<PhoneE164>, Option<String>) {
    let number = call
        .customer_number_raw
        .as_deref()
        .map(|raw| normalizer.normalize(raw));
    let e164 = call
        .customer_number_e164
        .as_deref()
        .and_then(|e| PhoneE164::parse(e).ok())
        .or_else(|| number.as_ref().and_then(|n| n.e164.clone()));
    let withheld = call
        .customer_number_raw
        .as_deref()
        .is_none_or(crate::phone::is_withheld);
    // A withheld number links nothing unless it has an E.164 form.
    let unlinkable = withheld && e164.is_none();
    let lookup_key = match (&e164, &number) {
        (Some(e164), _) => Some(e164.as_str().to_owned()),
        (None, Some(number)) => Some(number.lookup_key.clone()),
        (None, None) => None,
    }
    .filter(|key| !key.is_empty() && !unlinkable);
    (e164, lookup_key)
}

/// Implements the steps of [`record_call`](crate::CallStore::record_call) for a backend
/// (expanded by [`impl_call_store`](super::calls::impl_call_store)).
macro_rules! impl_call_write {
    ($store:ty, $db:ty) => {
        impl $store {
            /// The customer of `call`: its number, the answering agent's user and the one
            /// contact with that number.
            async fn call_customer(
                &self,
                call: &crate::CallRecordInput,
            ) -> crate::StoreResult<crate::store::sql::call_write::CallCustomer> {
                use crate::store::UserStore as _;
                use crate::store::rows::Columns as _;
                let (e164, lookup_key) =
                    crate::store::sql::call_write::customer_number(&self.normalizer, call);
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
                Ok(crate::store::sql::call_write::CallCustomer {
                    e164,
                    lookup_key,
                    answered_by,
                    contact,
                })
            }

            /// Upserts the call's row; whether it was written (a newer version).
            async fn upsert_call(
                conn: &mut <$db as sqlx::Database>::Connection,
                call: &crate::CallRecordInput,
                customer: &crate::store::sql::call_write::CallCustomer,
            ) -> crate::StoreResult<bool> {
                Ok(sqlx::query(crate::store::sql::call_write::UPSERT_CALL)
                    .bind(call.pbx.as_str())
                    .bind(call.linkedid.as_str())
                    .bind(call.direction.as_str())
                    .bind(call.customer_number_raw.as_deref())
                    .bind(customer.e164.as_ref().map(|e| e.as_str()))
                    .bind(customer.lookup_key.as_deref())
                    .bind(call.customer_name.as_deref())
                    .bind(customer.contact)
                    .bind(call.did.as_deref())
                    .bind(call.queue.as_deref())
                    .bind(call.answered_by_extension.as_deref())
                    .bind(customer.answered_by)
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
                    .execute(&mut *conn)
                    .await?
                    .rows_affected()
                    > 0)
            }

            /// Replaces the legs and agent segments of the written call `id`, moves its
            /// contact's last interaction on and links the recordings that wait for it.
            async fn write_call_parts(
                conn: &mut <$db as sqlx::Database>::Connection,
                id: i64,
                contact: Option<i64>,
                call: &crate::CallRecordInput,
            ) -> crate::StoreResult<()> {
                use crate::store::sql::call_write as q;
                sqlx::query(q::DELETE_CALL_LEGS)
                    .bind(id)
                    .execute(&mut *conn)
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
                        .execute(&mut *conn)
                        .await?;
                }
                sqlx::query(q::DELETE_CALL_SEGMENTS)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                for (seq, segment) in (0_i64..).zip(&call.agent_segments) {
                    sqlx::query(q::INSERT_CALL_SEGMENT)
                        .bind(id)
                        .bind(seq)
                        .bind(segment.extension.as_str())
                        .bind(segment.connected_at_ms)
                        .bind(segment.talk_ms)
                        .execute(&mut *conn)
                        .await?;
                }
                if let Some(contact) = contact {
                    sqlx::query(crate::store::sql::calls::TOUCH_INTERACTION)
                        .bind(contact)
                        .bind(call.started_at_ms)
                        .execute(&mut *conn)
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
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_call_write;
