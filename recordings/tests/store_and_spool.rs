//! The content-addressed store, ranged reads of stored files, and the spool folder scan.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::io::Read;
use std::time::Duration;

use common::{RECORDINGS, read};
use recordings::{
    ByteRange, CallState, ContentHash, LegKind, RangeRequest, RecordingError, RecordingStore,
    SpoolTiming, has_audio, is_ready, parse_range, read_bounded, scan_spool, slice_reader,
};

#[test]
fn the_same_content_is_stored_once_under_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let store = RecordingStore::new(dir.path());
    let bytes = read("1795342979.0.wav");
    let first = store.put(&bytes).unwrap();
    let second = store.put(&bytes).unwrap();
    assert!(!first.already_present);
    assert!(second.already_present);
    assert_eq!(first.hash, second.hash);
    assert_eq!(first.hash, ContentHash::of(&bytes));
    let h = first.hash.as_str();
    assert_eq!(
        first.path,
        dir.path()
            .join(&h[..2])
            .join(&h[2..4])
            .join(format!("{h}.wav"))
    );
    assert_eq!(store.path(&first.hash), first.path);
    assert_eq!(fs::read(&first.path).unwrap(), bytes);
    // Nothing else is left in the folder (no temporary files).
    let folder: Vec<_> = fs::read_dir(first.path.parent().unwrap())
        .unwrap()
        .collect();
    assert_eq!(folder.len(), 1);

    let mut opened = Vec::new();
    store
        .open(&first.hash)
        .unwrap()
        .read_to_end(&mut opened)
        .unwrap();
    assert_eq!(opened, bytes);
    assert!(store.delete(&first.hash).unwrap());
    assert!(!store.delete(&first.hash).unwrap());
    assert!(matches!(
        store.open(&first.hash),
        Err(RecordingError::NotFound(_))
    ));
}

#[test]
fn quarantine_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let store = RecordingStore::new(dir.path());
    let a = store
        .quarantine(b"junk", "../../etc/x.wav", "not a WAV file")
        .unwrap();
    let b = store
        .quarantine(b"junk", "../../etc/x.wav", "again")
        .unwrap();
    assert_ne!(a.path, b.path);
    assert_eq!(a.path.parent().unwrap(), dir.path().join("quarantine"));
    assert!(
        a.path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with("-x.wav")
    );
    assert_eq!(fs::read(&b.path).unwrap(), b"junk");
    assert!(
        fs::read_to_string(&a.reason_path)
            .unwrap()
            .contains("not a WAV file")
    );
    assert!(
        fs::read_to_string(&b.reason_path)
            .unwrap()
            .contains("again")
    );
}

#[test]
fn ranges_of_a_stored_recording() {
    let dir = tempfile::tempdir().unwrap();
    let store = RecordingStore::new(dir.path());
    let bytes = read("1795343013.12.wav");
    let stored = store.put(&bytes).unwrap();
    let len = stored.size;
    let read_range = |header: &str| -> Vec<u8> {
        let RangeRequest::Partial(range) = parse_range(Some(header), len) else {
            panic!("{header} not partial");
        };
        let mut out = Vec::new();
        slice_reader(store.open(&stored.hash).unwrap(), range)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out.len() as u64, range.len());
        out
    };
    assert_eq!(read_range("bytes=0-43"), &bytes[..44]); // the header
    assert_eq!(read_range("bytes=50000-50099"), &bytes[50_000..50_100]);
    assert_eq!(read_range("bytes=-500"), &bytes[bytes.len() - 500..]);
    assert_eq!(read_range("bytes=96000-"), &bytes[96_000..]);
    assert_eq!(
        parse_range(Some("bytes=96044-"), len),
        RangeRequest::Unsatisfiable
    );
    assert_eq!(
        parse_range(Some("bytes=0-99999999"), len),
        RangeRequest::Partial(ByteRange {
            first: 0,
            last: len - 1
        })
    );
}

#[test]
fn the_spool_is_grouped_by_uniqueid_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "1795342979.0.wav",
        "1795342979.0-rx.wav",
        "1795342979.0-tx.wav",
        "1795343000.2.wav",
    ] {
        fs::copy(format!("{RECORDINGS}/{name}"), dir.path().join(name)).unwrap();
    }
    fs::write(dir.path().join("notes.txt"), b"x").unwrap();
    fs::create_dir(dir.path().join("1795343013.12.wav")).unwrap(); // a folder, not a file
    let before: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();

    let scan = scan_spool(dir.path()).unwrap();
    assert_eq!(scan.groups.len(), 2);
    let call = &scan.groups[0];
    assert_eq!(call.uniqueid.as_str(), "1795342979.0");
    assert_eq!(call.files().count(), 3);
    assert_eq!(call.file(LegKind::Rx).unwrap().size, 132_524);
    assert_eq!(call.mixed.as_ref().unwrap().name.kind, LegKind::Mixed);
    let abandoned = &scan.groups[1];
    assert_eq!(abandoned.uniqueid.as_str(), "1795343000.2");
    assert!(abandoned.rx.is_none() && abandoned.tx.is_none());
    assert_eq!(scan.ignored, vec![dir.path().join("notes.txt")]);

    let after: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        before.len(),
        after.len(),
        "nothing removed from the PBX folder"
    );
}

#[test]
fn when_a_group_is_ready() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("1795342979.0.wav");
    fs::write(&path, read("1795342979.0.wav")).unwrap();
    let first = scan_spool(dir.path()).unwrap().groups.remove(0);
    let modified = first.mixed.as_ref().unwrap().modified;
    let timing = SpoolTiming {
        settle: Duration::from_secs(10),
        header_only: Duration::from_secs(3600),
    };
    let later = modified + Duration::from_secs(11);
    let soon = modified + Duration::from_secs(2);
    let ready = |current, previous, call, audio, now| {
        is_ready(current, previous, call, audio, now, &timing)
    };
    use CallState::{Ended, InProgress, Unknown};

    // A call in progress: never, however long the files have rested.
    let much_later = modified + Duration::from_secs(86_400);
    assert!(!ready(&first, Some(&first), InProgress, true, much_later));
    assert!(!ready(&first, Some(&first), InProgress, false, much_later));
    // An ended call: once the files are the same at two scans, however recent.
    assert!(!ready(&first, None, Ended, true, soon));
    assert!(ready(&first, Some(&first), Ended, true, soon));
    assert!(ready(&first, Some(&first), Ended, false, soon));
    // A call nobody saw, with audio: unchanged and settled.
    assert!(!ready(&first, None, Unknown, true, later));
    assert!(!ready(&first, Some(&first), Unknown, true, soon));
    assert!(ready(&first, Some(&first), Unknown, true, later));
    // A modification time in the future is not settled.
    let before = modified - Duration::from_secs(5);
    assert!(!ready(&first, Some(&first), Unknown, true, before));
    // Without audio, `settle` is not enough: only the long wait is.
    assert!(!ready(&first, Some(&first), Unknown, false, later));
    let after_an_hour = modified + Duration::from_secs(3600);
    assert!(ready(&first, Some(&first), Unknown, false, after_an_hour));

    // The file grew, or was rewritten with the same size: not ready, even when ended.
    let mut grown = first.clone();
    grown.mixed.as_mut().unwrap().size += 320;
    assert!(!ready(&grown, Some(&first), Unknown, true, later));
    assert!(!ready(&grown, Some(&first), Ended, true, later));
    let mut rewritten = first.clone();
    rewritten.mixed.as_mut().unwrap().modified += Duration::from_millis(1);
    assert!(!ready(&rewritten, Some(&first), Ended, true, later));
    // A leg appeared since the previous scan: not ready.
    let mut with_leg = first.clone();
    with_leg.rx = first.mixed.clone();
    assert!(!ready(&with_leg, Some(&first), Unknown, true, later));
    assert!(!ready(&with_leg, Some(&first), Ended, true, later));
}

#[test]
fn header_only_files_hold_no_audio() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "1795343000.2.wav",
        "1795343000.2-rx.wav",
        "1795343000.2-tx.wav",
        "1795342979.0.wav",
        "1795343347.0.wav",
    ] {
        fs::copy(format!("{RECORDINGS}/{name}"), dir.path().join(name)).unwrap();
    }
    let groups = scan_spool(dir.path()).unwrap().groups;
    let audio: Vec<(&str, bool)> = groups
        .iter()
        .map(|g| (g.uniqueid.as_str(), has_audio(g).unwrap()))
        .collect();
    assert_eq!(
        audio,
        [
            ("1795342979.0", true),
            // Abandoned: three 44-byte headers.
            ("1795343000.2", false),
            // Killed Asterisk: size fields 0, audio behind them.
            ("1795343347.0", true),
        ]
    );
}

#[test]
fn bounded_reads() {
    let path = format!("{RECORDINGS}/1795342979.0.wav");
    assert_eq!(read_bounded(path.as_ref(), 200_000).unwrap().len(), 132_524);
    assert!(matches!(
        read_bounded(path.as_ref(), 1000),
        Err(RecordingError::TooLarge {
            size: 132_524,
            max: 1000
        })
    ));
    assert!(matches!(
        read_bounded("/nonexistent/x.wav".as_ref(), 1000),
        Err(RecordingError::Io { .. })
    ));
}
