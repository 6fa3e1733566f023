//! Recordings' metadata: SQL and the [`RecordingStore`](crate::RecordingStore)
//! implementation.

/// The columns [`rows::recording`](crate::store::rows::recording) reads.
macro_rules! recording_columns {
    () => {
        "id, call_id, pbx, linkedid, uniqueid, sha256, path, bytes, duration_ms, sample_rate, \
         channels, status, peaks, created_at_ms"
    };
}

pub(crate) const RECORDING_BY_ID: &str = concat!(
    "SELECT ",
    recording_columns!(),
    " FROM recordings WHERE id = $1"
);
pub(crate) const RECORDINGS_OF_CALL: &str = concat!(
    "SELECT ",
    recording_columns!(),
    " FROM recordings WHERE call_id = $1 ORDER BY created_at_ms, id"
);
/// The same file registered before for the same call (or the same Linkedid and Uniqueid).
pub(crate) const SAME_RECORDING: &str = "SELECT id FROM recordings WHERE pbx = $1 \
    AND sha256 = $2 AND coalesce(linkedid, '') = coalesce($3, '') \
    AND coalesce(uniqueid, '') = coalesce($4, '') ORDER BY id LIMIT 1";
pub(crate) const CALL_BY_LINKEDID: &str = "SELECT id FROM calls WHERE pbx = $1 AND linkedid = $2";
pub(crate) const INSERT_RECORDING: &str = "INSERT INTO recordings (call_id, pbx, linkedid, \
    uniqueid, sha256, path, bytes, duration_ms, sample_rate, channels, status, peaks, \
    created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id";
/// `$2` the Uniqueid, `$3` a LIKE pattern for a path ending in `/<uniqueid>.wav`.
pub(crate) const CALL_OF_RECORDING: &str = "SELECT id FROM calls WHERE pbx = $1 \
    AND (linkedid = $2 OR recording_file = $2 || '.wav' OR recording_file LIKE $3 ESCAPE '\\') \
    ORDER BY CASE WHEN linkedid = $2 THEN 0 ELSE 1 END, id DESC LIMIT 1";
pub(crate) const RECORDINGS_OLDER_THAN: &str = concat!(
    "SELECT ",
    recording_columns!(),
    " FROM recordings r WHERE created_at_ms < $1 AND NOT EXISTS \
     (SELECT 1 FROM calls c WHERE c.id = r.call_id AND c.keep) \
     ORDER BY created_at_ms, id LIMIT $2"
);
pub(crate) const DELETE_RECORDING: &str = "DELETE FROM recordings WHERE id = $1 RETURNING sha256";
pub(crate) const SHA256_IN_USE: &str = "SELECT count(*) FROM recordings WHERE sha256 = $1 \
    AND status <> 'empty'";
pub(crate) const SET_CALL_KEEP: &str = "UPDATE calls SET keep = $2 WHERE id = $1";
pub(crate) const CALL_KEPT: &str = "SELECT keep FROM calls WHERE id = $1";
pub(crate) const TAKE_SPOOL_FILE: &str = "INSERT INTO spool_taken (file_key, taken_at_ms) \
    VALUES ($1, $2) ON CONFLICT (file_key) DO NOTHING";
pub(crate) const SPOOL_FILE_TAKEN: &str = "SELECT count(*) FROM spool_taken WHERE file_key = $1";

/// Implements [`RecordingStore`](crate::RecordingStore) for a backend.
macro_rules! impl_recording_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::store::RecordingStore for $store {
            #[tracing::instrument(level = "debug", skip_all, fields(pbx = %new.pbx, linkedid = ?new.linkedid))]
            async fn add_recording(
                &self,
                new: &crate::NewRecording,
            ) -> crate::StoreResult<crate::Recording> {
                use crate::store::sql::recordings as q;
                new.validate()?;
                let existing: Option<i64> = sqlx::query_scalar(q::SAME_RECORDING)
                    .bind(new.pbx.as_str())
                    .bind(new.sha256.as_str())
                    .bind(new.linkedid.as_deref())
                    .bind(new.uniqueid.as_deref())
                    .fetch_optional(&self.pool)
                    .await?;
                if let Some(id) = existing {
                    return self.get_recording(crate::RecordingId(id)).await;
                }
                let call = match (new.call, new.linkedid.as_deref()) {
                    (Some(call), _) => Some(call.0),
                    (None, Some(linkedid)) => sqlx::query_scalar(q::CALL_BY_LINKEDID)
                        .bind(new.pbx.as_str())
                        .bind(linkedid)
                        .fetch_optional(&self.pool)
                        .await?,
                    (None, None) => None,
                };
                let id: i64 = sqlx::query_scalar(q::INSERT_RECORDING)
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
                    .bind(crate::store::now_ms())
                    .fetch_one(&self.pool)
                    .await?;
                self.get_recording(crate::RecordingId(id)).await
            }

            #[tracing::instrument(level = "debug", skip_all, fields(recording = %id))]
            async fn get_recording(
                &self,
                id: crate::RecordingId,
            ) -> crate::StoreResult<crate::Recording> {
                let row = sqlx::query(crate::store::sql::recordings::RECORDING_BY_ID)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(crate::StoreError::NotFound)?;
                crate::store::rows::recording(&row)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(call = %call))]
            async fn recordings_of_call(
                &self,
                call: crate::CallId,
            ) -> crate::StoreResult<Vec<crate::Recording>> {
                sqlx::query(crate::store::sql::recordings::RECORDINGS_OF_CALL)
                    .bind(call.0)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(crate::store::rows::recording)
                    .collect()
            }

            #[tracing::instrument(level = "debug", skip_all, fields(pbx, uniqueid))]
            async fn call_of_recording(
                &self,
                pbx: &str,
                uniqueid: &str,
            ) -> crate::StoreResult<Option<crate::CallId>> {
                let pattern = format!("%/{}.wav", crate::store::rows::escape_like(uniqueid));
                let id: Option<i64> =
                    sqlx::query_scalar(crate::store::sql::recordings::CALL_OF_RECORDING)
                        .bind(pbx)
                        .bind(uniqueid)
                        .bind(pattern)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(id.map(crate::CallId))
            }

            #[tracing::instrument(level = "debug", skip_all, fields(before_ms))]
            async fn recordings_older_than(
                &self,
                before_ms: i64,
                limit: u32,
            ) -> crate::StoreResult<Vec<crate::Recording>> {
                sqlx::query(crate::store::sql::recordings::RECORDINGS_OLDER_THAN)
                    .bind(before_ms)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(crate::store::rows::recording)
                    .collect()
            }

            #[tracing::instrument(level = "debug", skip_all, fields(recording = %id))]
            async fn delete_recording(&self, id: crate::RecordingId) -> crate::StoreResult<bool> {
                use crate::store::sql::recordings as q;
                let mut tx = self.pool.begin().await?;
                let sha256: String = sqlx::query_scalar(q::DELETE_RECORDING)
                    .bind(id.0)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(crate::StoreError::NotFound)?;
                let others: i64 = sqlx::query_scalar(q::SHA256_IN_USE)
                    .bind(sha256.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(others > 0)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(call = %call, keep))]
            async fn set_call_keep(&self, call: crate::CallId, keep: bool) -> crate::StoreResult<()> {
                let done = sqlx::query(crate::store::sql::recordings::SET_CALL_KEEP)
                    .bind(call.0)
                    .bind(keep)
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(crate::StoreError::NotFound);
                }
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(call = %call))]
            async fn call_kept(&self, call: crate::CallId) -> crate::StoreResult<bool> {
                sqlx::query_scalar(crate::store::sql::recordings::CALL_KEPT)
                    .bind(call.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(crate::StoreError::NotFound)
            }

            #[tracing::instrument(level = "debug", skip_all)]
            async fn take_spool_file(&self, file_key: &str) -> crate::StoreResult<bool> {
                let done = sqlx::query(crate::store::sql::recordings::TAKE_SPOOL_FILE)
                    .bind(file_key)
                    .bind(crate::store::now_ms())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(level = "debug", skip_all)]
            async fn spool_file_taken(&self, file_key: &str) -> crate::StoreResult<bool> {
                let count: i64 = sqlx::query_scalar(crate::store::sql::recordings::SPOOL_FILE_TAKEN)
                    .bind(file_key)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(count > 0)
            }
        }
    };
}

pub(crate) use impl_recording_store;
