//! The recordings' background jobs, started by `serve` and the demo: the spool-folder
//! watcher ([`spool`]) and the daily retention ([`retention`]). Both go through
//! [`web::recording_desk::RecordingDesk`], the same path as an upload.

pub mod retention;
pub mod spool;

use std::sync::Arc;

use crm_core::Store;
use web::recording_desk::RecordingDesk;

use crate::lifecycle::Stage;
use crate::settings::RecordingsSettings;

/// The desk for `settings`, recording calls of the PBX named `pbx`.
pub fn desk(settings: &RecordingsSettings, pbx: &str) -> RecordingDesk {
    RecordingDesk {
        files: recordings::RecordingStore::new(&settings.data_dir),
        settings: recordings::IngestSettings::default(),
        pbx: pbx.to_owned(),
    }
}

/// Starts the spool watcher (when folders are configured) and the retention job (when
/// `retain_days` is set) as tasks of `stage`; they run until it drains.
pub fn start(
    settings: &RecordingsSettings,
    store: &Arc<dyn Store>,
    desk: &Arc<RecordingDesk>,
    stage: &Stage,
) {
    if !settings.spool_dirs.is_empty() {
        let watcher = spool::SpoolWatcher::new(settings, Arc::clone(store), Arc::clone(desk));
        stage.spawn(watcher.run(stage.clone()));
    }
    if settings.retain_days > 0 {
        stage.spawn(retention::run_daily(
            settings.retain_days,
            Arc::clone(store),
            Arc::clone(desk),
            stage.clone(),
        ));
    }
}
