//! Writing a call to the log, the steps of [`record_call`](crate::CallStore::record_call):
//! the customer's number and the one contact that has it, the upsert of the call's row and,
//! when that row was written, its legs, agent segments, the contact's last interaction and
//! the recordings that arrived before the call.

use sqlx::query::Query;
use sqlx::{ColumnIndex, Decode, Encode, Executor, Type};

use super::{Insert, calls, contacts};
use crate::store::{Backend, RowsAffected as _, SqlStore, UserStore};
use crate::{CallRecordInput, HangupBy, PhoneE164, PhoneNormalizer, StoreResult};

/// What the upsert of a call ([`Insert`] of its columns into `calls`) does when the call is
/// there already: the stored version is replaced only by a more complete one, or an as
/// complete and different one; wrap-up columns are never part of it, and a contact once
/// matched stays.
const UPSERT_CALL_CONFLICT: &str = "ON CONFLICT (pbx, linkedid) DO UPDATE SET \
    direction = excluded.direction, \
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
const DELETE_CALL_LEGS: &str = "DELETE FROM call_legs WHERE call_id = $1";
const INSERT_CALL_LEG: &str = "INSERT INTO call_legs \
    (call_id, seq, extension, result, ring_ms, talk_ms, rang_at_ms) \
    VALUES ($1, $2, $3, $4, $5, $6, $7)";
const DELETE_CALL_SEGMENTS: &str = "DELETE FROM call_segments WHERE call_id = $1";
const INSERT_CALL_SEGMENT: &str = "INSERT INTO call_segments \
    (call_id, seq, extension, connected_at_ms, talk_ms) VALUES ($1, $2, $3, $4, $5)";
/// Recordings that arrived before their call: by Linkedid, or by the Uniqueid of the
/// MixMonitor file the tracker saw (`$4`, possibly NULL).
const LINK_RECORDINGS: &str = "UPDATE recordings SET call_id = $1, linkedid = $3 \
    WHERE call_id IS NULL AND pbx = $2 AND (linkedid = $3 OR uniqueid = $4)";

/// Who the customer of a call being written is, as far as the call log links it.
pub(super) struct CallCustomer {
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
    /// The customer of `call`: its number, the answering agent's user and the one contact
    /// with that number.
    pub(super) async fn call_customer(&self, call: &CallRecordInput) -> StoreResult<CallCustomer> {
        let (e164, lookup_key) = customer_number(&self.normalizer, call);
        let answered_by = match call.answered_by_extension.as_deref() {
            Some(ext) => self.user_by_extension(ext).await?.map(|u| u.id.0),
            None => None,
        };
        // Only a number of exactly one contact links the call; a shared number's call
        // waits for somebody to pick the contact.
        let contact = match &lookup_key {
            Some(key) => {
                let ids: Vec<i64> = sqlx::query_scalar(contacts::CONTACT_IDS_BY_KEY)
                    .bind(key.as_str())
                    .bind(answered_by)
                    .fetch_all(&self.pool)
                    .await?;
                match ids.as_slice() {
                    [only] => Some(*only),
                    _ => None,
                }
            }
            None => None,
        };
        Ok(CallCustomer {
            e164,
            lookup_key,
            answered_by,
            contact,
        })
    }

    /// Upserts the call's row; whether it was written (a newer version).
    pub(super) async fn upsert_call(
        conn: &mut DB::Connection,
        call: &CallRecordInput,
        customer: &CallCustomer,
    ) -> StoreResult<bool> {
        let done = Self::upsert_query(call, customer)?
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The upsert of the call's row: every column the PBX's record sets.
    fn upsert_query<'q>(
        call: &CallRecordInput,
        customer: &CallCustomer,
    ) -> Result<Query<'q, DB, DB::Arguments>, sqlx::Error> {
        Insert::new()
            .set("pbx", call.pbx.as_str())
            .set("linkedid", call.linkedid.as_str())
            .set("direction", call.direction.as_str())
            .set("customer_number_raw", call.customer_number_raw.as_deref())
            .set(
                "customer_number_e164",
                customer.e164.as_ref().map(|e| e.as_str()),
            )
            .set("customer_lookup_key", customer.lookup_key.as_deref())
            .set("customer_name", call.customer_name.as_deref())
            .set("contact_id", customer.contact)
            .set("did", call.did.as_deref())
            .set("queue", call.queue.as_deref())
            .set(
                "answered_by_extension",
                call.answered_by_extension.as_deref(),
            )
            .set("answered_by_user_id", customer.answered_by)
            .set("agent_extension", call.agent_extension.as_deref())
            .set("started_at_ms", call.started_at_ms)
            .set("queued_at_ms", call.queued_at_ms)
            .set("answered_at_ms", call.answered_at_ms)
            .set("ended_at_ms", call.ended_at_ms)
            .set("wait_ms", call.wait_ms)
            .set("ring_ms", call.ring_ms)
            .set("talk_ms", call.talk_ms)
            .set("hold_ms", call.hold_ms)
            .set("disposition", call.disposition.as_str())
            .set("hangup_by", call.hangup_by.map(HangupBy::as_str))
            .set("hangup_by_extension", call.hangup_by_extension.as_deref())
            .set("hangup_cause", call.hangup_cause)
            .set("transfers", call.transfers.to_string())
            .set("recording_file", call.recording_file.as_deref())
            .set("click_id", call.click_id.as_deref())
            .set("end_known", call.end_known)
            .set("completeness", call.completeness())
            .set("version_hash", call.version_hash())
            .set("failure_reason", call.failure_reason.as_deref())
            .into_query("calls", UPSERT_CALL_CONFLICT)
    }

    /// Replaces the legs and agent segments of the written call `id`, moves its contact's
    /// last interaction on and links the recordings that wait for it.
    pub(super) async fn write_call_parts(
        conn: &mut DB::Connection,
        id: i64,
        contact: Option<i64>,
        call: &CallRecordInput,
    ) -> StoreResult<()> {
        sqlx::query(DELETE_CALL_LEGS)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        for (seq, leg) in (0_i64..).zip(call.legs()) {
            sqlx::query(INSERT_CALL_LEG)
                .bind(id)
                .bind(seq)
                .bind(leg.extension.as_deref())
                .bind(leg.result.as_str())
                .bind(leg.ring_ms)
                .bind(leg.talk_ms)
                .bind(leg.rang_at_ms)
                .execute(&mut *conn)
                .await?;
        }
        sqlx::query(DELETE_CALL_SEGMENTS)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        for (seq, segment) in (0_i64..).zip(&call.agent_segments) {
            sqlx::query(INSERT_CALL_SEGMENT)
                .bind(id)
                .bind(seq)
                .bind(segment.extension.as_str())
                .bind(segment.connected_at_ms)
                .bind(segment.talk_ms)
                .execute(&mut *conn)
                .await?;
        }
        if let Some(contact) = contact {
            sqlx::query(calls::TOUCH_INTERACTION)
                .bind(contact)
                .bind(call.started_at_ms)
                .execute(&mut *conn)
                .await?;
        }
        let uniqueid = call
            .recording_file
            .as_deref()
            .and_then(crate::domain::recording::recording_uniqueid);
        sqlx::query(LINK_RECORDINGS)
            .bind(id)
            .bind(call.pbx.as_str())
            .bind(call.linkedid.as_str())
            .bind(uniqueid)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sqlx::{Execute as _, Postgres, Sqlite};

    use super::CallCustomer;
    use crate::store::SqlStore;
    use crate::{CallRecordInput, Direction, Disposition};

    /// The columns the upsert writes, in the order the call log always wrote them.
    const COLUMNS: &str = "pbx, linkedid, direction, customer_number_raw, \
        customer_number_e164, customer_lookup_key, customer_name, contact_id, did, queue, \
        answered_by_extension, answered_by_user_id, agent_extension, started_at_ms, \
        queued_at_ms, answered_at_ms, ended_at_ms, wait_ms, ring_ms, talk_ms, hold_ms, \
        disposition, hangup_by, hangup_by_extension, hangup_cause, transfers, recording_file, \
        click_id, end_known, completeness, version_hash, failure_reason";

    fn call() -> CallRecordInput {
        CallRecordInput {
            pbx: "asterisk".into(),
            linkedid: "1.1".into(),
            direction: Direction::Inbound,
            customer_number_raw: Some("09121234567".into()),
            customer_number_e164: None,
            customer_name: None,
            did: None,
            queue: None,
            agents_rung: Vec::new(),
            answered_by_extension: None,
            agent_extension: None,
            started_at_ms: 1,
            queued_at_ms: None,
            answered_at_ms: None,
            ended_at_ms: None,
            wait_ms: None,
            ring_ms: None,
            talk_ms: None,
            hold_ms: None,
            disposition: Disposition::Abandoned,
            hangup_by: None,
            hangup_by_extension: None,
            hangup_cause: None,
            transfers: serde_json::Value::Null,
            agent_segments: Vec::new(),
            recording_file: None,
            click_id: None,
            end_known: false,
            failure_reason: None,
        }
    }

    const CUSTOMER: CallCustomer = CallCustomer {
        e164: None,
        lookup_key: None,
        answered_by: None,
        contact: None,
    };

    #[test]
    fn the_call_upsert_binds_one_value_per_column_in_order() {
        let query = SqlStore::<Postgres>::upsert_query(&call(), &CUSTOMER).expect("encodes");
        let sql = query.sql();
        let (columns, rest) = sql
            .as_str()
            .strip_prefix("INSERT INTO calls (")
            .and_then(|rest| rest.split_once(") VALUES ("))
            .expect("an insert");
        let expected: Vec<&str> = COLUMNS.split(", ").collect();
        assert_eq!(columns.split(", ").collect::<Vec<_>>(), expected);
        let placeholders: Vec<String> = (1..=expected.len()).map(|i| format!("${i}")).collect();
        let values = rest.split_once(") ").expect("values").0;
        assert_eq!(values, placeholders.join(", "));
        assert!(
            rest.contains("ON CONFLICT (pbx, linkedid) DO UPDATE"),
            "{rest}"
        );
    }

    #[test]
    fn the_call_upsert_uses_sqlite_placeholders_on_sqlite() {
        let query = SqlStore::<Sqlite>::upsert_query(&call(), &CUSTOMER).expect("encodes");
        let values = vec!["?"; 32].join(", ");
        assert!(
            query
                .sql()
                .as_str()
                .contains(&format!("VALUES ({values}) ON CONFLICT"))
        );
    }
}
