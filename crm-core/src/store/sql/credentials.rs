//! Changes that end access (the `credential_changes` log) and the operations that make
//! them: SQL and the [`CredentialStore`](crate::CredentialStore) implementation.
//!
//! Every write that ends a credential — [`revoke_token`](crate::AuthStore::revoke_token),
//! [`delete_session`](crate::AuthStore::delete_session), a password or role change,
//! disabling a user — appends a row here in the same transaction, so a serving process
//! learns of it whichever process made it.

use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, Type};

use super::one_row;
use crate::domain::auth::TokenInfo;
use crate::store::rows::{CredentialChangeRow, TokenInfoRow};
use crate::store::{Backend, CredentialStore, RowsAffected as _, SqlStore, now_ms};
use crate::{ChangeReason, CredentialChange, Role, StoreResult, UserId};

const INSERT_CHANGE: &str = "INSERT INTO credential_changes \
    (at_ms, user_id, token_id, session_hash, reason) VALUES ($1, $2, $3, $4, $5)";
const CHANGES_AFTER: &str = "SELECT seq, user_id, token_id, session_hash, reason \
    FROM credential_changes WHERE seq > $1 ORDER BY seq LIMIT $2";
const LAST_CHANGE: &str = "SELECT coalesce(max(seq), 0) FROM credential_changes";
const PRUNE_CHANGES: &str = "DELETE FROM credential_changes WHERE at_ms < $1";
const SET_USER_ROLE: &str = "UPDATE users SET role = $2 WHERE id = $1";
pub(crate) const END_SESSIONS_OF_USER: &str = "DELETE FROM sessions WHERE user_id = $1";
pub(crate) const REVOKE_TOKEN: &str = "UPDATE api_tokens \
    SET revoked_at_ms = coalesce(revoked_at_ms, $2) WHERE id = $1 RETURNING user_id";
const REVOKE_TOKENS_OF_USER: &str = "UPDATE api_tokens SET revoked_at_ms = $2 \
    WHERE user_id = $1 AND revoked_at_ms IS NULL RETURNING id";
pub(crate) const DELETE_SESSION: &str = "DELETE FROM sessions WHERE id_hash = $1 RETURNING user_id";
const LIST_TOKENS: &str = "SELECT id, user_id, scope, created_at_ms, \
    last_used_at_ms, revoked_at_ms FROM api_tokens ORDER BY created_at_ms DESC, id DESC";

/// Appends a change to the log on `conn` (a transaction's connection).
pub(crate) async fn record_change<'c, DB>(
    conn: &'c mut DB::Connection,
    user: i64,
    token: Option<i64>,
    session: Option<&str>,
    reason: ChangeReason,
) -> StoreResult<()>
where
    DB: Database<Arguments: sqlx::IntoArguments<DB>>,
    &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'a> &'a str: Encode<'a, DB> + Type<DB>,
    for<'a> Option<&'a str>: Encode<'a, DB> + Type<DB>,
    for<'a> i64: Encode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB> + Type<DB>,
{
    sqlx::query(INSERT_CHANGE)
        .bind(now_ms())
        .bind(user)
        .bind(token)
        .bind(session)
        .bind(reason.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl<DB> CredentialStore for SqlStore<DB>
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
    #[tracing::instrument(level = "debug", skip_all, fields(user = %id, role = role.as_str()))]
    async fn set_user_role(&self, id: UserId, role: Role) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(SET_USER_ROLE)
            .bind(id.0)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
        one_row(done.rows_affected())?;
        record_change(&mut *tx, id.0, None, None, ChangeReason::RoleChanged).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user = %user))]
    async fn revoke_tokens_of_user(&self, user: UserId) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await?;
        let ids: Vec<i64> = sqlx::query_scalar(REVOKE_TOKENS_OF_USER)
            .bind(user.0)
            .bind(now_ms())
            .fetch_all(&mut *tx)
            .await?;
        for id in &ids {
            record_change(
                &mut *tx,
                user.0,
                Some(*id),
                None,
                ChangeReason::TokenRevoked,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(ids.len() as u64)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_tokens(&self) -> StoreResult<Vec<TokenInfo>> {
        sqlx::query_as::<_, TokenInfoRow>(LIST_TOKENS)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(TokenInfoRow::into_info)
            .collect()
    }

    #[tracing::instrument(level = "trace", skip_all)]
    async fn credential_changes_after(
        &self,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<CredentialChange>> {
        sqlx::query_as::<_, CredentialChangeRow>(CHANGES_AFTER)
            .bind(after)
            .bind(i64::from(limit.max(1)))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(CredentialChangeRow::into_change)
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn last_credential_change(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(LAST_CHANGE)
            .fetch_one(&self.pool)
            .await?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn prune_credential_changes(&self, before_ms: i64) -> StoreResult<u64> {
        Ok(sqlx::query(PRUNE_CHANGES)
            .bind(before_ms)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
