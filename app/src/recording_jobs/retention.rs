//! Retention: recordings older than `recordings.retain_days` are deleted once a day —
//! file and metadata — except those of calls marked "keep"; the same run applies the
//! quarantine's retention ([`super::quarantine`]). Each deletion leaves an audit
//! entry; a file shared by another recording (the same content) stays in the store.

use std::sync::Arc;
use std::time::Duration;

use crate::recording_desk::RecordingDesk;
use crm_core::{AuditEntry, Store, StoreResult};

use crate::lifecycle::Stage;

/// Recordings deleted per query.
const BATCH: u32 = 500;
/// A day.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// What the daily run deletes: recordings older than `retain_days`, quarantined files
/// older than `quarantine_days` (0: never, for either).
#[derive(Clone, Copy, Debug)]
pub struct Retention {
    /// `recordings.retain_days`.
    pub retain_days: u32,
    /// `recordings.quarantine_retention_days`.
    pub quarantine_days: u32,
}

/// Runs [`run_once`] (and the quarantine's retention) now and then every 24 hours, until
/// `stage` drains (a run in progress finishes unless the shutdown deadline passes; the
/// next run deletes what it left).
pub async fn run_daily(
    retention: Retention,
    store: Arc<dyn Store>,
    desk: Arc<RecordingDesk>,
    stage: Stage,
) {
    let mut every_day = tokio::time::interval(Duration::from_secs(24 * 60 * 60));
    // After a stall (a suspended host, a run longer than a day) one run, not a burst.
    every_day.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stage.draining() => return,
            _ = every_day.tick() => {}
        }
        let run = tokio::select! {
            () = stage.abandoning() => return,
            run = run_both(&store, &desk, retention) => run,
        };
        match run {
            Ok((deleted, quarantined)) => tracing::info!(
                deleted,
                quarantined,
                retain_days = retention.retain_days,
                quarantine_days = retention.quarantine_days,
                "recording retention done"
            ),
            Err(err) => {
                tracing::error!(error = %format!("{err:#}"), "recording retention failed; next run tomorrow")
            }
        }
    }
}

/// The recordings' retention then the quarantine's, each when set; how many of each
/// were deleted.
async fn run_both(
    store: &Arc<dyn Store>,
    desk: &RecordingDesk,
    retention: Retention,
) -> anyhow::Result<(u64, u64)> {
    let deleted = if retention.retain_days > 0 {
        run_once(store, desk, crate::clock::now_ms(), retention.retain_days).await?
    } else {
        0
    };
    let quarantined = if retention.quarantine_days > 0 {
        super::quarantine::run_once(
            store,
            desk,
            std::time::SystemTime::now(),
            retention.quarantine_days,
        )
        .await?
    } else {
        0
    };
    Ok((deleted, quarantined))
}

/// Deletes the recordings registered more than `retain_days` before `now_ms` (calls
/// marked "keep" excepted); returns how many.
pub async fn run_once(
    store: &Arc<dyn Store>,
    desk: &RecordingDesk,
    now_ms: i64,
    retain_days: u32,
) -> StoreResult<u64> {
    let cutoff = now_ms - i64::from(retain_days) * DAY_MS;
    let mut deleted = 0;
    loop {
        let old = store.recordings_older_than(cutoff, BATCH).await?;
        if old.is_empty() {
            return Ok(deleted);
        }
        for recording in old {
            let shared = store.delete_recording(recording.id).await?;
            let mut file_removed = false;
            if !shared
                && !recording.is_empty()
                && let Ok(hash) = recordings::ContentHash::parse(&recording.sha256)
            {
                let files = desk.files.clone();
                file_removed = match tokio::task::spawn_blocking(move || files.delete(&hash)).await
                {
                    Ok(Ok(removed)) => removed,
                    Ok(Err(err)) => {
                        tracing::warn!(error = %err, "cannot delete a recording's file");
                        false
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "file deletion task failed");
                        false
                    }
                };
            }
            store
                .record_audit(&AuditEntry {
                    at_ms: crate::clock::now_ms(),
                    actor: None,
                    action: "recording.delete".into(),
                    subject: format!("recording:{}", recording.id),
                    detail: serde_json::json!({
                        "reason": "retention",
                        "retain_days": retain_days,
                        "call": recording.call,
                        "linkedid": recording.linkedid,
                        "sha256": recording.sha256,
                        "file_removed": file_removed,
                        "created_at_ms": recording.created_at_ms,
                    }),
                })
                .await?;
            deleted += 1;
        }
    }
}
