//! The spool watcher: scans the MixMonitor folders every `scan_interval_s` and takes each
//! recording exactly once, when [`recordings::is_ready`] says so from what Tamas knows of
//! its call:
//!
//! - a call in progress owns it (the live view: [`LiveCalls::is_recording`]): never taken —
//!   MixMonitor's option `b` leaves a 44-byte header while the caller waits in the queue,
//!   and audio follows only once the caller is bridged;
//! - its call has ended (the call log has it: the tracker writes a call when it ends):
//!   taken once its files did not change between two scans — a header-only file is then
//!   an empty recording;
//! - neither (a call Tamas never saw): taken once its files are unchanged for
//!   `stable_size_s` when they hold audio, `stable_empty_s` (much longer) when they hold
//!   only a header.
//!
//! A recording is taken once: its key ([`taken_key`]: the PBX and the Uniqueid, not the
//! files' sizes) is recorded in the store, so neither a restart nor a file that changes
//! afterwards makes a second recording, even after retention deleted the first. Files
//! taken by earlier versions, whose keys held the files' paths and sizes ([`legacy_key`]),
//! are not taken again as long as they are unchanged. Files are deleted from the PBX's
//! folder only with `delete_from_spool`.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use crate::recording_desk::{IngestError, ReceivedFiles, RecordingDesk};
use crm_core::Store;
use cti::live::LiveCalls;
use recordings::{
    CallState, SpoolGroup, SpoolTiming, Uniqueid, has_audio, is_ready, read_bounded, scan_spool,
};

use crate::lifecycle::Stage;
use crate::recording_jobs::settings::RecordingsSettings;

/// Watches the configured spool folders.
pub struct SpoolWatcher {
    dirs: Vec<PathBuf>,
    store: Arc<dyn Store>,
    desk: Arc<RecordingDesk>,
    /// Calls in progress (`None` without a PBX: then every call is ended or unknown).
    live: Option<Arc<RwLock<LiveCalls>>>,
    interval: Duration,
    timing: SpoolTiming,
    delete_from_spool: bool,
    /// Each folder's groups at the previous scan (the files must be the same twice).
    previous: HashMap<(PathBuf, Uniqueid), SpoolGroup>,
    /// Keys known to be taken, for the groups still in the folders (saves a query per
    /// group and scan), with the mixed file's size when this watcher took it.
    taken: HashMap<String, Option<u64>>,
}

impl SpoolWatcher {
    /// A watcher for `settings`' folders; `live` is the PBX's view of the calls in
    /// progress, when there is a PBX.
    pub fn new(
        settings: &RecordingsSettings,
        store: Arc<dyn Store>,
        desk: Arc<RecordingDesk>,
        live: Option<Arc<RwLock<LiveCalls>>>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            dirs: settings.spool_dirs.clone(),
            store,
            desk,
            live,
            interval: Duration::from_secs(settings.scan_interval_s.max(1)),
            timing: settings.spool_timing()?,
            delete_from_spool: settings.delete_from_spool,
            previous: HashMap::new(),
            taken: HashMap::new(),
        })
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
        let mut present = HashSet::new();
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
                present.insert(taken_key(&self.desk.pbx, &group.uniqueid));
                let key = (dir.clone(), group.uniqueid.clone());
                let previous = self.previous.remove(&key);
                let considered = match stage {
                    Some(stage) => tokio::select! {
                        biased;
                        () = stage.abandoning() => {
                            stage.gave_up(1);
                            tracing::error!(uniqueid = %group.uniqueid, "shutdown deadline passed: spool recording ingest abandoned (taken again at the next start)");
                            return;
                        }
                        considered = self.consider(&group, previous.as_ref()) => considered,
                    },
                    None => self.consider(&group, previous.as_ref()).await,
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
        // Only the groups still in a folder need remembering.
        self.taken.retain(|key, _| present.contains(key));
    }

    /// Takes `group` if it is ready and was not taken before; true when it was taken now
    /// (stored, quarantined or refused).
    async fn consider(
        &mut self,
        group: &SpoolGroup,
        previous: Option<&SpoolGroup>,
    ) -> anyhow::Result<bool> {
        let Some(mixed) = &group.mixed else {
            return Ok(false); // legs alone: wait for the mixed file
        };
        let key = taken_key(&self.desk.pbx, &group.uniqueid);
        if let Some(taken_size) = self.taken.get_mut(&key) {
            if taken_size.is_some_and(|size| size != mixed.size) {
                tracing::warn!(
                    uniqueid = %group.uniqueid,
                    "a spool recording changed after it was taken; it is not taken again"
                );
                *taken_size = None;
            }
            return Ok(false);
        }
        if self.store.spool_file_taken(&key).await? {
            self.taken.insert(key, None);
            return Ok(false);
        }
        let call = self.call_state(&group.uniqueid).await?;
        let audio = match call {
            // Only a call nobody saw needs to know: the rest wait or are taken as they are.
            CallState::Unknown => {
                let group = group.clone();
                tokio::task::spawn_blocking(move || has_audio(&group)).await??
            }
            CallState::InProgress | CallState::Ended => true,
        };
        if !is_ready(
            group,
            previous,
            call,
            audio,
            SystemTime::now(),
            &self.timing,
        ) {
            return Ok(false);
        }
        if self.store.spool_file_taken(&legacy_key(group)).await? {
            // Taken before the upgrade, and unchanged since.
            self.mark_taken(key, None).await?;
            return Ok(false);
        }
        self.take(group, mixed).await?;
        self.mark_taken(key, Some(mixed.size)).await?;
        if self.delete_from_spool {
            for file in group.files() {
                if let Err(err) = tokio::fs::remove_file(&file.path).await {
                    tracing::warn!(path = %file.path.display(), error = %err, "cannot delete from the spool folder");
                }
            }
        }
        Ok(true)
    }

    /// Whether a call in progress owns the recording of the channel `uniqueid`, the call
    /// log has its call, or neither.
    async fn call_state(&self, uniqueid: &Uniqueid) -> anyhow::Result<CallState> {
        let in_progress = self.live.as_ref().is_some_and(|live| {
            // A panic while the view was written leaves it as it was: still the best guess.
            let live = live.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            live.is_recording(uniqueid.as_str())
        });
        if in_progress {
            return Ok(CallState::InProgress);
        }
        let logged = self
            .store
            .call_of_recording(&self.desk.pbx, uniqueid.as_str())
            .await?;
        Ok(if logged.is_some() {
            CallState::Ended
        } else {
            CallState::Unknown
        })
    }

    /// Reads the group's files and hands them to the desk (stored, or quarantined).
    async fn take(&self, group: &SpoolGroup, mixed: &recordings::SpoolFile) -> anyhow::Result<()> {
        let uniqueid = &group.uniqueid;
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
                return Ok(());
            }
            (Err(err), _, _) | (_, Err(err), _) | (_, _, Err(err)) => return Err(err.into()),
        };
        match self.desk.take(&self.store, files, None).await {
            Ok(recording) => {
                tracing::info!(%uniqueid, recording = %recording.id, empty = recording.is_empty(), "spool recording ingested");
            }
            Err(IngestError::Quarantined { reason }) => {
                tracing::warn!(%uniqueid, reason, "spool recording quarantined");
            }
            Err(IngestError::Invalid(reason)) => {
                tracing::warn!(%uniqueid, reason, "spool recording refused");
            }
            Err(err @ IngestError::OtherCall { .. }) => {
                tracing::warn!(%uniqueid, error = %err, "spool recording refused");
            }
            Err(err @ IngestError::Storage(_)) => return Err(err.into()),
        }
        Ok(())
    }

    /// Records in the store that the group of `key` was taken.
    async fn mark_taken(&mut self, key: String, size: Option<u64>) -> anyhow::Result<()> {
        self.store.take_spool_file(&key).await?;
        self.taken.insert(key, size);
        Ok(())
    }
}

/// The key a recording is taken under: the PBX and the recorded channel's Uniqueid — not
/// the folder nor the files' sizes, so it is taken once whatever happens to its files.
pub fn taken_key(pbx: &str, uniqueid: &Uniqueid) -> String {
    format!("recording:{pbx}:{uniqueid}")
}

/// The key earlier versions recorded when they took `group`: each present file's path and
/// size, mixed first, joined by `|`. Only read, to honour what they took.
pub fn legacy_key(group: &SpoolGroup) -> String {
    group
        .files()
        .map(|f| format!("{}:{}", f.path.display(), f.size))
        .collect::<Vec<_>>()
        .join("|")
}

#[cfg(test)]
mod tests;
