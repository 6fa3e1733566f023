//! API tokens, sessions and the audit log: SQL and the [`AuthStore`](crate::AuthStore)
//! implementation.

/// The columns [`rows::token_info`](crate::store::rows::token_info) reads.
pub(crate) const TOKENS_OF_USER: &str = "SELECT id, user_id, scope, created_at_ms, \
    last_used_at_ms, revoked_at_ms FROM api_tokens WHERE user_id = $1 \
    ORDER BY created_at_ms DESC, id DESC";
pub(crate) const INSERT_TOKEN: &str = "INSERT INTO api_tokens \
    (user_id, token_hash, scope, created_at_ms) VALUES ($1, $2, $3, $4) RETURNING id";
/// A token's (active) user, with the user's columns as `rows::user` reads them.
pub(crate) const TOKEN_USER: &str = "SELECT t.id AS token_id, t.scope, t.last_used_at_ms, \
    u.id, u.username, u.display_name, u.role, u.extension, u.locale, u.active, \
    u.created_at_ms FROM api_tokens t JOIN users u ON u.id = t.user_id \
    WHERE t.token_hash = $1 AND t.revoked_at_ms IS NULL AND u.active";
/// Never moves "last used" backwards (uses are recorded in the background, maybe late).
pub(crate) const TOUCH_TOKEN: &str = "UPDATE api_tokens SET last_used_at_ms = $2 \
    WHERE id = $1 AND (last_used_at_ms IS NULL OR last_used_at_ms < $2)";
pub(crate) const INSERT_SESSION: &str = "INSERT INTO sessions \
    (id_hash, user_id, csrf_token, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5)";
/// A session's (active) user, with the user's columns as `rows::user` reads them.
pub(crate) const SESSION_USER: &str = "SELECT s.csrf_token, s.expires_at_ms, u.id, \
    u.username, u.display_name, u.role, u.extension, u.locale, u.active, u.created_at_ms \
    FROM sessions s JOIN users u ON u.id = s.user_id \
    WHERE s.id_hash = $1 AND s.expires_at_ms > $2 AND u.active";
pub(crate) const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at_ms <= $1";
pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_log \
    (at_ms, actor_user_id, action, subject, detail) VALUES ($1, $2, $3, $4, $5)";
pub(crate) const AUDIT_LOG: &str = "SELECT at_ms, actor_user_id, action, subject, detail \
    FROM audit_log ORDER BY at_ms DESC, id DESC LIMIT $1";

/// Implements [`AuthStore`](crate::AuthStore) for a backend.
macro_rules! impl_auth_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::store::AuthStore for $store {
            #[tracing::instrument(level = "debug", skip_all, fields(user = %user, scope = scope.as_str()))]
            async fn create_token(
                &self,
                user: crate::UserId,
                scope: crate::TokenScope,
            ) -> crate::StoreResult<(crate::TokenId, crate::token::ApiToken)> {
                let token = crate::token::ApiToken::generate();
                let id: i64 = sqlx::query_scalar(crate::store::sql::auth::INSERT_TOKEN)
                    .bind(user.0)
                    .bind(token.hash())
                    .bind(scope.as_str())
                    .bind(crate::store::now_ms())
                    .fetch_one(&self.pool)
                    .await?;
                Ok((crate::TokenId(id), token))
            }

            #[tracing::instrument(level = "debug", skip_all)]
            async fn verify_token(
                &self,
                token: &str,
            ) -> crate::StoreResult<Option<crate::TokenUser>> {
                use crate::store::rows::Columns as _;
                if !token.starts_with(crate::token::TOKEN_PREFIX)
                    || token.len() > crate::token::MAX_TOKEN_LEN
                {
                    return Ok(None);
                }
                let Some(row) = sqlx::query(crate::store::sql::auth::TOKEN_USER)
                    .bind(crate::token::hash_token(token))
                    .fetch_optional(&self.pool)
                    .await?
                else {
                    return Ok(None);
                };
                let id = crate::TokenId(row.int("token_id")?);
                let scope = crate::TokenScope::parse(&row.text("scope")?)?;
                let user = crate::store::rows::user(&row)?;
                let last_used_at_ms = row.opt_int("last_used_at_ms")?;
                Ok(Some(crate::TokenUser {
                    token: id,
                    user,
                    scope,
                    last_used_at_ms,
                }))
            }

            #[tracing::instrument(level = "debug", skip_all, fields(token = %id))]
            async fn record_token_use(
                &self,
                id: crate::TokenId,
                at_ms: i64,
            ) -> crate::StoreResult<()> {
                sqlx::query(crate::store::sql::auth::TOUCH_TOKEN)
                    .bind(id.0)
                    .bind(at_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(token = %id))]
            async fn revoke_token(&self, id: crate::TokenId) -> crate::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                let user: Option<i64> =
                    sqlx::query_scalar(crate::store::sql::credentials::REVOKE_TOKEN)
                        .bind(id.0)
                        .bind(crate::store::now_ms())
                        .fetch_optional(&mut *tx)
                        .await?;
                let user = user.ok_or(crate::StoreError::NotFound)?;
                crate::store::sql::credentials::record_change!(
                    &mut *tx,
                    user,
                    Some(id.0),
                    None::<&str>,
                    crate::ChangeReason::TokenRevoked
                )?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(user = %user))]
            async fn tokens_of_user(
                &self,
                user: crate::UserId,
            ) -> crate::StoreResult<Vec<crate::domain::auth::TokenInfo>> {
                sqlx::query(crate::store::sql::auth::TOKENS_OF_USER)
                    .bind(user.0)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(crate::store::rows::token_info)
                    .collect()
            }

            #[tracing::instrument(level = "debug", skip_all, fields(user = %user))]
            async fn create_session(
                &self,
                user: crate::UserId,
                expires_at_ms: i64,
            ) -> crate::StoreResult<crate::domain::auth::NewSession> {
                let token = crate::token::SessionToken::generate();
                let csrf_token = crate::token::random_hex();
                sqlx::query(crate::store::sql::auth::INSERT_SESSION)
                    .bind(token.hash())
                    .bind(user.0)
                    .bind(csrf_token.as_str())
                    .bind(crate::store::now_ms())
                    .bind(expires_at_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(crate::domain::auth::NewSession {
                    token,
                    csrf_token,
                    expires_at_ms,
                })
            }

            #[tracing::instrument(level = "debug", skip_all)]
            async fn get_session(
                &self,
                token: &str,
                now_ms: i64,
            ) -> crate::StoreResult<Option<crate::domain::auth::Session>> {
                use crate::store::rows::Columns as _;
                if token.is_empty() || token.len() > crate::token::MAX_TOKEN_LEN {
                    return Ok(None);
                }
                let Some(row) = sqlx::query(crate::store::sql::auth::SESSION_USER)
                    .bind(crate::token::hash_token(token))
                    .bind(now_ms)
                    .fetch_optional(&self.pool)
                    .await?
                else {
                    return Ok(None);
                };
                Ok(Some(crate::domain::auth::Session {
                    user: crate::store::rows::user(&row)?,
                    csrf_token: row.text("csrf_token")?,
                    expires_at_ms: row.int("expires_at_ms")?,
                }))
            }

            #[tracing::instrument(level = "debug", skip_all)]
            async fn delete_session(&self, token: &str) -> crate::StoreResult<()> {
                let hash = crate::token::hash_token(token);
                let mut tx = self.pool.begin().await?;
                let user: Option<i64> =
                    sqlx::query_scalar(crate::store::sql::credentials::DELETE_SESSION)
                        .bind(hash.as_str())
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some(user) = user {
                    crate::store::sql::credentials::record_change!(
                        &mut *tx,
                        user,
                        None::<i64>,
                        Some(hash.as_str()),
                        crate::ChangeReason::SignedOut
                    )?;
                }
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all)]
            async fn delete_expired_sessions(&self, now_ms: i64) -> crate::StoreResult<u64> {
                Ok(sqlx::query(crate::store::sql::auth::DELETE_EXPIRED_SESSIONS)
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(action = %entry.action, subject = %entry.subject))]
            async fn record_audit(&self, entry: &crate::AuditEntry) -> crate::StoreResult<()> {
                sqlx::query(crate::store::sql::auth::INSERT_AUDIT)
                    .bind(entry.at_ms)
                    .bind(entry.actor.map(|a| a.0))
                    .bind(entry.action.as_str())
                    .bind(entry.subject.as_str())
                    .bind(entry.detail.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all)]
            async fn audit_log(&self, limit: u32) -> crate::StoreResult<Vec<crate::AuditEntry>> {
                sqlx::query(crate::store::sql::auth::AUDIT_LOG)
                    .bind(i64::from(limit.clamp(1, 10_000)))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(crate::store::rows::audit_entry)
                    .collect()
            }
        }
    };
}

pub(crate) use impl_auth_store;
