//! The alert engine: one task that feeds the rules from the calls the call log wrote and
//! a periodic check, writes callbacks and alerts to the store, and pushes every new or
//! changed alert to the supervisors (and a callback to its assignee) through the hub.
//!
//! Errors are logged and the work is retried at the next check: the rules are written so
//! that running them again changes nothing (callbacks are reused, alerts deduplicated).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crm_core::metrics::MetricsSettings;
use crm_core::{
    Alert, AlertFilter, AlertKind, AuditEntry, CallFacts, CallFilter, CallId, CallRow, NewAlert,
    NewCallback, Store, StoreResult, Task, TaskId, TaskStatus, UserId,
};
use cti::live::queues::QueueBoard;
use cti::tracker::{CallRecord, Direction, Disposition};
use serde_json::json;

use super::callbacks::{
    CallbackPlan, OpenCustomers, missed_abandons, needs_callback, plan_callback, reached,
    reassign_due, same_customer,
};
use super::{AlertRules, assignment, staffing};
use crate::bridge::agent_users::AgentUsers;

/// At most this many calls read per check.
pub(super) const MAX_CALLS: u32 = 1_000_000;
/// Abandons acted on are remembered this long (a catch-up looks back less far).
pub(super) const HANDLED_FOR_MS: i64 = 24 * 3_600_000;
/// A catch-up after lagging starts this long before the last event received.
pub(super) const CATCH_UP_SLACK_MS: i64 = 60_000;

/// What the engine works with.
pub struct AlertEngine {
    store: Arc<dyn Store>,
    hub: crate::hub::Hub,
    users: Arc<AgentUsers>,
    board: Arc<RwLock<QueueBoard>>,
    rules: AlertRules,
    metrics: MetricsSettings,
    /// Abandoned calls acted on (Linkedid → when), so a catch-up does not act twice.
    handled: std::sync::Mutex<HashMap<String, i64>>,
    /// Answered calls linked to a contact by a pick (web's `ContactPicks`).
    picks: Option<tokio::sync::mpsc::Receiver<CallId>>,
    /// Whether the engine hears of every call written (it runs beside a PBX link).
    follows_calls: bool,
    /// Calls heard of so far.
    calls_seen: std::sync::atomic::AtomicU64,
    /// The local day and `calls_seen` at the last service-level check: while both are the
    /// same the verdict cannot change, and today's calls are not read again.
    service_level_checked: std::sync::Mutex<Option<(i64, u64)>>,
}

impl AlertEngine {
    /// An engine over `store`, pushing through `hub`, staffing callbacks from `board`.
    pub fn new(
        store: Arc<dyn Store>,
        hub: crate::hub::Hub,
        users: Arc<AgentUsers>,
        board: Arc<RwLock<QueueBoard>>,
        rules: AlertRules,
        metrics: MetricsSettings,
    ) -> Self {
        AlertEngine {
            store,
            hub,
            users,
            board,
            rules,
            metrics,
            handled: std::sync::Mutex::default(),
            picks: None,
            follows_calls: false,
            calls_seen: std::sync::atomic::AtomicU64::new(0),
            service_level_checked: std::sync::Mutex::default(),
        }
    }

    /// Also closes callbacks when a pick links an answered call to its contact.
    #[must_use]
    pub fn with_contact_picks(mut self, picks: tokio::sync::mpsc::Receiver<CallId>) -> Self {
        self.picks = Some(picks);
        self
    }

    /// A pick linked the answered call `id` to a contact: the callbacks of the customer it
    /// reached (hers now) close at once, their alerts resolved, as an automatic close.
    pub async fn contact_picked(&self, id: CallId) {
        if let Err(err) = self.try_contact_picked(id).await {
            tracing::warn!(call = %id, error = %err, "closing callbacks after a contact pick failed");
        }
    }

    async fn try_contact_picked(&self, id: CallId) -> StoreResult<()> {
        let call = self.store.get_call(id).await?.facts();
        let answered =
            call.disposition == crm_core::Disposition::Answered && call.direction.with_customer();
        if !answered {
            return Ok(());
        }
        let reached: Vec<Task> = self
            .store
            .open_callbacks()
            .await?
            .into_iter()
            .filter(|task| same_customer(task, &call))
            .collect();
        if !reached.is_empty() {
            self.close_reached(&reached, std::slice::from_ref(&call))
                .await?;
        }
        Ok(())
    }

    /// A call ended and is in the log as `id`: an abandoned one creates (or reuses) a
    /// callback, an answered one may close the customer's callback.
    pub async fn call_ended(&self, id: CallId, record: &CallRecord) {
        self.calls_seen
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Err(err) = self.try_call_ended(id, record).await {
            tracing::warn!(linkedid = %record.linkedid, error = %err, "alert rules failed on a finished call");
        }
    }

    /// Acts on the abandoned calls in the call log since `since_ms` that no event brought
    /// (the engine lagged): each gets its callback unless the customer was reached since.
    pub async fn catch_up(&self, since_ms: i64) {
        if let Err(err) = self.try_catch_up(since_ms).await {
            tracing::warn!(error = %err, "catching up on missed abandons failed");
        }
    }

    async fn try_catch_up(&self, since_ms: i64) -> StoreResult<()> {
        let calls = self
            .store
            .list_calls(&CallFilter {
                from_ms: Some(since_ms),
                limit: MAX_CALLS,
                ..CallFilter::default()
            })
            .await?;
        let missed: Vec<CallRow> = {
            let handled = self.handled();
            missed_abandons(&calls, |linkedid| handled.contains_key(linkedid))
                .into_iter()
                .cloned()
                .collect()
        };
        for call in &missed {
            tracing::info!(linkedid = %call.linkedid, "abandon caught up from the call log");
            self.abandoned(call).await?;
        }
        Ok(())
    }

    /// The abandoned calls acted on, pruned of old ones.
    fn handled(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        let mut handled = self
            .handled
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let horizon = now_ms() - HANDLED_FOR_MS;
        handled.retain(|_, at| *at >= horizon);
        handled
    }

    /// An abandoned call: a callback for its customer, new or reused.
    async fn abandoned(&self, call: &CallRow) -> StoreResult<()> {
        let Some(customer) = needs_callback(call) else {
            return Ok(());
        };
        if self.handled().contains_key(&call.linkedid) {
            return Ok(());
        }
        let open = self.store.open_callback(&customer).await?;
        match plan_callback(open.as_ref()) {
            CallbackPlan::Reuse(task) => self.abandoned_again(task, call).await?,
            CallbackPlan::Create => self.create_callback(call).await?,
        }
        self.handled().insert(call.linkedid.clone(), now_ms());
        Ok(())
    }

    /// Runs the time-based rules once.
    pub async fn check(&self) {
        let now = now_ms();
        if let Err(err) = self.check_callbacks(now).await {
            tracing::warn!(error = %err, "callback check failed");
        }
        if let Err(err) = self.check_leads(now).await {
            tracing::warn!(error = %err, "lead check failed");
        }
        if let Err(err) = self.check_service_level(now).await {
            tracing::warn!(error = %err, "service-level check failed");
        }
    }

    async fn try_call_ended(&self, id: CallId, record: &CallRecord) -> StoreResult<()> {
        let abandoned = record.direction == Direction::Inbound
            && record.disposition == Disposition::Abandoned
            && record.queue.is_some();
        let answered = record.disposition == Disposition::Answered
            && matches!(record.direction, Direction::Inbound | Direction::Outbound);
        let open = if answered {
            self.store.open_callbacks().await?
        } else {
            Vec::new()
        };
        if !abandoned && open.is_empty() {
            // Nothing to create and nothing to close: no store work on the hot path.
            return Ok(());
        }
        // As the log has it, with its contact.
        let call = self.store.get_call(id).await?;
        self.abandoned(&call).await?;
        if answered {
            let call = call.facts();
            let candidates: Vec<Task> = open
                .into_iter()
                .filter(|task| same_customer(task, &call))
                .collect();
            if !candidates.is_empty() {
                self.close_reached(&candidates, std::slice::from_ref(&call))
                    .await?;
            }
        }
        Ok(())
    }

    async fn create_callback(&self, call: &CallRow) -> StoreResult<()> {
        let queue = call.queue.clone().unwrap_or_default();
        let open = self.store.open_callbacks().await?;
        let members = staffing::members(&self.board, &self.users, &queue, &open).await;
        let assignee = assignment::choose_assignee(&members);
        let number = call
            .customer_number_e164
            .clone()
            .or_else(|| call.customer_number_raw.clone())
            .unwrap_or_default();
        let shown = self
            .store
            .normalizer()
            .display(&self.store.normalizer().normalize(&number));
        let task = self
            .store
            .create_callback(&NewCallback {
                title: format!("Call back {shown}"),
                contact: call.contact,
                customer_number_raw: call.customer_number_raw.clone(),
                customer_number_e164: call.customer_number_e164.clone(),
                queue: call.queue.clone(),
                call: Some(call.id),
                assignee,
                due_at_ms: Some(now_ms() + self.rules.callback_reassign_ms),
            })
            .await?;
        tracing::info!(task = %task.id, queue = %queue, assignee = ?assignee, "callback created for an abandoned call");
        let (alert, _) = self
            .store
            .raise_alert(&NewAlert {
                kind: AlertKind::AbandonedCallback,
                dedupe_key: callback_key(task.id),
                queue: call.queue.clone(),
                contact: call.contact,
                call: Some(call.id),
                task: Some(task.id),
                detail: json!({ "number": number, "abandons": 1, "wait_ms": call.wait_ms }),
                once: false,
            })
            .await?;
        self.publish(&alert).await;
        Ok(())
    }

    /// The customer abandoned again while a callback was open: counted on its alert.
    async fn abandoned_again(&self, task: TaskId, call: &CallRow) -> StoreResult<()> {
        let Some(alert) = self
            .live_alert(AlertKind::AbandonedCallback, &callback_key(task))
            .await?
        else {
            return Ok(());
        };
        if alert.call == Some(call.id) {
            return Ok(());
        }
        let mut detail = alert.detail.clone();
        let abandons = detail.get("abandons").and_then(|a| a.as_u64()).unwrap_or(1) + 1;
        detail["abandons"] = json!(abandons);
        let alert = self.store.update_alert_detail(alert.id, &detail).await?;
        self.publish(&alert).await;
        Ok(())
    }

    /// Closes the callbacks of `open` whose customer was reached by one of `calls`;
    /// returns those still open.
    async fn close_reached(&self, open: &[Task], calls: &[CallFacts]) -> StoreResult<Vec<Task>> {
        let mut alerts = None;
        let mut still_open = Vec::new();
        for task in open {
            let since = self.abandoned_at(task).await?;
            let Some(call) = reached(task, since, calls) else {
                still_open.push(task.clone());
                continue;
            };
            self.store
                .set_task_status(task.id, TaskStatus::Done)
                .await?;
            self.audit(
                "callback.close",
                task.id,
                json!({ "reached_by_call": call.0 }),
            )
            .await?;
            tracing::info!(task = %task.id, call = %call, "customer reached: callback closed");
            if alerts.is_none() {
                alerts = Some(self.live_alerts(AlertKind::AbandonedCallback).await?);
            }
            if let Some(alert) = alerts.as_ref().and_then(|a| a.get(&callback_key(task.id))) {
                let alert = self.store.resolve_alert(alert.id, None).await?;
                self.publish(&alert).await;
            }
        }
        Ok(still_open)
    }

    /// The periodic callback check: closes the callbacks whose customer was reached,
    /// reassigns those not done in time, and resolves the alerts of callbacks closed by
    /// hand.
    async fn check_callbacks(&self, now: i64) -> StoreResult<()> {
        let open = self.store.open_callbacks().await?;
        let mut from = None;
        for task in &open {
            let at = self.abandoned_at(task).await?;
            from = Some(from.map_or(at, |f: i64| f.min(at)));
        }
        // Only the calls that may have reached a callback's customer are kept.
        let mut calls = Vec::new();
        if let Some(from) = from {
            let customers = OpenCustomers::of(&open);
            self.store
                .fold_call_facts(from, i64::MAX, &mut |call| {
                    if customers.may_reach(&call) {
                        calls.push(call);
                    }
                })
                .await?;
        }
        let still_open = self.close_reached(&open, &calls).await?;
        let alerts = self.live_alerts(AlertKind::AbandonedCallback).await?;
        for task in &still_open {
            self.maybe_reassign(task, now, alerts.get(&callback_key(task.id)))
                .await?;
        }
        // Callbacks done or cancelled by hand: their alerts are over too.
        for alert in alerts.values() {
            let task_open = alert
                .task
                .is_some_and(|t| still_open.iter().any(|o| o.id == t));
            if !task_open {
                let alert = self.store.resolve_alert(alert.id, None).await?;
                self.publish(&alert).await;
            }
        }
        Ok(())
    }

    async fn maybe_reassign(
        &self,
        task: &Task,
        now: i64,
        alert: Option<&Alert>,
    ) -> StoreResult<()> {
        let unassigned = task.assignee.is_none();
        if !unassigned && !reassign_due(task, now, self.rules.callback_reassign_ms) {
            return Ok(());
        }
        let queue = task.queue.clone().unwrap_or_default();
        let open = self.store.open_callbacks().await?;
        let members = staffing::members(&self.board, &self.users, &queue, &open).await;
        let Some(next) = assignment::choose_reassignee(&members, task.assignee) else {
            return Ok(());
        };
        self.store.assign_task(task.id, Some(next)).await?;
        self.audit(
            "callback.reassign",
            task.id,
            json!({ "from": task.assignee.map(|u| u.0), "to": next.0 }),
        )
        .await?;
        tracing::info!(task = %task.id, from = ?task.assignee, to = %next, "callback reassigned");
        if let Some(alert) = alert {
            let mut detail = alert.detail.clone();
            let reassigned = detail
                .get("reassigned")
                .and_then(|r| r.as_u64())
                .unwrap_or(0);
            if !unassigned {
                detail["reassigned"] = json!(reassigned + 1);
            }
            let alert = self.store.update_alert_detail(alert.id, &detail).await?;
            // The previous assignee hears of it too, so their list drops it.
            let previous: Vec<UserId> = task.assignee.into_iter().collect();
            crate::alert_feed::publish(&self.hub, self.store.as_ref(), &alert, &previous).await;
        }
        Ok(())
    }

    /// When the abandoned call behind a callback ended (its creation time when unknown).
    async fn abandoned_at(&self, task: &Task) -> StoreResult<i64> {
        let Some(call) = task.call else {
            return Ok(task.created_at_ms);
        };
        match self.store.get_call(call).await {
            Ok(call) => Ok(call.ended_at_ms.unwrap_or(call.started_at_ms)),
            Err(crm_core::StoreError::NotFound) => Ok(task.created_at_ms),
            Err(err) => Err(err),
        }
    }

    /// Raises an alert and pushes it when it is new.
    pub(super) async fn raise(&self, alert: NewAlert) -> StoreResult<()> {
        let (alert, new) = self.store.raise_alert(&alert).await?;
        if new {
            tracing::info!(alert = %alert.id, kind = alert.kind.as_str(), key = %alert.dedupe_key, "alert raised");
            self.publish(&alert).await;
        }
        Ok(())
    }

    /// The live alerts of a kind, by dedupe key.
    pub(super) async fn live_alerts(&self, kind: AlertKind) -> StoreResult<HashMap<String, Alert>> {
        Ok(self
            .store
            .list_alerts(&AlertFilter {
                live_only: true,
                kind: Some(kind),
                limit: 100_000,
            })
            .await?
            .into_iter()
            .map(|a| (a.dedupe_key.clone(), a))
            .collect())
    }

    async fn live_alert(&self, kind: AlertKind, key: &str) -> StoreResult<Option<Alert>> {
        Ok(self.live_alerts(kind).await?.remove(key))
    }

    async fn audit(
        &self,
        action: &str,
        task: TaskId,
        detail: serde_json::Value,
    ) -> StoreResult<()> {
        self.store
            .record_audit(&AuditEntry {
                at_ms: now_ms(),
                actor: None,
                action: action.to_owned(),
                subject: format!("task:{task}"),
                detail,
            })
            .await
    }

    pub(super) async fn publish(&self, alert: &Alert) {
        crate::alert_feed::publish(&self.hub, self.store.as_ref(), alert, &[]).await;
    }
}

/// The dedupe key of a callback's alert.
fn callback_key(task: TaskId) -> String {
    format!("abandoned_callback:task:{task}")
}

pub(super) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

mod conditions;
mod task;
#[cfg(test)]
mod tests;
