//! The content-addressed recording store and its quarantine folder.
//!
//! A stored file lives at `root/ab/cd/<sha256>.wav`, where `ab` and `cd` are the first
//! two byte pairs of its SHA-256: two levels of 256 folders keep directories small. A
//! write goes to a temporary file in the target folder, is fsynced, renamed into place
//! and the folder fsynced, so a crash never leaves a half-written recording under its
//! hash. The same content stored twice is stored once. Files that are refused go to
//! `root/quarantine/` with a `.reason.txt` beside them: never silently dropped.
//!
//! All methods do blocking std I/O; async callers run them in `spawn_blocking`. `delete`
//! removes the content for everyone: with deduplication, the caller (the database) must
//! only delete a hash no other recording row still references.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::RecordingError;

/// Name of the quarantine folder under the store root.
pub(crate) const QUARANTINE_DIR: &str = "quarantine";

/// Distinguishes temporary files of concurrent writes in one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The SHA-256 of a stored file, as 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContentHash(String);

impl ContentHash {
    /// Hashes `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(hex::encode(Sha256::digest(bytes)))
    }

    /// Accepts exactly 64 lowercase hex digits (so a hash can never name another path).
    pub fn parse(value: &str) -> Result<Self, RecordingError> {
        let valid = value.len() == 64
            && value
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(RecordingError::InvalidHash(
                value.chars().take(80).collect(),
            ))
        }
    }

    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A file in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// Its SHA-256.
    pub hash: ContentHash,
    /// Where it is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Whether the same content was already stored (nothing was written).
    pub already_present: bool,
}

/// A file put in quarantine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedFile {
    /// The refused bytes, as received.
    pub path: PathBuf,
    /// The `.reason.txt` beside it.
    pub reason_path: PathBuf,
}

/// The store: a root folder holding `ab/cd/<sha256>.wav` files and `quarantine/`.
#[derive(Debug, Clone)]
pub struct RecordingStore {
    root: PathBuf,
}

impl RecordingStore {
    /// A store rooted at `root` (created on the first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the file with `hash` is (whether or not it exists).
    pub fn path(&self, hash: &ContentHash) -> PathBuf {
        let h = hash.as_str();
        self.root
            .join(&h[0..2])
            .join(&h[2..4])
            .join(format!("{h}.wav"))
    }

    /// Stores `bytes` under their SHA-256, once.
    #[tracing::instrument(skip_all, fields(size = bytes.len()))]
    pub fn put(&self, bytes: &[u8]) -> Result<StoredFile, RecordingError> {
        let hash = ContentHash::of(bytes);
        let path = self.path(&hash);
        let size = bytes.len() as u64;
        if path.is_file() {
            tracing::debug!(%hash, "content already stored");
            return Ok(StoredFile {
                hash,
                path,
                size,
                already_present: true,
            });
        }
        let dir = path.parent().unwrap_or(&self.root);
        write_atomically(dir, &path, bytes)?;
        tracing::debug!(%hash, "stored recording");
        Ok(StoredFile {
            hash,
            path,
            size,
            already_present: false,
        })
    }

    /// Opens the stored file for reading; [`RecordingError::NotFound`] if absent.
    pub fn open(&self, hash: &ContentHash) -> Result<File, RecordingError> {
        let path = self.path(hash);
        File::open(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => RecordingError::NotFound(hash.to_string()),
            _ => RecordingError::io("opening", path, e),
        })
    }

    /// Removes the stored file; `Ok(false)` if it was not there.
    #[tracing::instrument(skip_all, fields(%hash))]
    pub fn delete(&self, hash: &ContentHash) -> Result<bool, RecordingError> {
        let path = self.path(hash);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(RecordingError::io("deleting", path, e)),
        }
    }

    /// Keeps refused `bytes` under `root/quarantine/` with `reason` in a `.reason.txt`
    /// beside them. The file name is built from the SHA-256 and a sanitised
    /// `original_name`; an existing quarantined file is never overwritten.
    #[tracing::instrument(skip_all, fields(original_name, size = bytes.len()))]
    pub fn quarantine(
        &self,
        bytes: &[u8],
        original_name: &str,
        reason: &str,
    ) -> Result<QuarantinedFile, RecordingError> {
        let dir = self.root.join(QUARANTINE_DIR);
        fs::create_dir_all(&dir).map_err(|e| RecordingError::io("creating", &dir, e))?;
        let hash = ContentHash::of(bytes);
        let base = format!("{}-{}", &hash.as_str()[..16], sanitise(original_name));
        let mut attempt = 0u32;
        loop {
            let name = if attempt == 0 {
                base.clone()
            } else {
                format!("{base}.{attempt}")
            };
            let path = dir.join(&name);
            let reason_path = dir.join(format!("{name}.reason.txt"));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    write_synced(&mut file, bytes)
                        .map_err(|e| RecordingError::io("writing", &path, e))?;
                    let text = format!("original name: {original_name}\nreason: {reason}\n");
                    let mut reason_file = File::create(&reason_path)
                        .map_err(|e| RecordingError::io("creating", &reason_path, e))?;
                    write_synced(&mut reason_file, text.as_bytes())
                        .map_err(|e| RecordingError::io("writing", &reason_path, e))?;
                    sync_dir(&dir);
                    tracing::warn!(path = %path.display(), reason, "recording quarantined");
                    return Ok(QuarantinedFile { path, reason_path });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => attempt += 1,
                Err(e) => return Err(RecordingError::io("creating", path, e)),
            }
        }
    }
}

/// Writes `bytes` to a temporary file in `dir`, fsyncs it and renames it to `path`.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), RecordingError> {
    fs::create_dir_all(dir).map_err(|e| RecordingError::io("creating", dir, e))?;
    let temp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .and_then(|mut file| write_synced(&mut file, bytes))
        .map_err(|e| RecordingError::io("writing", &temp, e))
        .and_then(|()| {
            fs::rename(&temp, path).map_err(|e| RecordingError::io("renaming", &temp, e))
        });
    if result.is_err() {
        // Best effort: the error that matters is the one returned.
        let _ = fs::remove_file(&temp);
    }
    result?;
    sync_dir(dir);
    Ok(())
}

/// Writes all of `bytes` and fsyncs the file.
fn write_synced(file: &mut File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()
}

/// Fsyncs a folder so a rename or a new entry in it survives a crash (Unix; a no-op
/// where folders cannot be opened).
fn sync_dir(dir: &Path) {
    if let Ok(handle) = File::open(dir) {
        // Some file systems refuse fsync on a folder; the data itself is already synced.
        let _ = handle.sync_all();
    }
}

/// `original_name` reduced to ASCII letters, digits, `.`, `_` and `-` (others become
/// `_`), without leading dots, at most 100 characters; `unnamed` if nothing is left.
fn sanitise(original_name: &str) -> String {
    let base = original_name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() {
        "unnamed".to_owned()
    } else {
        cleaned.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_strict() {
        let hash = ContentHash::of(b"abc");
        assert_eq!(
            hash.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(ContentHash::parse(hash.as_str()).unwrap(), hash);
        for bad in [
            "",
            "../etc/passwd",
            &hash.as_str().to_uppercase(),
            &hash.as_str()[1..],
        ] {
            assert!(ContentHash::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sanitises_quarantine_names() {
        assert_eq!(sanitise("../../etc/passwd"), "passwd");
        assert_eq!(sanitise("..\\x y.wav"), "x_y.wav");
        assert_eq!(sanitise(".."), "unnamed");
        assert_eq!(sanitise("ضبط.wav"), "___.wav");
        assert_eq!(sanitise("1795342979.0.wav"), "1795342979.0.wav");
    }
}
