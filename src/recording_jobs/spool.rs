//! The spool watcher: scans the MixMonitor folders every `scan_interval_s` and ingests each
//! recording once it is complete — its call has ended (the call log has it: the tracker
//! writes a call when it ends), or its files kept the same sizes for `stable_size_s`.
//!
//! A recording is taken once: its key (path and sizes of its files) is recorded in the
//! store before the next scan, so a restart never ingests it twice, even after retention
//! deleted it. Files are deleted from the PBX's folder only with `delete_from_spool`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crm_core::Store;
use recordings::{SpoolGroup, Uniqueid, is_complete, read_bounded, scan_spool};
use web::recording_desk::{IngestError, ReceivedFiles, RecordingDesk};

use crate::lifecycle::Stage;
use crate::settings::RecordingsSettings;

/// Watches the configured spool folders.
pub struct SpoolWatcher {
    dirs: Vec<PathBuf>,
    store: Arc<dyn Store>,
    desk: Arc<RecordingDesk>,
    interval: Duration,
    settle: Duration,
    delete_from_spool: bool,
    /// Each folder's groups at the previous scan (for the stable-size rule).
    previous: HashMap<(PathBuf, Uniqueid), SpoolGroup>,
}

impl SpoolWatcher {
    /// A watcher for `settings`' folders.
    pub fn new(
        settings: &RecordingsSettings,
        store: Arc<dyn Store>,
        desk: Arc<RecordingDesk>,
    ) -> Self {
        Self {
            dirs: settings.spool_dirs.clone(),
            store,
            desk,
            interval: Duration::from_secs(settings.scan_interval_s.max(1)),
            settle: Duration::from_secs(settings.stable_size_s),
            delete_from_spool: settings.delete_from_spool,
            previous: HashMap::new(),
        }
    }

    /// Scans until `stage` drains: the ingest in flight then finishes and no other starts
    /// (unless the shutdown deadline passes first: the ingest is abandoned, and the
    /// recording taken again at the next start, stored once).
    pub async fn run(mut self, stage: Stage) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stage.draining() => return,
                _ = ticks.tick() => {}
            }
            self.scan(Some(&stage)).await;
        }
    }

    /// One pass over every folder.
    pub async fn scan_once(&mut self) {
        self.scan(None).await;
    }

    /// One pass, stopping early when `stage` drains.
    async fn scan(&mut self, stage: Option<&Stage>) {
        for dir in self.dirs.clone() {
            let scanned = {
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || scan_spool(&dir)).await
            };
            let scan = match scanned {
                Ok(Ok(scan)) => scan,
                Ok(Err(err)) => {
                    tracing::warn!(dir = %dir.display(), error = %err, "cannot scan the spool folder");
                    continue;
                }
                Err(err) => {
                    tracing::error!(error = %err, "spool scan task failed");
                    continue;
                }
            };
            let mut seen = HashMap::new();
            for group in scan.groups {
                if stage.is_some_and(Stage::is_draining) {
                    return;
                }
                let key = (dir.clone(), group.uniqueid.clone());
                let previous = self.previous.get(&key);
                let considered = match stage {
                    Some(stage) => tokio::select! {
                        biased;
                        () = stage.abandoning() => {
                            stage.gave_up(1);
                            tracing::error!(uniqueid = %group.uniqueid, "shutdown deadline passed: spool recording ingest abandoned (taken again at the next start)");
                            return;
                        }
                        considered = self.consider(&group, previous) => considered,
                    },
                    None => self.consider(&group, previous).await,
                };
                match considered {
                    Ok(true) => {
                        if let Some(stage) = stage {
                            stage.finished_one();
                        }
                    }
                    Ok(false) => {}
                    Err(err) => {
                        tracing::warn!(uniqueid = %group.uniqueid, error = %err, "spool recording not taken yet");
                    }
                }
                seen.insert(key, group);
            }
            self.previous.retain(|(d, _), _| d != &dir);
            self.previous.extend(seen);
        }
    }

    /// Ingests `group` if it is complete and was not taken before; true when it was taken
    /// now (stored, quarantined or refused).
    async fn consider(
        &self,
        group: &SpoolGroup,
        previous: Option<&SpoolGroup>,
    ) -> anyhow::Result<bool> {
        let Some(mixed) = &group.mixed else {
            return Ok(false); // legs alone: wait for the mixed file
        };
        let file_key = group
            .files()
            .map(|f| format!("{}:{}", f.path.display(), f.size))
            .collect::<Vec<_>>()
            .join("|");
        if self.store.spool_file_taken(&file_key).await? {
            return Ok(false);
        }
        let uniqueid = group.uniqueid.to_string();
        // The call log holds a call once the tracker saw it end.
        let call_ended = self
            .store
            .call_of_recording(&self.desk.pbx, &uniqueid)
            .await?
            .is_some();
        if !is_complete(group, previous, call_ended, SystemTime::now(), self.settle) {
            return Ok(false);
        }
        let max = self.desk.settings.limits.max_bytes;
        let read = |file: Option<&recordings::SpoolFile>| match file {
            Some(file) => {
                read_bounded(&file.path, max).map(|bytes| Some((file.name.file_name(), bytes)))
            }
            None => Ok(None),
        };
        let files = match (
            read(Some(mixed)),
            read(group.rx.as_ref()),
            read(group.tx.as_ref()),
        ) {
            (Ok(mixed), Ok(rx), Ok(tx)) => ReceivedFiles { mixed, rx, tx },
            (Err(err @ recordings::RecordingError::TooLarge { .. }), _, _)
            | (_, Err(err @ recordings::RecordingError::TooLarge { .. }), _)
            | (_, _, Err(err @ recordings::RecordingError::TooLarge { .. })) => {
                // Left where it is (never deleted) for an operator to look at.
                tracing::error!(%uniqueid, error = %err, "spool recording too large: left in the spool folder");
                self.store.take_spool_file(&file_key).await?;
                return Ok(true);
            }
            (Err(err), _, _) | (_, Err(err), _) | (_, _, Err(err)) => return Err(err.into()),
        };
        match self.desk.take(&self.store, files, None).await {
            Ok(recording) => {
                tracing::info!(%uniqueid, recording = %recording.id, "spool recording ingested");
            }
            Err(IngestError::Quarantined { reason }) => {
                tracing::warn!(%uniqueid, reason, "spool recording quarantined");
            }
            Err(IngestError::Invalid(reason)) => {
                tracing::warn!(%uniqueid, reason, "spool recording refused");
            }
            Err(err @ IngestError::Storage(_)) => return Err(err.into()),
        }
        self.store.take_spool_file(&file_key).await?;
        if self.delete_from_spool {
            for file in group.files() {
                if let Err(err) = tokio::fs::remove_file(&file.path).await {
                    tracing::warn!(path = %file.path.display(), error = %err, "cannot delete from the spool folder");
                }
            }
        }
        Ok(true)
    }
}
