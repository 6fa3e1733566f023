//! Recordings' metadata: SQL and the [`RecordingStore`](crate::RecordingStore)
//! implementation.

use sqlx::{ColumnIndex, Decode, Encode, Executor, Type};

use crate::store::rows::{RecordingRow, escape_like};
use crate::store::{Backend, RecordingStore, RowsAffected as _, SqlStore, now_ms};
use crate::{CallId, NewRecording, Recording, RecordingId, StoreError, StoreResult};

/// The columns [`RecordingRow`] reads.
macro_rules! recording_columns {
    () => {
        "id, call_id, pbx, linkedid, uniqueid, sha256, path, bytes, duration_ms, sample_rate, \
         channels, status, peaks, created_at_ms"
    };
}

const RECORDING_BY_ID: &str = concat!(
    "SELECT ",
    recording_columns!(),
    " FROM recordings WHERE id = $1"
);
const RECORDINGS_OF_CALL: &str = concat!(
    "SELECT ",
    recording_columns!(),
    " FROM recordings WHERE call_id = $1 ORDER BY created_at_ms, id"
);
/// The same file registered before for the same call (or the same Linkedid and Uniqueid).
const SAME_RECORDING: &str = "SELECT id FROM recordings WHERE pbx = $1 \
    AND sha256 = $2 AND coalesce(linkedid, '') = coalesce($3, '') \
    AND coalesce(uniqueid, '') = coalesce($4, '') ORDER BY id LIMIT 1";
const CALL_BY_LINKEDID: &str = "SELECT id FROM calls WHERE pbx = $1 AND linkedid = $2";
const INSERT_RECORDING: &str = "INSERT INTO recordings (call_id, pbx, linkedid, \
    uniqueid, sha256, path, bytes, duration_ms, sample_rate, channels, status, peaks, \
    created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id";
/// `$2` the Uniqueid, `$3` a LIKE pattern for a path ending in `/<uniqueid>.wav`.
const CALL_OF_RECORDING: &str = "SELECT id FROM calls WHERE pbx = $1 \
    AND (linkedid = $2 OR recording_file = $2 || '.wav' OR recording_file LIKE $3 ESCAPE '\\') \
    ORDER BY CASE WHEN linkedid = $2 THEN 0 ELSE 1 END, id DESC LIMIT 1";
const RECORDINGS_OLDER_THAN: &str = concat!(
    "SELECT ",
    recording_columns!(),
    " FROM recordings r WHERE created_at_ms < $1 AND NOT EXISTS \
     (SELECT 1 FROM calls c WHERE c.id = r.call_id AND c.keep) \
     ORDER BY created_at_ms, id LIMIT $2"
);
const DELETE_RECORDING: &str = "DELETE FROM recordings WHERE id = $1 RETURNING sha256";
const SHA256_IN_USE: &str = "SELECT count(*) FROM recordings WHERE sha256 = $1 \
    AND status <> 'empty'";
const SET_CALL_KEEP: &str = "UPDATE calls SET keep = $2 WHERE id = $1";
const CALL_KEPT: &str = "SELECT keep FROM calls WHERE id = $1";
const TAKE_SPOOL_FILE: &str = "INSERT INTO spool_taken (file_key, taken_at_ms) \
    VALUES ($1, $2) ON CONFLICT (file_key) DO NOTHING";
const SPOOL_FILE_TAKEN: &str = "SELECT count(*) FROM spool_taken WHERE file_key = $1";

#[async_trait::async_trait]
impl<DB> RecordingStore for SqlStore<DB>
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
    #[tracing::instrument(level = "debug", skip_all, fields(pbx = %new.pbx, linkedid = ?new.linkedid))]
    async fn add_recording(&self, new: &NewRecording) -> StoreResult<Recording> {
        new.validate()?;
        let existing: Option<i64> = sqlx::query_scalar(SAME_RECORDING)
            .bind(new.pbx.as_str())
            .bind(new.sha256.as_str())
            .bind(new.linkedid.as_deref())
            .bind(new.uniqueid.as_deref())
            .fetch_optional(&self.pool)
            .await?;
        if let Some(id) = existing {
            return self.get_recording(RecordingId(id)).await;
        }
        let call = match (new.call, new.linkedid.as_deref()) {
            (Some(call), _) => Some(call.0),
            (None, Some(linkedid)) => {
                sqlx::query_scalar(CALL_BY_LINKEDID)
                    .bind(new.pbx.as_str())
                    .bind(linkedid)
                    .fetch_optional(&self.pool)
                    .await?
            }
            (None, None) => None,
        };
        let id: i64 = sqlx::query_scalar(INSERT_RECORDING)
            .bind(call)
            .bind(new.pbx.as_str())
            .bind(new.linkedid.as_deref())
            .bind(new.uniqueid.as_deref())
            .bind(new.sha256.as_str())
            .bind(new.path.as_str())
            .bind(new.bytes)
            .bind(new.duration_ms)
            .bind(new.sample_rate)
            .bind(new.channels)
            .bind(new.status.as_str())
            .bind(hex::encode(&new.peaks))
            .bind(now_ms())
            .fetch_one(&self.pool)
            .await?;
        self.get_recording(RecordingId(id)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(recording = %id))]
    async fn get_recording(&self, id: RecordingId) -> StoreResult<Recording> {
        let row: RecordingRow = sqlx::query_as(RECORDING_BY_ID)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(row.into())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(call = %call))]
    async fn recordings_of_call(&self, call: CallId) -> StoreResult<Vec<Recording>> {
        Ok(sqlx::query_as::<_, RecordingRow>(RECORDINGS_OF_CALL)
            .bind(call.0)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(Recording::from)
            .collect())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(pbx, uniqueid))]
    async fn call_of_recording(&self, pbx: &str, uniqueid: &str) -> StoreResult<Option<CallId>> {
        let pattern = format!("%/{}.wav", escape_like(uniqueid));
        let id: Option<i64> = sqlx::query_scalar(CALL_OF_RECORDING)
            .bind(pbx)
            .bind(uniqueid)
            .bind(pattern)
            .fetch_optional(&self.pool)
            .await?;
        Ok(id.map(CallId))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(before_ms))]
    async fn recordings_older_than(
        &self,
        before_ms: i64,
        limit: u32,
    ) -> StoreResult<Vec<Recording>> {
        Ok(sqlx::query_as::<_, RecordingRow>(RECORDINGS_OLDER_THAN)
            .bind(before_ms)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(Recording::from)
            .collect())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(recording = %id))]
    async fn delete_recording(&self, id: RecordingId) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let sha256: String = sqlx::query_scalar(DELETE_RECORDING)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let others: i64 = sqlx::query_scalar(SHA256_IN_USE)
            .bind(sha256.as_str())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(others > 0)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(call = %call, keep))]
    async fn set_call_keep(&self, call: CallId, keep: bool) -> StoreResult<()> {
        let done = sqlx::query(SET_CALL_KEEP)
            .bind(call.0)
            .bind(keep)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(call = %call))]
    async fn call_kept(&self, call: CallId) -> StoreResult<bool> {
        sqlx::query_scalar(CALL_KEPT)
            .bind(call.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn take_spool_file(&self, file_key: &str) -> StoreResult<bool> {
        let done = sqlx::query(TAKE_SPOOL_FILE)
            .bind(file_key)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn spool_file_taken(&self, file_key: &str) -> StoreResult<bool> {
        let count: i64 = sqlx::query_scalar(SPOOL_FILE_TAKEN)
            .bind(file_key)
            .fetch_one(&self.pool)
            .await?;
        Ok(count > 0)
    }
}
