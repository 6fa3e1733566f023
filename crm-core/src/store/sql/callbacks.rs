//! Callback tasks for abandoned calls: SQL and the [`CallbackStore`](crate::CallbackStore)
//! implementation. A callback is a task of kind `callback` that also keeps the customer's
//! number (raw and E.164), the queue and when it was last assigned.

pub(crate) const INSERT_CALLBACK: &str = "INSERT INTO tasks \
    (kind, title, contact_id, call_id, assignee_id, due_at_ms, status, created_at_ms, \
    customer_number_raw, customer_number_e164, queue, assigned_at_ms) \
    VALUES ('callback', $1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $10) RETURNING id";
/// The open callback of a contact (`$1`), oldest first.
pub(crate) const OPEN_CALLBACK_OF_CONTACT: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM tasks WHERE kind = 'callback' AND status = 'open' AND contact_id = $1 \
     ORDER BY id LIMIT 1"
);
/// The open callback of an unknown caller's number (`$1`: E.164, else raw), oldest first.
pub(crate) const OPEN_CALLBACK_OF_NUMBER: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM tasks WHERE kind = 'callback' AND status = 'open' AND contact_id IS NULL \
     AND (customer_number_e164 = $1 OR (customer_number_e164 IS NULL AND customer_number_raw = $1)) \
     ORDER BY id LIMIT 1"
);
pub(crate) const OPEN_CALLBACKS: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM tasks WHERE kind = 'callback' AND status = 'open' ORDER BY id"
);
pub(crate) const ASSIGN_TASK: &str =
    "UPDATE tasks SET assignee_id = $2, assigned_at_ms = $3 WHERE id = $1";

/// Implements [`CallbackStore`](crate::CallbackStore) for a backend.
macro_rules! impl_callback_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::store::CallbackStore for $store {
            #[tracing::instrument(level = "debug", skip_all)]
            async fn create_callback(
                &self,
                callback: &crate::NewCallback,
            ) -> crate::StoreResult<crate::Task> {
                let title = crate::domain::work::validate_task_title(&callback.title)?;
                let now = crate::store::now_ms();
                let id: i64 = sqlx::query_scalar(crate::store::sql::callbacks::INSERT_CALLBACK)
                    .bind(title)
                    .bind(callback.contact.map(|c| c.0))
                    .bind(callback.call.map(|c| c.0))
                    .bind(callback.assignee.map(|a| a.0))
                    .bind(callback.due_at_ms)
                    .bind(now)
                    .bind(callback.customer_number_raw.as_deref())
                    .bind(callback.customer_number_e164.as_deref())
                    .bind(callback.queue.as_deref())
                    .bind(callback.assignee.map(|_| now))
                    .fetch_one(&self.pool)
                    .await?;
                self.directory.forget(callback.contact, &[]);
                crate::WorkStore::get_task(self, crate::TaskId(id)).await
            }

            #[tracing::instrument(level = "debug", skip_all)]
            async fn open_callback(
                &self,
                customer: &crate::Customer,
            ) -> crate::StoreResult<Option<crate::Task>> {
                let query = match customer {
                    crate::Customer::Contact(contact) => {
                        sqlx::query(crate::store::sql::callbacks::OPEN_CALLBACK_OF_CONTACT)
                            .bind(contact.0)
                    }
                    crate::Customer::Number(number) => {
                        sqlx::query(crate::store::sql::callbacks::OPEN_CALLBACK_OF_NUMBER)
                            .bind(number.clone())
                    }
                };
                query
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(crate::store::rows::task)
                    .transpose()
            }

            #[tracing::instrument(level = "debug", skip_all)]
            async fn open_callbacks(&self) -> crate::StoreResult<Vec<crate::Task>> {
                sqlx::query(crate::store::sql::callbacks::OPEN_CALLBACKS)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(crate::store::rows::task)
                    .collect()
            }

            #[tracing::instrument(level = "debug", skip_all, fields(task = %id))]
            async fn assign_task(
                &self,
                id: crate::TaskId,
                assignee: Option<crate::UserId>,
            ) -> crate::StoreResult<crate::Task> {
                let done = sqlx::query(crate::store::sql::callbacks::ASSIGN_TASK)
                    .bind(id.0)
                    .bind(assignee.map(|a| a.0))
                    .bind(crate::store::now_ms())
                    .execute(&self.pool)
                    .await?;
                crate::store::sql::one_row(done.rows_affected())?;
                let task = crate::WorkStore::get_task(self, id).await?;
                self.directory.forget(task.contact, &[]);
                Ok(task)
            }
        }
    };
}

pub(crate) use impl_callback_store;
