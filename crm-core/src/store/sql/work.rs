//! Notes and tasks: SQL and the [`WorkStore`](crate::WorkStore) implementation. A contact's
//! open tasks are on its card: opening or closing one forgets the card; notes are not.

use sqlx::{ColumnIndex, Decode, Encode, Executor, Type};

use super::one_row;
use crate::domain::work::{NewTask, Note, Task, TaskStatus, validate_note_body};
use crate::store::rows::{NoteRow, TaskRow};
use crate::store::{Backend, RowsAffected as _, SqlStore, WorkStore, now_ms};
use crate::{CallId, ContactId, NoteId, StoreError, StoreResult, TaskId, UserId};

/// The columns [`TaskRow`] reads.
macro_rules! task_columns {
    () => {
        "id, kind, title, contact_id, call_id, assignee_id, due_at_ms, status, created_at_ms, \
         closed_at_ms, customer_number_raw, customer_number_e164, queue, assigned_at_ms"
    };
}
pub(crate) use task_columns;

const INSERT_NOTE: &str = "INSERT INTO notes \
    (contact_id, call_id, author_id, body, created_at_ms) VALUES ($1, $2, $3, $4, $5) \
    RETURNING id";
const NOTES_OF_CONTACT: &str = "SELECT id, contact_id, call_id, author_id, body, \
    created_at_ms FROM notes WHERE contact_id = $1 ORDER BY created_at_ms DESC, id DESC";
const DELETE_NOTE: &str = "DELETE FROM notes WHERE id = $1";
const INSERT_TASK: &str = "INSERT INTO tasks \
    (kind, title, contact_id, call_id, assignee_id, due_at_ms, status, created_at_ms, \
    assigned_at_ms) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8) RETURNING id";
const TASK_BY_ID: &str = concat!("SELECT ", task_columns!(), " FROM tasks WHERE id = $1");
/// `$2`: whether to list only open tasks.
const TASKS_OF_CONTACT: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM tasks WHERE contact_id = $1 AND (status = 'open' OR NOT $2) \
     ORDER BY due_at_ms IS NULL, due_at_ms, id"
);
/// `$2`: whether to list only open tasks.
const TASKS_OF_ASSIGNEE: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM tasks WHERE assignee_id = $1 AND (status = 'open' OR NOT $2) \
     ORDER BY due_at_ms IS NULL, due_at_ms, id"
);
const SET_TASK_STATUS: &str = "UPDATE tasks SET status = $2, closed_at_ms = $3 WHERE id = $1";

#[async_trait::async_trait]
impl<DB> WorkStore for SqlStore<DB>
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
    #[tracing::instrument(level = "debug", skip_all, fields(contact = %contact))]
    async fn add_note(
        &self,
        contact: ContactId,
        call: Option<CallId>,
        author: Option<UserId>,
        body: &str,
    ) -> StoreResult<Note> {
        let body = validate_note_body(body)?;
        let now = now_ms();
        let id: i64 = sqlx::query_scalar(INSERT_NOTE)
            .bind(contact.0)
            .bind(call.map(|c| c.0))
            .bind(author.map(|a| a.0))
            .bind(body.as_str())
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
        Ok(Note {
            id: NoteId(id),
            contact,
            call,
            author,
            body,
            created_at_ms: now,
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(contact = %contact))]
    async fn notes(&self, contact: ContactId) -> StoreResult<Vec<Note>> {
        Ok(sqlx::query_as::<_, NoteRow>(NOTES_OF_CONTACT)
            .bind(contact.0)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(Note::from)
            .collect())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(note = %id))]
    async fn delete_note(&self, id: NoteId) -> StoreResult<()> {
        let done = sqlx::query(DELETE_NOTE)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        one_row(done.rows_affected())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(kind = task.kind.as_str()))]
    async fn create_task(&self, task: &NewTask) -> StoreResult<Task> {
        let title = task.validated_title()?;
        let now = now_ms();
        let id: i64 = sqlx::query_scalar(INSERT_TASK)
            .bind(task.kind.as_str())
            .bind(title)
            .bind(task.contact.map(|c| c.0))
            .bind(task.call.map(|c| c.0))
            .bind(task.assignee.map(|a| a.0))
            .bind(task.due_at_ms)
            .bind(now)
            .bind(task.assignee.map(|_| now))
            .fetch_one(&self.pool)
            .await?;
        self.directory.forget(task.contact, &[]);
        self.get_task(TaskId(id)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(task = %id))]
    async fn get_task(&self, id: TaskId) -> StoreResult<Task> {
        sqlx::query_as::<_, TaskRow>(TASK_BY_ID)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?
            .into_task()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(task = %id, status = status.as_str()))]
    async fn set_task_status(&self, id: TaskId, status: TaskStatus) -> StoreResult<Task> {
        let closed = (status != TaskStatus::Open).then(now_ms);
        let done = sqlx::query(SET_TASK_STATUS)
            .bind(id.0)
            .bind(status.as_str())
            .bind(closed)
            .execute(&self.pool)
            .await?;
        one_row(done.rows_affected())?;
        let task = self.get_task(id).await?;
        self.directory.forget(task.contact, &[]);
        Ok(task)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(contact = %contact, open_only = open_only))]
    async fn tasks_of_contact(
        &self,
        contact: ContactId,
        open_only: bool,
    ) -> StoreResult<Vec<Task>> {
        sqlx::query_as::<_, TaskRow>(TASKS_OF_CONTACT)
            .bind(contact.0)
            .bind(open_only)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(TaskRow::into_task)
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user = %user, open_only = open_only))]
    async fn tasks_of_assignee(&self, user: UserId, open_only: bool) -> StoreResult<Vec<Task>> {
        sqlx::query_as::<_, TaskRow>(TASKS_OF_ASSIGNEE)
            .bind(user.0)
            .bind(open_only)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(TaskRow::into_task)
            .collect()
    }
}
