//! The MixMonitor spool folder: one scan groups its WAV files by Uniqueid, and a pure rule
//! ([`is_ready`]) says when a group can be taken.
//!
//! MixMonitor writes into the folder while the call lasts and finalises the header at
//! hangup; with its option `b` it writes only a 44-byte header until the caller is
//! bridged, so a header that has not changed for a while is not an empty recording yet.
//! What the caller knows of the call ([`CallState`]) decides: a call in progress is never
//! taken; an ended call is taken once its files did not change between two scans; a call
//! nobody saw is taken once its files have not changed for a settle time — a long one
//! ([`SpoolTiming::header_only`]) when they hold no audio ([`has_audio`]). There is no watch
//! loop here — the binary scans on its own schedule — and nothing here deletes or moves a
//! file in the PBX's folder.

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

/// What the caller knows of the call a group of files records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// A call in progress owns the recording: MixMonitor may still write to it.
    InProgress,
    /// The call has ended (it is in the call log).
    Ended,
    /// No call in progress owns it and the call log does not have it.
    Unknown,
}

/// How long the files of a call nobody saw must rest before they are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpoolTiming {
    /// Files holding audio: unchanged and not modified for this long.
    pub settle: Duration,
    /// Files holding no audio (a header only): unchanged and not modified for this long.
    /// Longer than any wait in a queue, since MixMonitor's option `b` writes nothing more
    /// until the caller is bridged.
    pub header_only: Duration,
}

/// Whether `current` can be taken now, given the `previous` scan's view of the same group,
/// what is known of its `call`, whether its files hold audio (only looked at for a call
/// nobody saw) and the time `now`:
///
/// - in progress ([`CallState::InProgress`]), never;
/// - ended ([`CallState::Ended`]), once its files are the same (sizes and modification
///   times) as at the previous scan, so the last bytes MixMonitor wrote at hangup are in;
/// - unknown ([`CallState::Unknown`]), the same, and no file was modified within
///   [`SpoolTiming::settle`] (with audio) or [`SpoolTiming::header_only`] (without) before
///   `now` — a modification time in the future counts as recent.
pub fn is_ready(
    current: &SpoolGroup,
    previous: Option<&SpoolGroup>,
    call: CallState,
    audio: bool,
    now: SystemTime,
    timing: &SpoolTiming,
) -> bool {
    if current.files().next().is_none() || !previous.is_some_and(|p| unchanged(current, p)) {
        return false;
    }
    let rest = match call {
        CallState::InProgress => return false,
        CallState::Ended => return true,
        CallState::Unknown if audio => timing.settle,
        CallState::Unknown => timing.header_only,
    };
    current.files().all(|file| {
        now.duration_since(file.modified)
            .is_ok_and(|age| age >= rest)
    })
}

/// Whether the same files are present with the same sizes and modification times.
fn unchanged(current: &SpoolGroup, previous: &SpoolGroup) -> bool {
    [LegKind::Mixed, LegKind::Rx, LegKind::Tx]
        .into_iter()
        .all(|kind| match (current.file(kind), previous.file(kind)) {
            (Some(now), Some(before)) => now.size == before.size && now.modified == before.modified,
            (None, None) => true,
            _ => false,
        })
}

/// How much of a file's beginning [`has_audio`] reads to find the `data` chunk.
const HEAD_LEN: u64 = 4096;

/// Whether any file of `group` holds audio: a byte after the header of its `data` chunk.
/// A WAV header still incomplete (no `data` chunk yet) holds none; a file that is not a
/// RIFF/WAVE file at all, or whose `data` chunk starts beyond the first 4 KiB, counts as
/// holding something (the ingest judges it).
pub fn has_audio(group: &SpoolGroup) -> Result<bool, RecordingError> {
    for file in group.files() {
        let mut head = Vec::new();
        File::open(&file.path)
            .and_then(|f| f.take(HEAD_LEN).read_to_end(&mut head))
            .map_err(|e| RecordingError::io("reading the header of", &file.path, e))?;
        if audio_after_header(&head, file.size) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether a file of `size` bytes whose first bytes are `head` has audio after its header.
fn audio_after_header(head: &[u8], size: u64) -> bool {
    if head.len() < 12 {
        // Shorter than a RIFF header: one being written, unless it is not one at all.
        let riff_prefix = head.iter().enumerate().all(|(i, byte)| match i {
            0..4 => b"RIFF"[i] == *byte,
            8..12 => b"WAVE"[i - 8] == *byte,
            _ => true,
        });
        return !riff_prefix;
    }
    if &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return true;
    }
    let mut pos = 12usize;
    while let Some(chunk) = head.get(pos..pos + 8) {
        let len = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]) as usize;
        if &chunk[0..4] == b"data" {
            return size > (pos + 8) as u64;
        }
        pos = pos
            .saturating_add(8)
            .saturating_add(len)
            .saturating_add(len & 1);
    }
    // The `data` chunk is not within the head: a header still being written when the
    // whole file is in the head, something unusual otherwise.
    (head.len() as u64) < size
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

#[cfg(test)]
mod tests {
    use super::audio_after_header;

    /// MixMonitor's header while it writes: 8 kHz 16-bit mono, size fields 0.
    fn header() -> Vec<u8> {
        let mut h = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        h.extend_from_slice(&16u32.to_le_bytes());
        h.extend_from_slice(&[1, 0, 1, 0]);
        h.extend_from_slice(&8000u32.to_le_bytes());
        h.extend_from_slice(&16000u32.to_le_bytes());
        h.extend_from_slice(&[2, 0, 16, 0]);
        h.extend_from_slice(b"data\0\0\0\0");
        h
    }

    #[test]
    fn audio_is_what_follows_the_data_chunk_header() {
        let h = header();
        assert_eq!(h.len(), 44);
        assert!(!audio_after_header(&h, 44), "header only");
        assert!(audio_after_header(&h, 46), "one sample");
        let mut with_audio = h.clone();
        with_audio.extend_from_slice(&[1, 2, 3, 4]);
        assert!(audio_after_header(&with_audio, 48));
        // A header still being written holds no audio.
        assert!(!audio_after_header(&h[..30], 30));
        assert!(!audio_after_header(&h[..6], 6));
        assert!(!audio_after_header(&[], 0));
        // Not a WAV at all: something to look at.
        assert!(audio_after_header(b"not audio", 9));
        assert!(audio_after_header(b"not audio at all", 16));
        // No data chunk within the head of a longer file: something to look at.
        assert!(audio_after_header(&h[..36], 10_000));
    }
}
