//! Notes and tasks: SQL and the [`WorkStore`](crate::WorkStore) implementation. A contact's
//! open tasks are on its card: opening or closing one forgets the card; notes are not.

/// The columns [`rows::task`](crate::store::rows::task) reads.
macro_rules! task_columns {
    () => {
        "id, kind, title, contact_id, call_id, assignee_id, due_at_ms, status, created_at_ms, \
         closed_at_ms, customer_number_raw, customer_number_e164, queue, assigned_at_ms"
    };
}

pub(crate) const INSERT_NOTE: &str = "INSERT INTO notes \
    (contact_id, call_id, author_id, body, created_at_ms) VALUES ($1, $2, $3, $4, $5) \
    RETURNING id";
pub(crate) const NOTES_OF_CONTACT: &str = "SELECT id, contact_id, call_id, author_id, body, \
    created_at_ms FROM notes WHERE contact_id = $1 ORDER BY created_at_ms DESC, id DESC";
pub(crate) const DELETE_NOTE: &str = "DELETE FROM notes WHERE id = $1";
pub(crate) const INSERT_TASK: &str = "INSERT INTO tasks \
    (kind, title, contact_id, call_id, assignee_id, due_at_ms, status, created_at_ms, \
    assigned_at_ms) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8) RETURNING id";
pub(crate) const TASK_BY_ID: &str =
    concat!("SELECT ", task_columns!(), " FROM tasks WHERE id = $1");
/// `$2`: whether to list only open tasks.
pub(crate) const TASKS_OF_CONTACT: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM tasks WHERE contact_id = $1 AND (status = 'open' OR NOT $2) \
     ORDER BY due_at_ms IS NULL, due_at_ms, id"
);
/// `$2`: whether to list only open tasks.
pub(crate) const TASKS_OF_ASSIGNEE: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM tasks WHERE assignee_id = $1 AND (status = 'open' OR NOT $2) \
     ORDER BY due_at_ms IS NULL, due_at_ms, id"
);
pub(crate) const SET_TASK_STATUS: &str =
    "UPDATE tasks SET status = $2, closed_at_ms = $3 WHERE id = $1";

/// Implements [`WorkStore`](crate::WorkStore) for a backend.
macro_rules! impl_work_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::store::WorkStore for $store {
            #[tracing::instrument(level = "debug", skip_all, fields(contact = %contact))]
            async fn add_note(
                &self,
                contact: crate::ContactId,
                call: Option<crate::CallId>,
                author: Option<crate::UserId>,
                body: &str,
            ) -> crate::StoreResult<crate::Note> {
                let body = crate::domain::work::validate_note_body(body)?;
                let now = crate::store::now_ms();
                let id: i64 = sqlx::query_scalar(crate::store::sql::work::INSERT_NOTE)
                    .bind(contact.0)
                    .bind(call.map(|c| c.0))
                    .bind(author.map(|a| a.0))
                    .bind(body.as_str())
                    .bind(now)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(crate::Note {
                    id: crate::NoteId(id),
                    contact,
                    call,
                    author,
                    body,
                    created_at_ms: now,
                })
            }

            #[tracing::instrument(level = "debug", skip_all, fields(contact = %contact))]
            async fn notes(&self, contact: crate::ContactId) -> crate::StoreResult<Vec<crate::Note>> {
                sqlx::query(crate::store::sql::work::NOTES_OF_CONTACT)
                    .bind(contact.0)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(crate::store::rows::note)
                    .collect()
            }

            #[tracing::instrument(level = "debug", skip_all, fields(note = %id))]
            async fn delete_note(&self, id: crate::NoteId) -> crate::StoreResult<()> {
                let done = sqlx::query(crate::store::sql::work::DELETE_NOTE)
                    .bind(id.0)
                    .execute(&self.pool)
                    .await?;
                crate::store::sql::one_row(done.rows_affected())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(kind = task.kind.as_str()))]
            async fn create_task(&self, task: &crate::NewTask) -> crate::StoreResult<crate::Task> {
                let title = task.validated_title()?;
                let now = crate::store::now_ms();
                let id: i64 = sqlx::query_scalar(crate::store::sql::work::INSERT_TASK)
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
                self.get_task(crate::TaskId(id)).await
            }

            #[tracing::instrument(level = "debug", skip_all, fields(task = %id))]
            async fn get_task(&self, id: crate::TaskId) -> crate::StoreResult<crate::Task> {
                let row = sqlx::query(crate::store::sql::work::TASK_BY_ID)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(crate::StoreError::NotFound)?;
                crate::store::rows::task(&row)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(task = %id, status = status.as_str()))]
            async fn set_task_status(
                &self,
                id: crate::TaskId,
                status: crate::TaskStatus,
            ) -> crate::StoreResult<crate::Task> {
                let closed = (status != crate::TaskStatus::Open).then(crate::store::now_ms);
                let done = sqlx::query(crate::store::sql::work::SET_TASK_STATUS)
                    .bind(id.0)
                    .bind(status.as_str())
                    .bind(closed)
                    .execute(&self.pool)
                    .await?;
                crate::store::sql::one_row(done.rows_affected())?;
                let task = self.get_task(id).await?;
                self.directory.forget(task.contact, &[]);
                Ok(task)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(contact = %contact, open_only = open_only))]
            async fn tasks_of_contact(
                &self,
                contact: crate::ContactId,
                open_only: bool,
            ) -> crate::StoreResult<Vec<crate::Task>> {
                sqlx::query(crate::store::sql::work::TASKS_OF_CONTACT)
                    .bind(contact.0)
                    .bind(open_only)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(crate::store::rows::task)
                    .collect()
            }

            #[tracing::instrument(level = "debug", skip_all, fields(user = %user, open_only = open_only))]
            async fn tasks_of_assignee(
                &self,
                user: crate::UserId,
                open_only: bool,
            ) -> crate::StoreResult<Vec<crate::Task>> {
                sqlx::query(crate::store::sql::work::TASKS_OF_ASSIGNEE)
                    .bind(user.0)
                    .bind(open_only)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(crate::store::rows::task)
                    .collect()
            }
        }
    };
}

pub(crate) use impl_work_store;
