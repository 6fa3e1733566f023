//! The metrics job: computes the per-call figures (service-level flag, first contact, FCR
//! status) and stores those that changed. At start it goes over the whole call log once
//! (calls imported with `tamas replay`, or written while Tamas was stopped, get theirs).
//! Then, on the minute, it recomputes only the customers whose figures can have changed:
//! those of the calls written or edited since ([`Triggers`]), of the calls whose figures
//! were never computed or were cleared by a change (a new version from the PBX, a wrap-up,
//! a contact linked), and of the first contacts whose window has just ended. Each run reads
//! the last two FCR windows' calls twice as facts, a row at a time, and keeps only those
//! customers' calls: its memory follows the calls that changed, not the length of the log.
//! A first contact stays `pending` until its window has passed, then settles; a wrap-up
//! marked unresolved or a repeat call changes it on the next run.
//!
//! A minute's run happens only when something can have changed a figure: a call was
//! written, a wrap-up or a contact was set by hand, or a pending first contact's window
//! has ended since. An idle centre's call log is not read at all.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use crm_core::metrics::per_call::same_figures;
use crm_core::metrics::{FcrStatus, MetricsSettings, call_metrics, classify_fcr};
use crm_core::{CallFacts, CallFilter, CallId, Customer, Store, StoreResult};

use crate::lifecycle::Stage;

/// How often the job runs.
const EVERY: Duration = Duration::from_secs(60);
/// Calls written or edited remembered between two runs, at most; beyond, the next run
/// recomputes every call of the two windows.
const MAX_TOUCHED: usize = 100_000;

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
            next_due_ms: earliest(self.next_due_ms, other.next_due_ms),
        }
    }
}

fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Which calls a run recomputes.
#[derive(Clone, Copy, Debug)]
pub enum Recompute<'a> {
    /// Every call's figures.
    Every,
    /// The customers of the calls in this set (written or edited since the last run), of
    /// the calls whose figures were never computed or were cleared, and of the first
    /// contacts whose window has ended.
    Changed(&'a HashSet<CallId>),
}

/// Computes and stores the figures of the calls started in the last two windows that
/// `recompute` names.
pub async fn settle(
    store: &dyn Store,
    settings: &MetricsSettings,
    now_ms: i64,
    recompute: Recompute<'_>,
) -> StoreResult<Settled> {
    let window = settings.fcr_window_ms.max(1);
    settle_slice(
        store,
        settings,
        now_ms.saturating_sub(window.saturating_mul(2)),
        now_ms.saturating_add(1),
        now_ms,
        recompute,
    )
    .await
}

/// [`settle`] of every call over the whole call log, a window at a time from the newest
/// call back to the oldest.
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
        let slice = settle_slice(store, settings, start, end, now_ms, Recompute::Every).await?;
        changed = changed.add(slice);
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

/// The figures of the calls started in `[from_ms, to_ms)` that `recompute` names,
/// classified with one window of history on each side.
async fn settle_slice(
    store: &dyn Store,
    settings: &MetricsSettings,
    from_ms: i64,
    to_ms: i64,
    now_ms: i64,
    recompute: Recompute<'_>,
) -> StoreResult<Settled> {
    let window = settings.fcr_window_ms;
    let mut settled = Settled::default();
    // Which customers and calls to recompute (`None`: all).
    let chosen = match recompute {
        Recompute::Every => None,
        Recompute::Changed(touched) => {
            let mut chosen = Chosen::default();
            store
                .fold_call_facts(from_ms, to_ms, &mut |call| {
                    chosen.consider(&call, touched, window, now_ms);
                })
                .await?;
            if chosen.calls.is_empty() {
                settled.next_due_ms = chosen.next_due_ms;
                return Ok(settled);
            }
            Some(chosen)
        }
    };
    let mut history: Vec<CallFacts> = Vec::new();
    store
        .fold_call_facts(
            from_ms.saturating_sub(window),
            to_ms.saturating_add(window),
            &mut |call| {
                if chosen.as_ref().is_none_or(|c| c.includes(&call)) {
                    history.push(call);
                }
            },
        )
        .await?;
    let statuses = classify_fcr(&history, now_ms, settings);
    if let Some(chosen) = &chosen {
        settled.next_due_ms = chosen.next_due_ms;
    }
    for call in history
        .iter()
        .filter(|c| (from_ms..to_ms).contains(&c.started_at_ms))
    {
        let status = statuses.get(&call.id).copied();
        if status == Some(FcrStatus::Pending) {
            let due = call.started_at_ms.saturating_add(window);
            settled.next_due_ms = earliest(settled.next_due_ms, Some(due));
        }
        let figures = call_metrics(call, status, settings, now_ms);
        if call.metrics.computed_at_ms.is_none() || !same_figures(&call.metrics, &figures) {
            store.set_call_metrics(call.id, &figures).await?;
            settled.changed += 1;
        }
    }
    Ok(settled)
}

/// The customers and calls a [`Recompute::Changed`] run recomputes, gathered from the
/// calls of the slice.
#[derive(Debug, Default)]
struct Chosen {
    /// Customers whose calls are all recomputed.
    customers: HashSet<Customer>,
    /// Calls recomputed whatever their customer (also those without one).
    calls: HashSet<CallId>,
    /// When the first first contact left alone, still pending, settles.
    next_due_ms: Option<i64>,
}

impl Chosen {
    /// Chooses `call` (and its customer) when it was touched, never computed or cleared,
    /// or a first contact whose window has ended by `now_ms`.
    fn consider(&mut self, call: &CallFacts, touched: &HashSet<CallId>, window: i64, now_ms: i64) {
        let pending = call.metrics.fcr_status == Some(FcrStatus::Pending);
        let due = call.started_at_ms.saturating_add(window);
        if touched.contains(&call.id)
            || call.metrics.computed_at_ms.is_none()
            || (pending && due <= now_ms)
        {
            self.calls.insert(call.id);
            // Its customer, and its number's: a contact linked since moved it from one to
            // the other.
            self.customers.extend(call.customer());
            self.customers.extend(call.number_customer());
        } else if pending {
            self.next_due_ms = earliest(self.next_due_ms, Some(due));
        }
    }

    /// Whether `call` is recomputed, or is history a recomputed call is classified with.
    fn includes(&self, call: &CallFacts) -> bool {
        self.calls.contains(&call.id)
            || call
                .customer()
                .is_some_and(|customer| self.customers.contains(&customer))
    }
}

/// What tells the job that a figure may have changed.
pub struct Triggers {
    /// Calls written to the call log (none without a PBX).
    pub written: Option<broadcast::Receiver<crate::bridge::call_log::WrittenCall>>,
    /// Calls whose wrap-up or contact was set by hand (web's `AppState::calls_edited`).
    pub edited: Option<broadcast::Receiver<crm_core::CallId>>,
}

impl Triggers {
    /// Waits for the next call written or edited (`None`: some were missed); never once
    /// every source is gone.
    async fn next(&mut self) -> Option<CallId> {
        tokio::select! {
            change = changed(&mut self.written) => change.map(|(id, _)| id),
            change = changed(&mut self.edited) => change,
        }
    }
}

/// The next message of `receiver` (`None`: it lagged, some were missed); never once it
/// closed.
async fn changed<T: Clone>(receiver: &mut Option<broadcast::Receiver<T>>) -> Option<T> {
    let Some(open) = receiver else {
        return std::future::pending().await;
    };
    match open.recv().await {
        Ok(message) => Some(message),
        Err(broadcast::error::RecvError::Lagged(_)) => None,
        Err(broadcast::error::RecvError::Closed) => {
            *receiver = None;
            std::future::pending().await
        }
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
        // The calls written or edited since the last run; `None`: too many, or missed.
        let mut touched: Option<HashSet<CallId>> = Some(HashSet::new());
        let mut next_due_ms: Option<i64> = None;
        loop {
            tokio::select! {
                () = stage.draining() => return,
                _ = every.tick() => {}
                change = triggers.next() => {
                    dirty = true;
                    match (change, &mut touched) {
                        (Some(id), Some(ids)) if ids.len() < MAX_TOUCHED => {
                            ids.insert(id);
                        }
                        _ => touched = None,
                    }
                    continue;
                }
            }
            let now_ms = crate::clock::now_ms();
            if !dirty && next_due_ms.is_none_or(|due| due > now_ms) {
                continue;
            }
            // Changes that come during the run are for the next one.
            let this_run = touched.replace(HashSet::new());
            let run = async {
                match (&this_run, whole_log_done) {
                    (_, false) => settle_all(store.as_ref(), &settings, now_ms).await,
                    (Some(ids), true) => {
                        let recompute = Recompute::Changed(ids);
                        settle(store.as_ref(), &settings, now_ms, recompute).await
                    }
                    (None, true) => {
                        settle(store.as_ref(), &settings, now_ms, Recompute::Every).await
                    }
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
                Err(err) => {
                    // What this run was to recompute is not known any more: all of it.
                    touched = None;
                    tracing::warn!(error = %err, "cannot update the per-call figures yet");
                }
            }
        }
    });
}
