//! The metrics job: computes the per-call figures (service-level flag, first contact, FCR
//! status) and stores those that changed. At start it goes over the whole call log once
//! (calls imported with `tamas replay`, or written while Tamas was stopped, get theirs),
//! then on the minute over the calls of the last two FCR windows: a first contact stays
//! `pending` until its window has passed, then settles; a wrap-up marked unresolved or a
//! repeat call changes it on the next run.
//!
//! A minute's run happens only when something can have changed a figure: a call was
//! written, a wrap-up or a contact was set by hand ([`Triggers`]), or a pending first
//! contact's window has ended since. An idle centre's call log is not read at all.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use crm_core::metrics::per_call::same_figures;
use crm_core::metrics::{FcrStatus, MetricsSettings, call_metrics, classify_fcr};
use crm_core::{CallFilter, Store, StoreResult};

use crate::lifecycle::Stage;

/// How often the job runs.
const EVERY: Duration = Duration::from_secs(60);

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settled {
    /// Calls whose figures changed.
    pub changed: usize,
    /// When the first of the first contacts still pending settles (its window ends), if
    /// any is.
    pub next_due_ms: Option<i64>,
}

impl Settled {
    fn add(self, other: Settled) -> Settled {
        Settled {
            changed: self.changed + other.changed,
            next_due_ms: match (self.next_due_ms, other.next_due_ms) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }
}

/// Computes and stores the figures of the calls started in the last two windows.
pub async fn settle(
    store: &dyn Store,
    settings: &MetricsSettings,
    now_ms: i64,
) -> StoreResult<Settled> {
    let window = settings.fcr_window_ms.max(1);
    settle_slice(
        store,
        settings,
        now_ms.saturating_sub(window.saturating_mul(2)),
        now_ms.saturating_add(1),
        now_ms,
    )
    .await
}

/// [`settle`] over the whole call log, a window at a time from the newest call back to
/// the oldest.
pub async fn settle_all(
    store: &dyn Store,
    settings: &MetricsSettings,
    now_ms: i64,
) -> StoreResult<Settled> {
    let window = settings.fcr_window_ms.max(1);
    let mut changed = Settled::default();
    let mut end = now_ms.saturating_add(1);
    loop {
        let start = end.saturating_sub(window);
        changed = changed.add(settle_slice(store, settings, start, end, now_ms).await?);
        let older = store
            .list_calls(&CallFilter {
                to_ms: Some(start),
                limit: 1,
                ..CallFilter::default()
            })
            .await?;
        if older.is_empty() || start == i64::MIN {
            return Ok(changed);
        }
        end = start;
    }
}

/// The figures of the calls started in `[from_ms, to_ms)`, classified with one window
/// of history on each side.
async fn settle_slice(
    store: &dyn Store,
    settings: &MetricsSettings,
    from_ms: i64,
    to_ms: i64,
    now_ms: i64,
) -> StoreResult<Settled> {
    let window = settings.fcr_window_ms;
    let history = store
        .call_facts(from_ms.saturating_sub(window), to_ms.saturating_add(window))
        .await?;
    let statuses = classify_fcr(&history, now_ms, settings);
    let mut settled = Settled::default();
    for call in history
        .iter()
        .filter(|c| (from_ms..to_ms).contains(&c.started_at_ms))
    {
        let status = statuses.get(&call.id).copied();
        if status == Some(FcrStatus::Pending) {
            let due = call.started_at_ms.saturating_add(window);
            settled.next_due_ms = Some(settled.next_due_ms.map_or(due, |d| d.min(due)));
        }
        let figures = call_metrics(call, status, settings, now_ms);
        if call.metrics.computed_at_ms.is_none() || !same_figures(&call.metrics, &figures) {
            store.set_call_metrics(call.id, &figures).await?;
            settled.changed += 1;
        }
    }
    Ok(settled)
}

/// What tells the job that a figure may have changed.
pub struct Triggers {
    /// Calls written to the call log (none without a PBX).
    pub written: Option<broadcast::Receiver<crate::bridge::call_log::WrittenCall>>,
    /// Calls whose wrap-up or contact was set by hand (web's `AppState::calls_edited`).
    pub edited: Option<broadcast::Receiver<crm_core::CallId>>,
}

impl Triggers {
    /// Waits for the next trigger; never once every source is gone.
    async fn next(&mut self) {
        tokio::select! {
            () = changed(&mut self.written) => {}
            () = changed(&mut self.edited) => {}
        }
    }
}

/// Resolves when `receiver` has news (or lagged: there was some); never once it closed.
async fn changed<T: Clone>(receiver: &mut Option<broadcast::Receiver<T>>) {
    let Some(open) = receiver else {
        return std::future::pending().await;
    };
    if let Err(broadcast::error::RecvError::Closed) = open.recv().await {
        *receiver = None;
        std::future::pending::<()>().await;
    }
}

/// Runs [`settle_all`] once, then [`settle`] on the minute when `triggers` said something
/// changed or a pending first contact's window has ended, as a task of `stage`; a failed
/// run is logged and tried again on the next minute. When the stage drains the task ends
/// (a run in progress finishes, unless the shutdown deadline passes: every run can be
/// redone).
pub fn start(
    store: Arc<dyn Store>,
    settings: MetricsSettings,
    mut triggers: Triggers,
    stage: &Stage,
) {
    let stage = stage.clone();
    stage.clone().spawn(async move {
        let mut every = tokio::time::interval(EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut whole_log_done = false;
        // Something may have changed since the last run (at first: anything).
        let mut dirty = true;
        let mut next_due_ms: Option<i64> = None;
        loop {
            tokio::select! {
                () = stage.draining() => return,
                _ = every.tick() => {}
                () = triggers.next() => {
                    dirty = true;
                    continue;
                }
            }
            let now_ms = web::clock::now_ms();
            if !dirty && next_due_ms.is_none_or(|due| due > now_ms) {
                continue;
            }
            let run = async {
                if whole_log_done {
                    settle(store.as_ref(), &settings, now_ms).await
                } else {
                    settle_all(store.as_ref(), &settings, now_ms).await
                }
            };
            let run = tokio::select! {
                () = stage.abandoning() => return,
                run = run => run,
            };
            match run {
                Ok(settled) => {
                    whole_log_done = true;
                    dirty = false;
                    next_due_ms = settled.next_due_ms;
                    if settled.changed > 0 {
                        tracing::debug!(changed = settled.changed, "per-call figures updated");
                    }
                }
                Err(err) => tracing::warn!(error = %err, "cannot update the per-call figures yet"),
            }
        }
    });
}
