//! Alerts and the leads the lead rules look at: SQL and the
//! [`AlertStore`](crate::AlertStore) implementation.

/// The columns [`rows::alert`](crate::store::rows::alert) reads.
macro_rules! alert_columns {
    () => {
        "id, kind, dedupe_key, queue, contact_id, call_id, task_id, detail, state, \
         acknowledged_by, acknowledged_at_ms, resolved_by, created_at_ms, updated_at_ms, \
         resolved_at_ms"
    };
}

/// The live alert with a key (`$1`).
pub(crate) const LIVE_ALERT_BY_KEY: &str = concat!(
    "SELECT ",
    alert_columns!(),
    " FROM alerts WHERE dedupe_key = $1 AND state <> 'resolved'"
);
/// The latest alert with a key (`$1`), in any state.
pub(crate) const LATEST_ALERT_BY_KEY: &str = concat!(
    "SELECT ",
    alert_columns!(),
    " FROM alerts WHERE dedupe_key = $1 ORDER BY id DESC LIMIT 1"
);
/// Nothing when a live alert with the key exists (the partial unique index).
pub(crate) const INSERT_ALERT: &str = "INSERT INTO alerts (kind, dedupe_key, queue, \
    contact_id, call_id, task_id, detail, state, created_at_ms, updated_at_ms) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $8) \
    ON CONFLICT (dedupe_key) WHERE state <> 'resolved' DO NOTHING RETURNING id";
pub(crate) const ALERT_BY_ID: &str =
    concat!("SELECT ", alert_columns!(), " FROM alerts WHERE id = $1");
/// `$1`: only live ones; `$2`: the kind or NULL for any; `$3`: the limit.
pub(crate) const LIST_ALERTS: &str = concat!(
    "SELECT ",
    alert_columns!(),
    " FROM alerts WHERE (state <> 'resolved' OR NOT $1) AND (kind = $2 OR $2 = '') \
     ORDER BY created_at_ms DESC, id DESC LIMIT $3"
);
pub(crate) const ACKNOWLEDGE_ALERT: &str = "UPDATE alerts SET state = 'acknowledged', \
    acknowledged_by = $2, acknowledged_at_ms = $3, updated_at_ms = $3 \
    WHERE id = $1 AND state = 'open'";
pub(crate) const RESOLVE_ALERT: &str = "UPDATE alerts SET state = 'resolved', \
    resolved_by = $2, resolved_at_ms = $3, updated_at_ms = $3 \
    WHERE id = $1 AND state <> 'resolved'";
pub(crate) const UPDATE_ALERT_DETAIL: &str =
    "UPDATE alerts SET detail = $2, updated_at_ms = $3 WHERE id = $1";
/// Leads created at or after `$1`, oldest first, at most `$2`.
pub(crate) const LEADS_SINCE: &str = "SELECT id, name, created_at_ms FROM contacts \
    WHERE stage = 'lead' AND created_at_ms >= $1 ORDER BY created_at_ms, id LIMIT $2";
/// The calls of the leads created at or after `$1`.
pub(crate) const CALLS_OF_LEADS_SINCE: &str = "SELECT contact_id, started_at_ms FROM calls \
    WHERE contact_id IN (SELECT id FROM contacts WHERE stage = 'lead' AND created_at_ms >= $1) \
    ORDER BY started_at_ms";

/// Implements [`AlertStore`](crate::AlertStore) for a backend.
macro_rules! impl_alert_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::store::AlertStore for $store {
            #[tracing::instrument(level = "debug", skip_all, fields(key = %alert.dedupe_key))]
            async fn raise_alert(
                &self,
                alert: &crate::NewAlert,
            ) -> crate::StoreResult<(crate::Alert, bool)> {
                use crate::store::sql::alerts as sql;
                let existing = if alert.once {
                    sql::LATEST_ALERT_BY_KEY
                } else {
                    sql::LIVE_ALERT_BY_KEY
                };
                if let Some(row) = sqlx::query(existing)
                    .bind(alert.dedupe_key.as_str())
                    .fetch_optional(&self.pool)
                    .await?
                {
                    return Ok((crate::store::rows::alert(&row)?, false));
                }
                let id: Option<i64> = sqlx::query_scalar(sql::INSERT_ALERT)
                    .bind(alert.kind.as_str())
                    .bind(alert.dedupe_key.as_str())
                    .bind(alert.queue.as_deref())
                    .bind(alert.contact.map(|c| c.0))
                    .bind(alert.call.map(|c| c.0))
                    .bind(alert.task.map(|t| t.0))
                    .bind(alert.detail.to_string())
                    .bind(crate::store::now_ms())
                    .fetch_optional(&self.pool)
                    .await?;
                match id {
                    Some(id) => Ok((self.get_alert(crate::AlertId(id)).await?, true)),
                    // Raised by someone else in between: theirs is the live one.
                    None => {
                        let row = sqlx::query(sql::LIVE_ALERT_BY_KEY)
                            .bind(alert.dedupe_key.as_str())
                            .fetch_optional(&self.pool)
                            .await?
                            .ok_or_else(|| {
                                crate::StoreError::Conflict(
                                    "the alert was raised and resolved at once".into(),
                                )
                            })?;
                        Ok((crate::store::rows::alert(&row)?, false))
                    }
                }
            }

            #[tracing::instrument(level = "debug", skip_all, fields(alert = %id))]
            async fn get_alert(&self, id: crate::AlertId) -> crate::StoreResult<crate::Alert> {
                let row = sqlx::query(crate::store::sql::alerts::ALERT_BY_ID)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(crate::StoreError::NotFound)?;
                crate::store::rows::alert(&row)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(live_only = filter.live_only))]
            async fn list_alerts(
                &self,
                filter: &crate::AlertFilter,
            ) -> crate::StoreResult<Vec<crate::Alert>> {
                sqlx::query(crate::store::sql::alerts::LIST_ALERTS)
                    .bind(filter.live_only)
                    .bind(filter.kind.map_or("", |k| k.as_str()))
                    .bind(i64::from(filter.limit.max(1)))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(crate::store::rows::alert)
                    .collect()
            }

            #[tracing::instrument(level = "debug", skip_all, fields(alert = %id, user = %by))]
            async fn acknowledge_alert(
                &self,
                id: crate::AlertId,
                by: crate::UserId,
            ) -> crate::StoreResult<crate::Alert> {
                sqlx::query(crate::store::sql::alerts::ACKNOWLEDGE_ALERT)
                    .bind(id.0)
                    .bind(by.0)
                    .bind(crate::store::now_ms())
                    .execute(&self.pool)
                    .await?;
                self.get_alert(id).await
            }

            #[tracing::instrument(level = "debug", skip_all, fields(alert = %id))]
            async fn resolve_alert(
                &self,
                id: crate::AlertId,
                by: Option<crate::UserId>,
            ) -> crate::StoreResult<crate::Alert> {
                sqlx::query(crate::store::sql::alerts::RESOLVE_ALERT)
                    .bind(id.0)
                    .bind(by.map(|u| u.0))
                    .bind(crate::store::now_ms())
                    .execute(&self.pool)
                    .await?;
                self.get_alert(id).await
            }

            #[tracing::instrument(level = "debug", skip_all, fields(alert = %id))]
            async fn update_alert_detail(
                &self,
                id: crate::AlertId,
                detail: &serde_json::Value,
            ) -> crate::StoreResult<crate::Alert> {
                let done = sqlx::query(crate::store::sql::alerts::UPDATE_ALERT_DETAIL)
                    .bind(id.0)
                    .bind(detail.to_string())
                    .bind(crate::store::now_ms())
                    .execute(&self.pool)
                    .await?;
                crate::store::sql::one_row(done.rows_affected())?;
                self.get_alert(id).await
            }

            #[tracing::instrument(level = "debug", skip_all)]
            async fn leads_since(
                &self,
                created_since_ms: i64,
                limit: u32,
            ) -> crate::StoreResult<Vec<crate::LeadActivity>> {
                use crate::store::rows::Columns as _;
                use crate::store::sql::alerts as sql;
                let mut leads = Vec::new();
                let mut index = std::collections::HashMap::new();
                for row in sqlx::query(sql::LEADS_SINCE)
                    .bind(created_since_ms)
                    .bind(i64::from(limit.max(1)))
                    .fetch_all(&self.pool)
                    .await?
                {
                    let id = row.int("id")?;
                    index.insert(id, leads.len());
                    leads.push(crate::LeadActivity {
                        contact: crate::ContactId(id),
                        name: row.text("name")?,
                        created_at_ms: row.int("created_at_ms")?,
                        calls_started_at_ms: Vec::new(),
                    });
                }
                for row in sqlx::query(sql::CALLS_OF_LEADS_SINCE)
                    .bind(created_since_ms)
                    .fetch_all(&self.pool)
                    .await?
                {
                    if let Some(&i) = index.get(&row.int("contact_id")?)
                        && let Some(lead) = leads.get_mut(i)
                    {
                        lead.calls_started_at_ms.push(row.int("started_at_ms")?);
                    }
                }
                Ok(leads)
            }
        }
    };
}

pub(crate) use impl_alert_store;
