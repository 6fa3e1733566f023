//! The MixMonitor spool folder: one scan groups its WAV files by Uniqueid, and a pure rule
//! says when a group is complete enough to ingest.
//!
//! MixMonitor writes into the folder while the call lasts and finalises the header at
//! hangup. A group is taken once its call has ended (the tracker knows; the caller passes
//! it in) or once its files have kept the same sizes since the previous scan and were not
//! modified for a settle time. There is no watch loop here — the binary scans on its own
//! schedule — and nothing here deletes or moves a file in the PBX's folder.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::RecordingError;
use crate::names::{LegKind, RecordingName, Uniqueid};

/// One recording file seen in the spool folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolFile {
    /// Full path.
    pub path: PathBuf,
    /// Its parsed name.
    pub name: RecordingName,
    /// Size in bytes at scan time.
    pub size: u64,
    /// Last modification time at scan time.
    pub modified: SystemTime,
}

/// The files of one recorded channel: the mixed file and the legs, when present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolGroup {
    /// The recorded channel's Uniqueid.
    pub uniqueid: Uniqueid,
    /// `<uniqueid>.wav`.
    pub mixed: Option<SpoolFile>,
    /// `<uniqueid>-rx.wav`.
    pub rx: Option<SpoolFile>,
    /// `<uniqueid>-tx.wav`.
    pub tx: Option<SpoolFile>,
}

impl SpoolGroup {
    /// An empty group for `uniqueid`.
    fn new(uniqueid: Uniqueid) -> Self {
        Self {
            uniqueid,
            mixed: None,
            rx: None,
            tx: None,
        }
    }

    /// The file of `kind`, if present.
    pub fn file(&self, kind: LegKind) -> Option<&SpoolFile> {
        match kind {
            LegKind::Mixed => self.mixed.as_ref(),
            LegKind::Rx => self.rx.as_ref(),
            LegKind::Tx => self.tx.as_ref(),
        }
    }

    /// The present files, mixed first.
    pub fn files(&self) -> impl Iterator<Item = &SpoolFile> {
        [&self.mixed, &self.rx, &self.tx].into_iter().flatten()
    }
}

/// The result of one scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpoolScan {
    /// Groups in Uniqueid order.
    pub groups: Vec<SpoolGroup>,
    /// Regular files whose names are not MixMonitor recording names (left alone).
    pub ignored: Vec<PathBuf>,
}

/// Lists the recording files directly in `dir` (not in sub-folders), grouped by
/// Uniqueid. Files that vanish during the scan are skipped.
#[tracing::instrument(skip_all, fields(dir = %dir.display()))]
pub fn scan_spool(dir: &Path) -> Result<SpoolScan, RecordingError> {
    let entries = fs::read_dir(dir).map_err(|e| RecordingError::io("listing", dir, e))?;
    let mut groups: BTreeMap<Uniqueid, SpoolGroup> = BTreeMap::new();
    let mut ignored = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| RecordingError::io("listing", dir, e))?;
        let path = entry.path();
        let Ok(metadata) = entry.metadata() else {
            continue; // removed since the listing
        };
        if !metadata.is_file() {
            continue;
        }
        let name = entry
            .file_name()
            .to_str()
            .and_then(|name| RecordingName::parse(name).ok());
        let Some(name) = name else {
            ignored.push(path);
            continue;
        };
        let modified = metadata
            .modified()
            .map_err(|e| RecordingError::io("reading the mtime of", &path, e))?;
        let file = SpoolFile {
            path,
            size: metadata.len(),
            modified,
            name: name.clone(),
        };
        let group = groups
            .entry(name.uniqueid.clone())
            .or_insert_with(|| SpoolGroup::new(name.uniqueid));
        match name.kind {
            LegKind::Mixed => group.mixed = Some(file),
            LegKind::Rx => group.rx = Some(file),
            LegKind::Tx => group.tx = Some(file),
        }
    }
    ignored.sort();
    Ok(SpoolScan {
        groups: groups.into_values().collect(),
        ignored,
    })
}

/// Whether `current` can be ingested: its call has ended, or the same files had the
/// same sizes in the `previous` scan and none was modified within `settle` before `now`
/// (a modification time in the future counts as recent).
pub fn is_complete(
    current: &SpoolGroup,
    previous: Option<&SpoolGroup>,
    call_ended: bool,
    now: SystemTime,
    settle: Duration,
) -> bool {
    if call_ended {
        return true;
    }
    let Some(previous) = previous else {
        return false;
    };
    let unchanged = [LegKind::Mixed, LegKind::Rx, LegKind::Tx]
        .into_iter()
        .all(|kind| match (current.file(kind), previous.file(kind)) {
            (Some(now), Some(before)) => now.size == before.size,
            (None, None) => true,
            _ => false,
        });
    let settled = current.files().all(|file| {
        now.duration_since(file.modified)
            .is_ok_and(|age| age >= settle)
    });
    unchanged && settled && current.files().next().is_some()
}

/// Reads a whole file, refusing one larger than `max_bytes` without reading it (a file
/// still growing past the limit while read is refused too).
pub fn read_bounded(path: &Path, max_bytes: u64) -> Result<Vec<u8>, RecordingError> {
    let file = File::open(path).map_err(|e| RecordingError::io("opening", path, e))?;
    let size = file
        .metadata()
        .map_err(|e| RecordingError::io("reading the size of", path, e))?
        .len();
    let too_large = |size| RecordingError::TooLarge {
        size,
        max: max_bytes,
    };
    if size > max_bytes {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| RecordingError::io("reading", path, e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}
