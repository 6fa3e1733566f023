//! Quarantine retention: [`RecordingStore::purge_quarantine`] deletes refused files (with
//! their `.reason.txt`) once they are older than the retention, so `quarantine/` does
//! not grow forever.

use std::fs;
use std::io;
use std::path::PathBuf;
use std::time::SystemTime;

use crate::RecordingError;
use crate::store::{QUARANTINE_DIR, RecordingStore};

/// Suffix of the file that says why a file was quarantined.
const REASON_SUFFIX: &str = ".reason.txt";

/// A quarantined file that was deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgedFile {
    /// Where it was.
    pub path: PathBuf,
    /// Its size, bytes.
    pub size: u64,
    /// When it was last written.
    pub modified: SystemTime,
    /// What its `.reason.txt` said (empty when there was none).
    pub reason: String,
}

impl RecordingStore {
    /// Deletes every quarantined file last written before `cutoff`, its `.reason.txt`
    /// with it (and a `.reason.txt` left alone that old); returns the files deleted.
    #[tracing::instrument(skip_all)]
    pub fn purge_quarantine(&self, cutoff: SystemTime) -> Result<Vec<PurgedFile>, RecordingError> {
        let dir = self.root().join(QUARANTINE_DIR);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(RecordingError::io("listing", dir, e)),
        };
        let mut purged = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| RecordingError::io("listing", &dir, e))?;
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            if !meta.is_file() || modified >= cutoff {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(REASON_SUFFIX) {
                // Deleted with its file; alone, it goes by itself.
                let file = dir.join(name.trim_end_matches(REASON_SUFFIX));
                if !file.exists() {
                    remove(&path)?;
                }
                continue;
            }
            let reason_path = dir.join(format!("{name}{REASON_SUFFIX}"));
            let reason = fs::read_to_string(&reason_path).unwrap_or_default();
            remove(&path)?;
            remove(&reason_path)?;
            purged.push(PurgedFile {
                path,
                size: meta.len(),
                modified,
                reason,
            });
        }
        Ok(purged)
    }
}

/// Removes `path`; one already gone is fine.
fn remove(path: &std::path::Path) -> Result<(), RecordingError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(RecordingError::io("deleting", path, e)),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn purges_old_quarantined_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = RecordingStore::new(dir.path());
        let old = store.quarantine(b"old", "old.wav", "bad header").unwrap();
        let cutoff = SystemTime::now() + Duration::from_secs(1);
        std::thread::sleep(Duration::from_millis(1100));
        let new = store.quarantine(b"new", "new.wav", "bad header").unwrap();
        let purged = store.purge_quarantine(cutoff).unwrap();
        assert_eq!(purged.len(), 1);
        assert_eq!(purged[0].path, old.path);
        assert!(purged[0].reason.contains("bad header"));
        assert!(!old.path.exists() && !old.reason_path.exists());
        assert!(new.path.exists() && new.reason_path.exists());
    }
}
