//! Calls in progress: SQL and the [`OpenCallStore`](crate::OpenCallStore) implementation.
//! A batch of changes is applied in one transaction, in order.

pub(crate) const SAVE_OPEN_CALL: &str = "INSERT INTO open_calls (pbx, linkedid, state, seen_at_ms) \
    VALUES ($1, $2, $3, $4) ON CONFLICT (pbx, linkedid) DO UPDATE \
    SET state = excluded.state, seen_at_ms = excluded.seen_at_ms";
pub(crate) const CLOSE_OPEN_CALL: &str = "DELETE FROM open_calls WHERE pbx = $1 AND linkedid = $2";
pub(crate) const TOUCH_OPEN_CALLS: &str =
    "UPDATE open_calls SET seen_at_ms = $2 WHERE pbx = $1 AND seen_at_ms < $2";
pub(crate) const OPEN_CALLS: &str =
    "SELECT linkedid, state, seen_at_ms FROM open_calls WHERE pbx = $1 ORDER BY linkedid";

/// Implements [`OpenCallStore`](crate::OpenCallStore) for a backend.
macro_rules! impl_open_call_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::store::OpenCallStore for $store {
            #[tracing::instrument(level = "debug", skip_all, fields(pbx = %pbx, changes = changes.len()))]
            async fn write_open_calls(
                &self,
                pbx: &str,
                changes: &[crate::OpenCallWrite],
            ) -> crate::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                for change in changes {
                    match change {
                        crate::OpenCallWrite::Save(row) => {
                            sqlx::query(crate::store::sql::open_calls::SAVE_OPEN_CALL)
                                .bind(pbx)
                                .bind(&row.linkedid)
                                .bind(&row.state)
                                .bind(row.seen_at_ms)
                                .execute(&mut *tx)
                                .await?;
                        }
                        crate::OpenCallWrite::Close { linkedid } => {
                            sqlx::query(crate::store::sql::open_calls::CLOSE_OPEN_CALL)
                                .bind(pbx)
                                .bind(linkedid)
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(pbx = %pbx))]
            async fn touch_open_calls(&self, pbx: &str, seen_at_ms: i64) -> crate::StoreResult<()> {
                sqlx::query(crate::store::sql::open_calls::TOUCH_OPEN_CALLS)
                    .bind(pbx)
                    .bind(seen_at_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(pbx = %pbx))]
            async fn open_calls(&self, pbx: &str) -> crate::StoreResult<Vec<crate::OpenCallRow>> {
                let rows: Vec<(String, String, i64)> =
                    sqlx::query_as(crate::store::sql::open_calls::OPEN_CALLS)
                        .bind(pbx)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(|(linkedid, state, seen_at_ms)| crate::OpenCallRow {
                        linkedid,
                        state,
                        seen_at_ms,
                    })
                    .collect())
            }
        }
    };
}

pub(crate) use impl_open_call_store;
