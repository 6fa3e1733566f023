//! Callback tasks for abandoned calls: SQL and the [`CallbackStore`](crate::CallbackStore)
//! implementation. A callback is a task of kind `callback` that also keeps the customer's
//! number (raw and E.164), the queue and when it was last assigned.

use sqlx::{ColumnIndex, Decode, Encode, Executor, Type};

use super::one_row;
use super::work::task_columns;
use crate::domain::work::validate_task_title;
use crate::store::rows::TaskRow;
use crate::store::{Backend, CallbackStore, RowsAffected as _, SqlStore, WorkStore, now_ms};
use crate::{Customer, NewCallback, StoreResult, Task, TaskId, UserId};

const INSERT_CALLBACK: &str = "INSERT INTO tasks \
    (kind, title, contact_id, call_id, assignee_id, due_at_ms, status, created_at_ms, \
    customer_number_raw, customer_number_e164, queue, assigned_at_ms) \
    VALUES ('callback', $1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $10) RETURNING id";
/// The open callback of a contact (`$1`), oldest first.
const OPEN_CALLBACK_OF_CONTACT: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM tasks WHERE kind = 'callback' AND status = 'open' AND contact_id = $1 \
     ORDER BY id LIMIT 1"
);
/// The open callback of an unknown caller's number (`$1`: E.164, else raw), oldest first.
const OPEN_CALLBACK_OF_NUMBER: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM tasks WHERE kind = 'callback' AND status = 'open' AND contact_id IS NULL \
     AND (customer_number_e164 = $1 OR (customer_number_e164 IS NULL AND customer_number_raw = $1)) \
     ORDER BY id LIMIT 1"
);
const OPEN_CALLBACKS: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM tasks WHERE kind = 'callback' AND status = 'open' ORDER BY id"
);
const ASSIGN_TASK: &str = "UPDATE tasks SET assignee_id = $2, assigned_at_ms = $3 WHERE id = $1";

#[async_trait::async_trait]
impl<DB> CallbackStore for SqlStore<DB>
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
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_callback(&self, callback: &NewCallback) -> StoreResult<Task> {
        let title = validate_task_title(&callback.title)?;
        let now = now_ms();
        let id: i64 = sqlx::query_scalar(INSERT_CALLBACK)
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
        self.get_task(TaskId(id)).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn open_callback(&self, customer: &Customer) -> StoreResult<Option<Task>> {
        let query = match customer {
            Customer::Contact(contact) => {
                sqlx::query_as::<_, TaskRow>(OPEN_CALLBACK_OF_CONTACT).bind(contact.0)
            }
            Customer::Number(number) => {
                sqlx::query_as::<_, TaskRow>(OPEN_CALLBACK_OF_NUMBER).bind(number.as_str())
            }
        };
        query
            .fetch_optional(&self.pool)
            .await?
            .map(TaskRow::into_task)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn open_callbacks(&self) -> StoreResult<Vec<Task>> {
        sqlx::query_as::<_, TaskRow>(OPEN_CALLBACKS)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(TaskRow::into_task)
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(task = %id))]
    async fn assign_task(&self, id: TaskId, assignee: Option<UserId>) -> StoreResult<Task> {
        let done = sqlx::query(ASSIGN_TASK)
            .bind(id.0)
            .bind(assignee.map(|a| a.0))
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        one_row(done.rows_affected())?;
        let task = self.get_task(id).await?;
        self.directory.forget(task.contact, &[]);
        Ok(task)
    }
}
