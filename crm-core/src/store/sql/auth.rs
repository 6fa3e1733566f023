//! API tokens, sessions and the audit log: SQL and the [`AuthStore`](crate::AuthStore)
//! implementation.

use sqlx::{ColumnIndex, Decode, Encode, Executor, Type};

use super::credentials::{self, record_change};
use crate::domain::auth::{NewSession, Session, TokenInfo};
use crate::store::rows::{AuditRow, TokenInfoRow, UserRow};
use crate::store::{AuthStore, Backend, RowsAffected as _, SqlStore, now_ms};
use crate::token::{self, ApiToken, SessionToken};
use crate::{
    AuditEntry, ChangeReason, StoreError, StoreResult, TokenId, TokenScope, TokenUser, UserId,
};

/// The columns [`TokenInfoRow`] reads.
const TOKENS_OF_USER: &str = "SELECT id, user_id, scope, created_at_ms, \
    last_used_at_ms, revoked_at_ms FROM api_tokens WHERE user_id = $1 \
    ORDER BY created_at_ms DESC, id DESC";
const INSERT_TOKEN: &str = "INSERT INTO api_tokens \
    (user_id, token_hash, scope, created_at_ms) VALUES ($1, $2, $3, $4) RETURNING id";
/// A token's (active) user, with the user's columns as [`UserRow`] reads them.
const TOKEN_USER: &str = "SELECT t.id AS token_id, t.scope, t.last_used_at_ms, \
    u.id, u.username, u.display_name, u.role, u.extension, u.locale, u.active, \
    u.created_at_ms FROM api_tokens t JOIN users u ON u.id = t.user_id \
    WHERE t.token_hash = $1 AND t.revoked_at_ms IS NULL AND u.active";
/// Never moves "last used" backwards (uses are recorded in the background, maybe late).
const TOUCH_TOKEN: &str = "UPDATE api_tokens SET last_used_at_ms = $2 \
    WHERE id = $1 AND (last_used_at_ms IS NULL OR last_used_at_ms < $2)";
const INSERT_SESSION: &str = "INSERT INTO sessions \
    (id_hash, user_id, csrf_token, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5)";
/// A session's (active) user, with the user's columns as [`UserRow`] reads them.
const SESSION_USER: &str = "SELECT s.csrf_token, s.expires_at_ms, u.id, \
    u.username, u.display_name, u.role, u.extension, u.locale, u.active, u.created_at_ms \
    FROM sessions s JOIN users u ON u.id = s.user_id \
    WHERE s.id_hash = $1 AND s.expires_at_ms > $2 AND u.active";
const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at_ms <= $1";
const INSERT_AUDIT: &str = "INSERT INTO audit_log \
    (at_ms, actor_user_id, action, subject, detail) VALUES ($1, $2, $3, $4, $5)";
const AUDIT_LOG: &str = "SELECT at_ms, actor_user_id, action, subject, detail \
    FROM audit_log ORDER BY at_ms DESC, id DESC LIMIT $1";

/// The columns of [`TOKEN_USER`].
#[derive(sqlx::FromRow)]
struct TokenUserRow {
    token_id: i64,
    scope: String,
    last_used_at_ms: Option<i64>,
    #[sqlx(flatten)]
    user: UserRow,
}

/// The columns of [`SESSION_USER`].
#[derive(sqlx::FromRow)]
struct SessionRow {
    csrf_token: String,
    expires_at_ms: i64,
    #[sqlx(flatten)]
    user: UserRow,
}

#[async_trait::async_trait]
impl<DB> AuthStore for SqlStore<DB>
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
    #[tracing::instrument(level = "debug", skip_all, fields(user = %user, scope = scope.as_str()))]
    async fn create_token(
        &self,
        user: UserId,
        scope: TokenScope,
    ) -> StoreResult<(TokenId, ApiToken)> {
        let token = ApiToken::generate();
        let id: i64 = sqlx::query_scalar(INSERT_TOKEN)
            .bind(user.0)
            .bind(token.hash())
            .bind(scope.as_str())
            .bind(now_ms())
            .fetch_one(&self.pool)
            .await?;
        Ok((TokenId(id), token))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn verify_token(&self, token: &str) -> StoreResult<Option<TokenUser>> {
        if !token.starts_with(token::TOKEN_PREFIX) || token.len() > token::MAX_TOKEN_LEN {
            return Ok(None);
        }
        let Some(row) = sqlx::query_as::<_, TokenUserRow>(TOKEN_USER)
            .bind(token::hash_token(token))
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let scope = TokenScope::parse(&row.scope)?;
        Ok(Some(TokenUser {
            token: TokenId(row.token_id),
            user: row.user.into_user()?,
            scope,
            last_used_at_ms: row.last_used_at_ms,
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(token = %id))]
    async fn record_token_use(&self, id: TokenId, at_ms: i64) -> StoreResult<()> {
        sqlx::query(TOUCH_TOKEN)
            .bind(id.0)
            .bind(at_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(token = %id))]
    async fn revoke_token(&self, id: TokenId) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let user: Option<i64> = sqlx::query_scalar(credentials::REVOKE_TOKEN)
            .bind(id.0)
            .bind(now_ms())
            .fetch_optional(&mut *tx)
            .await?;
        let user = user.ok_or(StoreError::NotFound)?;
        record_change(&mut *tx, user, Some(id.0), None, ChangeReason::TokenRevoked).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user = %user))]
    async fn tokens_of_user(&self, user: UserId) -> StoreResult<Vec<TokenInfo>> {
        sqlx::query_as::<_, TokenInfoRow>(TOKENS_OF_USER)
            .bind(user.0)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(TokenInfoRow::into_info)
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user = %user))]
    async fn create_session(&self, user: UserId, expires_at_ms: i64) -> StoreResult<NewSession> {
        let token = SessionToken::generate();
        let csrf_token = token::random_hex();
        sqlx::query(INSERT_SESSION)
            .bind(token.hash())
            .bind(user.0)
            .bind(csrf_token.as_str())
            .bind(now_ms())
            .bind(expires_at_ms)
            .execute(&self.pool)
            .await?;
        Ok(NewSession {
            token,
            csrf_token,
            expires_at_ms,
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn get_session(&self, token: &str, now_ms: i64) -> StoreResult<Option<Session>> {
        if token.is_empty() || token.len() > token::MAX_TOKEN_LEN {
            return Ok(None);
        }
        let Some(row) = sqlx::query_as::<_, SessionRow>(SESSION_USER)
            .bind(token::hash_token(token))
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(Session {
            user: row.user.into_user()?,
            csrf_token: row.csrf_token,
            expires_at_ms: row.expires_at_ms,
        }))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_session(&self, token: &str) -> StoreResult<()> {
        let hash = token::hash_token(token);
        let mut tx = self.pool.begin().await?;
        let user: Option<i64> = sqlx::query_scalar(credentials::DELETE_SESSION)
            .bind(hash.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(user) = user {
            let session = Some(hash.as_str());
            record_change(&mut *tx, user, None, session, ChangeReason::SignedOut).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_expired_sessions(&self, now_ms: i64) -> StoreResult<u64> {
        Ok(sqlx::query(DELETE_EXPIRED_SESSIONS)
            .bind(now_ms)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(action = %entry.action, subject = %entry.subject))]
    async fn record_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        sqlx::query(INSERT_AUDIT)
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
    async fn audit_log(&self, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        Ok(sqlx::query_as::<_, AuditRow>(AUDIT_LOG)
            .bind(i64::from(limit.clamp(1, 10_000)))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(AuditEntry::from)
            .collect())
    }
}
