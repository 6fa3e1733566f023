//! The metrics job: computes the per-call figures (service-level flag, first contact, FCR
//! status) and stores those that changed. At start it goes over the whole call log once
//! (calls imported with `tamas replay`, or written while Tamas was stopped, get theirs),
//! then every minute over the calls of the last two FCR windows: a first contact stays
//! `pending` until its window has passed, then settles; a wrap-up marked unresolved or a
//! repeat call changes it on the next run.

use std::sync::Arc;
use std::time::Duration;

use crm_core::metrics::per_call::same_figures;
use crm_core::metrics::{MetricsSettings, call_metrics, classify_fcr};
use crm_core::{CallFilter, Store, StoreResult};

use crate::lifecycle::Stage;

/// How often the job runs.
const EVERY: Duration = Duration::from_secs(60);

/// Computes and stores the figures of the calls started in the last two windows; returns
/// how many calls changed.
pub async fn settle(
    store: &dyn Store,
    settings: &MetricsSettings,
    now_ms: i64,
) -> StoreResult<usize> {
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
/// the oldest; returns how many calls changed.
pub async fn settle_all(
    store: &dyn Store,
    settings: &MetricsSettings,
    now_ms: i64,
) -> StoreResult<usize> {
    let window = settings.fcr_window_ms.max(1);
    let mut changed = 0;
    let mut end = now_ms.saturating_add(1);
    loop {
        let start = end.saturating_sub(window);
        changed += settle_slice(store, settings, start, end, now_ms).await?;
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
) -> StoreResult<usize> {
    let window = settings.fcr_window_ms;
    let history = store
        .list_calls(&CallFilter {
            from_ms: Some(from_ms.saturating_sub(window)),
            to_ms: Some(to_ms.saturating_add(window)),
            limit: u32::MAX,
            ..CallFilter::default()
        })
        .await?;
    let statuses = classify_fcr(&history, now_ms, settings);
    let mut changed = 0;
    for call in history
        .iter()
        .filter(|c| (from_ms..to_ms).contains(&c.started_at_ms))
    {
        let figures = call_metrics(call, statuses.get(&call.id).copied(), settings, now_ms);
        if call.metrics.computed_at_ms.is_none() || !same_figures(&call.metrics, &figures) {
            store.set_call_metrics(call.id, &figures).await?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Runs [`settle_all`] once, then [`settle`] every minute, as a task of `stage`; a failed
/// run is logged and tried again on the next. When the stage drains the task ends (a run
/// in progress finishes, unless the shutdown deadline passes: every run can be redone).
pub fn start(store: Arc<dyn Store>, settings: MetricsSettings, stage: &Stage) {
    let stage = stage.clone();
    stage.clone().spawn(async move {
        let mut every = tokio::time::interval(EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut whole_log_done = false;
        loop {
            tokio::select! {
                () = stage.draining() => return,
                _ = every.tick() => {}
            }
            let now_ms = web::clock::now_ms();
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
                Ok(changed) => {
                    whole_log_done = true;
                    if changed > 0 {
                        tracing::debug!(changed, "per-call figures updated");
                    }
                }
                Err(err) => tracing::warn!(error = %err, "cannot update the per-call figures yet"),
            }
        }
    });
}
