//! Users: SQL and the [`UserStore`](crate::UserStore) implementation.

use sqlx::{ColumnIndex, Decode, Encode, Executor, Type};

use super::credentials::record_change;
use super::{credentials, one_row};
use crate::domain::user::{Locale, NewUser, User};
use crate::store::rows::UserRow;
use crate::store::{Backend, RowsAffected as _, SqlStore, UserStore, now_ms};
use crate::{ChangeReason, StoreError, StoreResult, UserId};

/// The columns [`UserRow`] reads.
macro_rules! user_columns {
    () => {
        "id, username, display_name, role, extension, locale, active, created_at_ms"
    };
}

const INSERT_USER: &str = "INSERT INTO users \
    (username, display_name, role, extension, locale, password_hash, active, created_at_ms) \
    VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7) RETURNING id";
const USER_BY_ID: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
const USER_BY_USERNAME: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE username = $1"
);
const USER_BY_EXTENSION: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE extension = $1"
);
const LIST_USERS: &str = concat!("SELECT ", user_columns!(), " FROM users ORDER BY username");
const USER_PASSWORD_HASH: &str = "SELECT password_hash FROM users WHERE id = $1";
const SET_PASSWORD_HASH: &str = "UPDATE users SET password_hash = $2 WHERE id = $1";
const SET_USER_LOCALE: &str = "UPDATE users SET locale = $2 WHERE id = $1";
const SET_USER_ACTIVE: &str = "UPDATE users SET active = $2 WHERE id = $1";

#[async_trait::async_trait]
impl<DB> UserStore for SqlStore<DB>
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
    #[tracing::instrument(level = "debug", skip_all, fields(username = %user.username))]
    async fn create_user(&self, user: &NewUser) -> StoreResult<User> {
        let display_name = user.display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > 200 {
            return Err(StoreError::Invalid(
                "a display name has 1-200 characters".into(),
            ));
        }
        let id: i64 = sqlx::query_scalar(INSERT_USER)
            .bind(user.username.as_str())
            .bind(display_name)
            .bind(user.role.as_str())
            .bind(user.extension.as_ref().map(|e| e.as_str()))
            .bind(user.locale.as_str())
            .bind(user.password_hash.as_str())
            .bind(now_ms())
            .fetch_one(&self.pool)
            .await
            .map_err(|err| match StoreError::from(err) {
                StoreError::Conflict(_) => {
                    StoreError::Conflict("the username or the extension is already taken".into())
                }
                other => other,
            })?;
        self.get_user(UserId(id)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user = %id))]
    async fn get_user(&self, id: UserId) -> StoreResult<User> {
        sqlx::query_as::<_, UserRow>(USER_BY_ID)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?
            .into_user()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        let username = username.trim().to_lowercase();
        sqlx::query_as::<_, UserRow>(USER_BY_USERNAME)
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .map(UserRow::into_user)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(extension = %extension))]
    async fn user_by_extension(&self, extension: &str) -> StoreResult<Option<User>> {
        sqlx::query_as::<_, UserRow>(USER_BY_EXTENSION)
            .bind(extension.trim())
            .fetch_optional(&self.pool)
            .await?
            .map(UserRow::into_user)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_users(&self) -> StoreResult<Vec<User>> {
        sqlx::query_as::<_, UserRow>(LIST_USERS)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(UserRow::into_user)
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user = %id))]
    async fn user_password_hash(&self, id: UserId) -> StoreResult<String> {
        sqlx::query_scalar(USER_PASSWORD_HASH)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user = %id))]
    async fn set_password_hash(&self, id: UserId, hash: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(SET_PASSWORD_HASH)
            .bind(id.0)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        one_row(done.rows_affected())?;
        // A new password ends every session: whoever knew the old one is out.
        sqlx::query(credentials::END_SESSIONS_OF_USER)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        record_change(&mut *tx, id.0, None, None, ChangeReason::PasswordChanged).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user = %id))]
    async fn set_user_locale(&self, id: UserId, locale: Locale) -> StoreResult<()> {
        let done = sqlx::query(SET_USER_LOCALE)
            .bind(id.0)
            .bind(locale.as_str())
            .execute(&self.pool)
            .await?;
        one_row(done.rows_affected())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user = %id, active = active))]
    async fn set_user_active(&self, id: UserId, active: bool) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(SET_USER_ACTIVE)
            .bind(id.0)
            .bind(active)
            .execute(&mut *tx)
            .await?;
        one_row(done.rows_affected())?;
        if !active {
            record_change(&mut *tx, id.0, None, None, ChangeReason::UserDisabled).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
