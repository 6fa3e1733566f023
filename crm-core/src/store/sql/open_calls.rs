//! Calls in progress: SQL and the [`OpenCallStore`](crate::OpenCallStore) implementation.
//! A batch of changes is applied in one transaction, in order.

use sqlx::{ColumnIndex, Decode, Encode, Executor, Type};

use crate::store::{Backend, OpenCallStore, SqlStore};
use crate::{OpenCallRow, OpenCallWrite, StoreResult};

const SAVE_OPEN_CALL: &str = "INSERT INTO open_calls (pbx, linkedid, state, seen_at_ms) \
    VALUES ($1, $2, $3, $4) ON CONFLICT (pbx, linkedid) DO UPDATE \
    SET state = excluded.state, seen_at_ms = excluded.seen_at_ms";
const CLOSE_OPEN_CALL: &str = "DELETE FROM open_calls WHERE pbx = $1 AND linkedid = $2";
const TOUCH_OPEN_CALLS: &str =
    "UPDATE open_calls SET seen_at_ms = $2 WHERE pbx = $1 AND seen_at_ms < $2";
const OPEN_CALLS: &str =
    "SELECT linkedid, state, seen_at_ms FROM open_calls WHERE pbx = $1 ORDER BY linkedid";

/// The columns of [`OPEN_CALLS`].
#[derive(sqlx::FromRow)]
struct OpenCallRecord {
    linkedid: String,
    state: String,
    seen_at_ms: i64,
}

#[async_trait::async_trait]
impl<DB> OpenCallStore for SqlStore<DB>
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
    #[tracing::instrument(level = "debug", skip_all, fields(pbx = %pbx, changes = changes.len()))]
    async fn write_open_calls(&self, pbx: &str, changes: &[OpenCallWrite]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        for change in changes {
            match change {
                OpenCallWrite::Save(row) => {
                    sqlx::query(SAVE_OPEN_CALL)
                        .bind(pbx)
                        .bind(row.linkedid.as_str())
                        .bind(row.state.as_str())
                        .bind(row.seen_at_ms)
                        .execute(&mut *tx)
                        .await?;
                }
                OpenCallWrite::Close { linkedid } => {
                    sqlx::query(CLOSE_OPEN_CALL)
                        .bind(pbx)
                        .bind(linkedid.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(pbx = %pbx))]
    async fn touch_open_calls(&self, pbx: &str, seen_at_ms: i64) -> StoreResult<()> {
        sqlx::query(TOUCH_OPEN_CALLS)
            .bind(pbx)
            .bind(seen_at_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(pbx = %pbx))]
    async fn open_calls(&self, pbx: &str) -> StoreResult<Vec<OpenCallRow>> {
        let rows: Vec<OpenCallRecord> = sqlx::query_as(OPEN_CALLS)
            .bind(pbx)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| OpenCallRow {
                linkedid: row.linkedid,
                state: row.state,
                seen_at_ms: row.seen_at_ms,
            })
            .collect())
    }
}
