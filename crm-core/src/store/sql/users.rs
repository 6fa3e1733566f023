//! Users: SQL and the [`UserStore`](crate::UserStore) implementation.

/// The columns [`rows::user`](crate::store::rows::user) reads.
macro_rules! user_columns {
    () => {
        "id, username, display_name, role, extension, locale, active, created_at_ms"
    };
}

pub(crate) const INSERT_USER: &str = "INSERT INTO users \
    (username, display_name, role, extension, locale, password_hash, active, created_at_ms) \
    VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7) RETURNING id";
pub(crate) const USER_BY_ID: &str =
    concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
pub(crate) const USER_BY_USERNAME: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE username = $1"
);
pub(crate) const USER_BY_EXTENSION: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE extension = $1"
);
pub(crate) const LIST_USERS: &str =
    concat!("SELECT ", user_columns!(), " FROM users ORDER BY username");
pub(crate) const USER_PASSWORD_HASH: &str = "SELECT password_hash FROM users WHERE id = $1";
pub(crate) const SET_PASSWORD_HASH: &str = "UPDATE users SET password_hash = $2 WHERE id = $1";
pub(crate) const SET_USER_LOCALE: &str = "UPDATE users SET locale = $2 WHERE id = $1";
pub(crate) const SET_USER_ACTIVE: &str = "UPDATE users SET active = $2 WHERE id = $1";

/// Implements [`UserStore`](crate::UserStore) for a backend.
macro_rules! impl_user_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::store::UserStore for $store {
            #[tracing::instrument(level = "debug", skip_all, fields(username = %user.username))]
            async fn create_user(
                &self,
                user: &crate::domain::user::NewUser,
            ) -> crate::StoreResult<crate::domain::user::User> {
                let display_name = user.display_name.trim();
                if display_name.is_empty() || display_name.chars().count() > 200 {
                    return Err(crate::StoreError::Invalid(
                        "a display name has 1-200 characters".into(),
                    ));
                }
                let id: i64 = sqlx::query_scalar(crate::store::sql::users::INSERT_USER)
                    .bind(user.username.as_str())
                    .bind(display_name)
                    .bind(user.role.as_str())
                    .bind(user.extension.as_ref().map(|e| e.as_str()))
                    .bind(user.locale.as_str())
                    .bind(user.password_hash.as_str())
                    .bind(crate::store::now_ms())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(|err| match crate::StoreError::from(err) {
                        crate::StoreError::Conflict(_) => crate::StoreError::Conflict(
                            "the username or the extension is already taken".into(),
                        ),
                        other => other,
                    })?;
                self.get_user(crate::UserId(id)).await
            }

            #[tracing::instrument(level = "debug", skip_all, fields(user = %id))]
            async fn get_user(
                &self,
                id: crate::UserId,
            ) -> crate::StoreResult<crate::domain::user::User> {
                let row = sqlx::query(crate::store::sql::users::USER_BY_ID)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(crate::StoreError::NotFound)?;
                crate::store::rows::user(&row)
            }

            #[tracing::instrument(level = "debug", skip_all)]
            async fn user_by_username(
                &self,
                username: &str,
            ) -> crate::StoreResult<Option<crate::domain::user::User>> {
                let username = username.trim().to_lowercase();
                sqlx::query(crate::store::sql::users::USER_BY_USERNAME)
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(crate::store::rows::user)
                    .transpose()
            }

            #[tracing::instrument(level = "debug", skip_all, fields(extension = %extension))]
            async fn user_by_extension(
                &self,
                extension: &str,
            ) -> crate::StoreResult<Option<crate::domain::user::User>> {
                sqlx::query(crate::store::sql::users::USER_BY_EXTENSION)
                    .bind(extension.trim())
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(crate::store::rows::user)
                    .transpose()
            }

            #[tracing::instrument(level = "debug", skip_all)]
            async fn list_users(&self) -> crate::StoreResult<Vec<crate::domain::user::User>> {
                sqlx::query(crate::store::sql::users::LIST_USERS)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(crate::store::rows::user)
                    .collect()
            }

            #[tracing::instrument(level = "debug", skip_all, fields(user = %id))]
            async fn user_password_hash(&self, id: crate::UserId) -> crate::StoreResult<String> {
                sqlx::query_scalar(crate::store::sql::users::USER_PASSWORD_HASH)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(crate::StoreError::NotFound)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(user = %id))]
            async fn set_password_hash(
                &self,
                id: crate::UserId,
                hash: &str,
            ) -> crate::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(crate::store::sql::users::SET_PASSWORD_HASH)
                    .bind(id.0)
                    .bind(hash)
                    .execute(&mut *tx)
                    .await?;
                crate::store::sql::one_row(done.rows_affected())?;
                // A new password ends every session: whoever knew the old one is out.
                sqlx::query(crate::store::sql::credentials::END_SESSIONS_OF_USER)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                crate::store::sql::credentials::record_change!(
                    &mut *tx,
                    id.0,
                    None::<i64>,
                    None::<&str>,
                    crate::ChangeReason::PasswordChanged
                )?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(user = %id))]
            async fn set_user_locale(
                &self,
                id: crate::UserId,
                locale: crate::Locale,
            ) -> crate::StoreResult<()> {
                let done = sqlx::query(crate::store::sql::users::SET_USER_LOCALE)
                    .bind(id.0)
                    .bind(locale.as_str())
                    .execute(&self.pool)
                    .await?;
                crate::store::sql::one_row(done.rows_affected())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(user = %id, active = active))]
            async fn set_user_active(
                &self,
                id: crate::UserId,
                active: bool,
            ) -> crate::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(crate::store::sql::users::SET_USER_ACTIVE)
                    .bind(id.0)
                    .bind(active)
                    .execute(&mut *tx)
                    .await?;
                crate::store::sql::one_row(done.rows_affected())?;
                if !active {
                    crate::store::sql::credentials::record_change!(
                        &mut *tx,
                        id.0,
                        None::<i64>,
                        None::<&str>,
                        crate::ChangeReason::UserDisabled
                    )?;
                }
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_user_store;
