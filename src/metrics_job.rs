//! The metrics job: every minute it computes the per-call figures (service-level flag,
//! first contact, FCR status) of the calls of the last two FCR windows and stores those
//! that changed. A first contact stays `pending` until its window has passed, then
//! settles; a wrap-up marked unresolved or a repeat call changes it on the next run.

use std::sync::Arc;
use std::time::Duration;

use crm_core::metrics::per_call::same_figures;
use crm_core::metrics::{MetricsSettings, call_metrics, classify_fcr};
use crm_core::{CallFilter, Store, StoreResult};

/// How often the job runs.
const EVERY: Duration = Duration::from_secs(60);

/// Computes and stores the figures of the calls started in the last two windows (read
/// with one more window of history before them); returns how many calls changed.
pub async fn settle(
    store: &dyn Store,
    settings: &MetricsSettings,
    now_ms: i64,
) -> StoreResult<usize> {
    let window = settings.fcr_window_ms;
    let history = store
        .list_calls(&CallFilter {
            from_ms: Some(now_ms.saturating_sub(window.saturating_mul(3))),
            limit: u32::MAX,
            ..CallFilter::default()
        })
        .await?;
    let statuses = classify_fcr(&history, now_ms, settings);
    let recent_from = now_ms.saturating_sub(window.saturating_mul(2));
    let mut changed = 0;
    for call in history.iter().filter(|c| c.started_at_ms >= recent_from) {
        let figures = call_metrics(call, statuses.get(&call.id).copied(), settings, now_ms);
        if call.metrics.computed_at_ms.is_none() || !same_figures(&call.metrics, &figures) {
            store.set_call_metrics(call.id, &figures).await?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Runs [`settle`] every minute in the background; a failed run is logged and retried on
/// the next.
pub fn start(store: Arc<dyn Store>, settings: MetricsSettings) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let now_ms = web::clock::now_ms();
            match settle(store.as_ref(), &settings, now_ms).await {
                Ok(0) => {}
                Ok(changed) => tracing::debug!(changed, "per-call figures updated"),
                Err(err) => tracing::warn!(error = %err, "cannot update the per-call figures yet"),
            }
        }
    });
}
