//! Quarantine retention: files refused into `quarantine/` (with their `.reason.txt`) are
//! deleted once older than `recordings.quarantine_retention_days`, by the daily retention
//! run ([`super::retention::run_daily`]); each deletion is logged and leaves an audit
//! entry, like the deletion of a recording.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::recording_desk::RecordingDesk;
use anyhow::Context as _;
use crm_core::{AuditEntry, Store};

/// Deletes the quarantined files last written more than `retention_days` before `now`;
/// returns how many.
pub async fn run_once(
    store: &Arc<dyn Store>,
    desk: &RecordingDesk,
    now: SystemTime,
    retention_days: u32,
) -> anyhow::Result<u64> {
    let cutoff = now
        .checked_sub(Duration::from_secs(
            u64::from(retention_days) * 24 * 60 * 60,
        ))
        .unwrap_or(UNIX_EPOCH);
    let files = desk.files.clone();
    let purged = tokio::task::spawn_blocking(move || files.purge_quarantine(cutoff))
        .await
        .context("the quarantine retention task failed")?
        .context("cannot clear the quarantine")?;
    let mut deleted = 0;
    for file in purged {
        let name = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let modified_at_ms = file
            .modified
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        tracing::info!(file = %name, size = file.size, retention_days, "quarantined recording deleted");
        store
            .record_audit(&AuditEntry {
                at_ms: crate::clock::now_ms(),
                actor: None,
                action: "recording.quarantine_delete".into(),
                subject: format!("quarantine:{name}"),
                detail: serde_json::json!({
                    "reason": "quarantine_retention",
                    "retention_days": retention_days,
                    "size": file.size,
                    "modified_at_ms": modified_at_ms,
                    "quarantine_reason": file.reason.trim(),
                }),
            })
            .await
            .context("cannot audit a quarantine deletion")?;
        deleted += 1;
    }
    Ok(deleted)
}
