//! Changes that end access (the `credential_changes` log) and the operations that make
//! them: SQL and the [`CredentialStore`](crate::CredentialStore) implementation.
//!
//! Every write that ends a credential — [`revoke_token`](crate::AuthStore::revoke_token),
//! [`delete_session`](crate::AuthStore::delete_session), a password or role change,
//! disabling a user — appends a row here in the same transaction, so a serving process
//! learns of it whichever process made it.

pub(crate) const INSERT_CHANGE: &str = "INSERT INTO credential_changes \
    (at_ms, user_id, token_id, session_hash, reason) VALUES ($1, $2, $3, $4, $5)";
pub(crate) const CHANGES_AFTER: &str = "SELECT seq, user_id, token_id, session_hash, reason \
    FROM credential_changes WHERE seq > $1 ORDER BY seq LIMIT $2";
pub(crate) const LAST_CHANGE: &str = "SELECT coalesce(max(seq), 0) FROM credential_changes";
pub(crate) const PRUNE_CHANGES: &str = "DELETE FROM credential_changes WHERE at_ms < $1";
pub(crate) const SET_USER_ROLE: &str = "UPDATE users SET role = $2 WHERE id = $1";
pub(crate) const END_SESSIONS_OF_USER: &str = "DELETE FROM sessions WHERE user_id = $1";
pub(crate) const REVOKE_TOKEN: &str = "UPDATE api_tokens \
    SET revoked_at_ms = coalesce(revoked_at_ms, $2) WHERE id = $1 RETURNING user_id";
pub(crate) const REVOKE_TOKENS_OF_USER: &str = "UPDATE api_tokens SET revoked_at_ms = $2 \
    WHERE user_id = $1 AND revoked_at_ms IS NULL RETURNING id";
pub(crate) const DELETE_SESSION: &str = "DELETE FROM sessions WHERE id_hash = $1 RETURNING user_id";
pub(crate) const LIST_TOKENS: &str = "SELECT id, user_id, scope, created_at_ms, \
    last_used_at_ms, revoked_at_ms FROM api_tokens ORDER BY created_at_ms DESC, id DESC";

/// Appends a change to the log on `$conn` (a transaction).
macro_rules! record_change {
    ($conn:expr, $user:expr, $token:expr, $session:expr, $reason:expr) => {
        sqlx::query(crate::store::sql::credentials::INSERT_CHANGE)
            .bind(crate::store::now_ms())
            .bind($user)
            .bind($token)
            .bind($session)
            .bind($reason.as_str())
            .execute($conn)
            .await
    };
}
pub(crate) use record_change;

/// Implements [`CredentialStore`](crate::CredentialStore) for a backend.
macro_rules! impl_credential_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::store::CredentialStore for $store {
            #[tracing::instrument(level = "debug", skip_all, fields(user = %id, role = role.as_str()))]
            async fn set_user_role(
                &self,
                id: crate::UserId,
                role: crate::Role,
            ) -> crate::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(crate::store::sql::credentials::SET_USER_ROLE)
                    .bind(id.0)
                    .bind(role.as_str())
                    .execute(&mut *tx)
                    .await?;
                crate::store::sql::one_row(done.rows_affected())?;
                crate::store::sql::credentials::record_change!(
                    &mut *tx,
                    id.0,
                    None::<i64>,
                    None::<&str>,
                    crate::ChangeReason::RoleChanged
                )?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(user = %user))]
            async fn revoke_tokens_of_user(&self, user: crate::UserId) -> crate::StoreResult<u64> {
                let mut tx = self.pool.begin().await?;
                let ids: Vec<i64> =
                    sqlx::query_scalar(crate::store::sql::credentials::REVOKE_TOKENS_OF_USER)
                        .bind(user.0)
                        .bind(crate::store::now_ms())
                        .fetch_all(&mut *tx)
                        .await?;
                for id in &ids {
                    crate::store::sql::credentials::record_change!(
                        &mut *tx,
                        user.0,
                        Some(*id),
                        None::<&str>,
                        crate::ChangeReason::TokenRevoked
                    )?;
                }
                tx.commit().await?;
                Ok(ids.len() as u64)
            }

            #[tracing::instrument(level = "debug", skip_all)]
            async fn list_tokens(
                &self,
            ) -> crate::StoreResult<Vec<crate::domain::auth::TokenInfo>> {
                sqlx::query(crate::store::sql::credentials::LIST_TOKENS)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(crate::store::rows::token_info)
                    .collect()
            }

            #[tracing::instrument(level = "trace", skip_all)]
            async fn credential_changes_after(
                &self,
                after: i64,
                limit: u32,
            ) -> crate::StoreResult<Vec<crate::CredentialChange>> {
                use crate::store::rows::Columns as _;
                let rows = sqlx::query(crate::store::sql::credentials::CHANGES_AFTER)
                    .bind(after)
                    .bind(i64::from(limit.max(1)))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|row| {
                        Ok(crate::CredentialChange {
                            seq: row.int("seq")?,
                            user: crate::UserId(row.int("user_id")?),
                            token: row.opt_int("token_id")?.map(crate::TokenId),
                            session_hash: row.opt_text("session_hash")?,
                            reason: crate::ChangeReason::parse(&row.text("reason")?)?,
                        })
                    })
                    .collect()
            }

            #[tracing::instrument(level = "debug", skip_all)]
            async fn last_credential_change(&self) -> crate::StoreResult<i64> {
                Ok(
                    sqlx::query_scalar(crate::store::sql::credentials::LAST_CHANGE)
                        .fetch_one(&self.pool)
                        .await?,
                )
            }

            #[tracing::instrument(level = "debug", skip_all)]
            async fn prune_credential_changes(&self, before_ms: i64) -> crate::StoreResult<u64> {
                Ok(
                    sqlx::query(crate::store::sql::credentials::PRUNE_CHANGES)
                        .bind(before_ms)
                        .execute(&self.pool)
                        .await?
                        .rows_affected(),
                )
            }
        }
    };
}

pub(crate) use impl_credential_store;
