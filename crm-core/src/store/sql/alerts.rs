//! Alerts and the leads the lead rules look at: SQL and the
//! [`AlertStore`](crate::AlertStore) implementation.

use std::collections::HashMap;

use sqlx::{ColumnIndex, Decode, Encode, Executor, Type};

use super::one_row;
use crate::store::rows::AlertRow;
use crate::store::{AlertStore, Backend, RowsAffected as _, SqlStore, now_ms};
use crate::{
    Alert, AlertFilter, AlertId, ContactId, LeadActivity, NewAlert, StoreError, StoreResult, UserId,
};

/// The columns [`AlertRow`] reads.
macro_rules! alert_columns {
    () => {
        "id, kind, dedupe_key, queue, contact_id, call_id, task_id, detail, state, \
         acknowledged_by, acknowledged_at_ms, resolved_by, created_at_ms, updated_at_ms, \
         resolved_at_ms"
    };
}

/// The live alert with a key (`$1`).
const LIVE_ALERT_BY_KEY: &str = concat!(
    "SELECT ",
    alert_columns!(),
    " FROM alerts WHERE dedupe_key = $1 AND state <> 'resolved'"
);
/// The latest alert with a key (`$1`), in any state.
const LATEST_ALERT_BY_KEY: &str = concat!(
    "SELECT ",
    alert_columns!(),
    " FROM alerts WHERE dedupe_key = $1 ORDER BY id DESC LIMIT 1"
);
/// Nothing when a live alert with the key exists (the partial unique index).
const INSERT_ALERT: &str = "INSERT INTO alerts (kind, dedupe_key, queue, \
    contact_id, call_id, task_id, detail, state, created_at_ms, updated_at_ms) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $8) \
    ON CONFLICT (dedupe_key) WHERE state <> 'resolved' DO NOTHING RETURNING id";
const ALERT_BY_ID: &str = concat!("SELECT ", alert_columns!(), " FROM alerts WHERE id = $1");
/// `$1`: only live ones; `$2`: the kind or NULL for any; `$3`: the limit.
const LIST_ALERTS: &str = concat!(
    "SELECT ",
    alert_columns!(),
    " FROM alerts WHERE (state <> 'resolved' OR NOT $1) AND (kind = $2 OR $2 = '') \
     ORDER BY created_at_ms DESC, id DESC LIMIT $3"
);
const ACKNOWLEDGE_ALERT: &str = "UPDATE alerts SET state = 'acknowledged', \
    acknowledged_by = $2, acknowledged_at_ms = $3, updated_at_ms = $3 \
    WHERE id = $1 AND state = 'open'";
const RESOLVE_ALERT: &str = "UPDATE alerts SET state = 'resolved', \
    resolved_by = $2, resolved_at_ms = $3, updated_at_ms = $3 \
    WHERE id = $1 AND state <> 'resolved'";
const UPDATE_ALERT_DETAIL: &str = "UPDATE alerts SET detail = $2, updated_at_ms = $3 WHERE id = $1";
/// Leads created at or after `$1`, oldest first, at most `$2`.
const LEADS_SINCE: &str = "SELECT id, name, created_at_ms FROM contacts \
    WHERE stage = 'lead' AND created_at_ms >= $1 ORDER BY created_at_ms, id LIMIT $2";
/// The calls of the leads created at or after `$1`.
const CALLS_OF_LEADS_SINCE: &str = "SELECT contact_id, started_at_ms FROM calls \
    WHERE contact_id IN (SELECT id FROM contacts WHERE stage = 'lead' AND created_at_ms >= $1) \
    ORDER BY started_at_ms";

/// A lead, from [`LEADS_SINCE`].
#[derive(sqlx::FromRow)]
struct LeadRow {
    id: i64,
    name: String,
    created_at_ms: i64,
}

/// A call of a lead, from [`CALLS_OF_LEADS_SINCE`].
#[derive(sqlx::FromRow)]
struct LeadCallRow {
    contact_id: i64,
    started_at_ms: i64,
}

#[async_trait::async_trait]
impl<DB> AlertStore for SqlStore<DB>
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
    #[tracing::instrument(level = "debug", skip_all, fields(key = %alert.dedupe_key))]
    async fn raise_alert(&self, alert: &NewAlert) -> StoreResult<(Alert, bool)> {
        let existing = if alert.once {
            LATEST_ALERT_BY_KEY
        } else {
            LIVE_ALERT_BY_KEY
        };
        if let Some(row) = sqlx::query_as::<_, AlertRow>(existing)
            .bind(alert.dedupe_key.as_str())
            .fetch_optional(&self.pool)
            .await?
        {
            return Ok((row.into_alert()?, false));
        }
        let id: Option<i64> = sqlx::query_scalar(INSERT_ALERT)
            .bind(alert.kind.as_str())
            .bind(alert.dedupe_key.as_str())
            .bind(alert.queue.as_deref())
            .bind(alert.contact.map(|c| c.0))
            .bind(alert.call.map(|c| c.0))
            .bind(alert.task.map(|t| t.0))
            .bind(alert.detail.to_string())
            .bind(now_ms())
            .fetch_optional(&self.pool)
            .await?;
        match id {
            Some(id) => Ok((self.get_alert(AlertId(id)).await?, true)),
            // Raised by someone else in between: theirs is the live one.
            None => {
                let row = sqlx::query_as::<_, AlertRow>(LIVE_ALERT_BY_KEY)
                    .bind(alert.dedupe_key.as_str())
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or_else(|| {
                        StoreError::Conflict("the alert was raised and resolved at once".into())
                    })?;
                Ok((row.into_alert()?, false))
            }
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(alert = %id))]
    async fn get_alert(&self, id: AlertId) -> StoreResult<Alert> {
        sqlx::query_as::<_, AlertRow>(ALERT_BY_ID)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?
            .into_alert()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(live_only = filter.live_only))]
    async fn list_alerts(&self, filter: &AlertFilter) -> StoreResult<Vec<Alert>> {
        sqlx::query_as::<_, AlertRow>(LIST_ALERTS)
            .bind(filter.live_only)
            .bind(filter.kind.map_or("", |k| k.as_str()))
            .bind(i64::from(filter.limit.max(1)))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(AlertRow::into_alert)
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(alert = %id, user = %by))]
    async fn acknowledge_alert(&self, id: AlertId, by: UserId) -> StoreResult<Alert> {
        sqlx::query(ACKNOWLEDGE_ALERT)
            .bind(id.0)
            .bind(by.0)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        self.get_alert(id).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(alert = %id))]
    async fn resolve_alert(&self, id: AlertId, by: Option<UserId>) -> StoreResult<Alert> {
        sqlx::query(RESOLVE_ALERT)
            .bind(id.0)
            .bind(by.map(|u| u.0))
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        self.get_alert(id).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(alert = %id))]
    async fn update_alert_detail(
        &self,
        id: AlertId,
        detail: &serde_json::Value,
    ) -> StoreResult<Alert> {
        let done = sqlx::query(UPDATE_ALERT_DETAIL)
            .bind(id.0)
            .bind(detail.to_string())
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        one_row(done.rows_affected())?;
        self.get_alert(id).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn leads_since(
        &self,
        created_since_ms: i64,
        limit: u32,
    ) -> StoreResult<Vec<LeadActivity>> {
        let rows: Vec<LeadRow> = sqlx::query_as(LEADS_SINCE)
            .bind(created_since_ms)
            .bind(i64::from(limit.max(1)))
            .fetch_all(&self.pool)
            .await?;
        let mut index = HashMap::new();
        let mut leads = Vec::with_capacity(rows.len());
        for row in rows {
            index.insert(row.id, leads.len());
            leads.push(LeadActivity {
                contact: ContactId(row.id),
                name: row.name,
                created_at_ms: row.created_at_ms,
                calls_started_at_ms: Vec::new(),
            });
        }
        let calls: Vec<LeadCallRow> = sqlx::query_as(CALLS_OF_LEADS_SINCE)
            .bind(created_since_ms)
            .fetch_all(&self.pool)
            .await?;
        for call in calls {
            if let Some(&i) = index.get(&call.contact_id)
                && let Some(lead) = leads.get_mut(i)
            {
                lead.calls_started_at_ms.push(call.started_at_ms);
            }
        }
        Ok(leads)
    }
}
