//! The recordings' background jobs, started by `serve` and the demo: the spool-folder
//! watcher ([`spool`]) and the daily retention ([`retention`], [`quarantine`]). Both go through
//! [`crate::recording_desk::RecordingDesk`], the same path as an upload.

pub mod quarantine;
pub mod retention;
pub mod settings;
pub mod spool;

use std::sync::{Arc, RwLock};

use crate::recording_desk::RecordingDesk;
use crm_core::Store;
use cti::live::LiveCalls;

use crate::lifecycle::Stage;
use crate::recording_jobs::settings::RecordingsSettings;

/// The desk for `settings`, recording calls of the PBX named `pbx`.
pub fn desk(settings: &RecordingsSettings, pbx: &str) -> RecordingDesk {
    RecordingDesk {
        files: recordings::RecordingStore::new(&settings.data_dir),
        settings: recordings::IngestSettings::default(),
        pbx: pbx.to_owned(),
        max_upload_bytes: settings.max_upload_mb.saturating_mul(1024 * 1024),
    }
}

/// Starts the spool watcher (when folders are configured), which never takes the
/// recording of a call in progress in `live` (the PBX's live view, when there is a PBX),
/// and the retention job (when `retain_days` is set) as tasks of `stage`; they run until it
/// drains.
pub fn start(
    settings: &RecordingsSettings,
    store: &Arc<dyn Store>,
    desk: &Arc<RecordingDesk>,
    live: Option<Arc<RwLock<LiveCalls>>>,
    stage: &Stage,
) -> anyhow::Result<()> {
    if !settings.spool_dirs.is_empty() {
        let watcher =
            spool::SpoolWatcher::new(settings, Arc::clone(store), Arc::clone(desk), live)?;
        stage.spawn(watcher.run(stage.clone()));
    }
    if settings.retain_days > 0 || settings.quarantine_retention_days > 0 {
        stage.spawn(retention::run_daily(
            retention::Retention {
                retain_days: settings.retain_days,
                quarantine_days: settings.quarantine_retention_days,
            },
            Arc::clone(store),
            Arc::clone(desk),
            stage.clone(),
        ));
    }
    Ok(())
}
