//! The `[recordings]` section: where recordings are kept, which spool folders are watched
//! and how long files are kept.

use std::path::PathBuf;

use serde::Deserialize;

/// Call recordings (`[recordings]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecordingsSettings {
    /// Folder of the content-addressed store (`ab/cd/<sha256>.wav`) and of `quarantine/`.
    pub data_dir: PathBuf,
    /// Asterisk's MixMonitor folders to watch (same host or a shared mount); none: only
    /// `POST /api/recordings` brings recordings in.
    pub spool_dirs: Vec<PathBuf>,
    /// Delete a file from the spool folder once it is stored (never by default: the
    /// PBX's folder is the PBX's).
    pub delete_from_spool: bool,
    /// A spool file whose call Tamas never saw (not in progress, not in the call log) and
    /// that holds audio is taken once it has not changed for this many seconds.
    pub stable_size_s: u64,
    /// The same for a file holding only a WAV header (MixMonitor's option `b` writes
    /// nothing more until the caller is bridged): it becomes an empty recording once it has
    /// not changed for this many seconds — longer than any wait in a queue. At least
    /// `stable_size_s`.
    pub stable_empty_s: u64,
    /// How often the spool folders are scanned, seconds.
    pub scan_interval_s: u64,
    /// Recordings older than this many days are deleted (file and metadata) by a daily
    /// job, except those of calls marked "keep"; 0 keeps them forever.
    pub retain_days: u32,
    /// Largest file of an upload (`POST /api/recordings`), MiB: a larger part is refused
    /// with 413 while it is being received, and nothing of it is kept.
    pub max_upload_mb: u64,
    /// Files in `quarantine/` older than this many days are deleted (audited) by the
    /// daily job; 0 keeps them forever.
    pub quarantine_retention_days: u32,
}

impl Default for RecordingsSettings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("recordings"),
            spool_dirs: Vec::new(),
            delete_from_spool: false,
            stable_size_s: 10,
            stable_empty_s: 3600,
            scan_interval_s: 5,
            retain_days: 0,
            max_upload_mb: 512,
            quarantine_retention_days: 30,
        }
    }
}

impl RecordingsSettings {
    /// How long the files of a call Tamas never saw rest before the spool watcher takes
    /// them; refuses a `stable_empty_s` shorter than `stable_size_s`.
    pub fn spool_timing(&self) -> anyhow::Result<recordings::SpoolTiming> {
        anyhow::ensure!(
            self.stable_empty_s >= self.stable_size_s,
            "[recordings] stable_empty_s ({}) must be at least stable_size_s ({}): a header-only \
             file may still get audio once the caller is bridged",
            self.stable_empty_s,
            self.stable_size_s
        );
        Ok(recordings::SpoolTiming {
            settle: std::time::Duration::from_secs(self.stable_size_s),
            header_only: std::time::Duration::from_secs(self.stable_empty_s),
        })
    }
}
