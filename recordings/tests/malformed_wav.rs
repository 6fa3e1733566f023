//! Files that are not good recordings: each gets a clear, typed error — or, for a header
//! whose sizes lie while the audio is intact, a repair.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{header, mono_wav, read, samples};
use recordings::repair::repair;
use recordings::{
    CustomerLeg, IngestInput, IngestOutcome, IngestSettings, NamedBytes, RecordingError,
    RecordingStore, Wav, WavLimits, inspect, merge_legs,
};

fn limits() -> WavLimits {
    WavLimits::default()
}

#[test]
fn not_a_wav_at_all() {
    for bytes in [
        &b""[..],
        b"hello",
        b"ID3\x04\x00 an mp3 perhaps",
        b"RIFF\x10\x00\x00\x00AVI LIST",
    ] {
        assert!(
            matches!(inspect(bytes, &limits()), Err(RecordingError::NotWav)),
            "{bytes:?}"
        );
    }
}

#[test]
fn a_header_cut_short_is_truncated() {
    let full = read("1795342979.0.wav");
    for cut in [12, 20, 30, 36, 40] {
        let err = inspect(&full[..cut], &limits()).unwrap_err();
        assert!(
            matches!(err, RecordingError::Truncated { .. }),
            "cut at {cut}: {err}"
        );
        assert!(err.to_string().contains("truncated"));
    }
}

#[test]
fn a_finalised_file_that_lost_its_end_is_truncated_audio() {
    let full = read("1795342979.0.wav");
    let err = inspect(&full[..10_000], &limits()).unwrap_err();
    assert!(
        matches!(
            err,
            RecordingError::TruncatedAudio {
                declared: 132_480,
                available: 9_956
            }
        ),
        "{err}"
    );
}

#[test]
fn an_absurd_data_size_is_refused() {
    let mut bytes = read("1795343013.12.wav");
    bytes[40..44].copy_from_slice(&0x7FFF_0000u32.to_le_bytes());
    let err = inspect(&bytes, &limits()).unwrap_err();
    assert!(
        matches!(
            err,
            RecordingError::AbsurdDataSize {
                declared: 0x7FFF_0000,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("absurd data size"));
    assert!(err.is_content_defect());
}

#[test]
fn mu_law_and_other_encodings_are_named() {
    // A hand-written G.711 µ-law header (format tag 7), as `sox -e mu-law` writes one.
    let mut ulaw = header(7, 1, 8000, 8, 800);
    ulaw.extend(std::iter::repeat_n(0xFFu8, 800));
    let err = inspect(&ulaw, &limits()).unwrap_err();
    assert!(
        matches!(
            err,
            RecordingError::UnsupportedFormat {
                format_tag: 7,
                name: "µ-law"
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("µ-law"));

    let mut alaw = header(6, 1, 8000, 8, 2);
    alaw.extend([0xD5, 0xD5]);
    assert!(matches!(
        inspect(&alaw, &limits()),
        Err(RecordingError::UnsupportedFormat { format_tag: 6, .. })
    ));

    let mut float = header(3, 1, 8000, 32, 8);
    float.extend([0; 8]);
    assert!(matches!(
        inspect(&float, &limits()),
        Err(RecordingError::UnsupportedFormat { format_tag: 3, .. })
    ));
}

#[test]
fn extensible_pcm_is_accepted_and_extensible_ulaw_is_not() {
    let extensible = |sub_tag: u16| {
        let mut b = Vec::new();
        b.extend_from_slice(b"RIFF");
        b.extend_from_slice(&(4 + 8 + 40 + 8 + 4u32).to_le_bytes());
        b.extend_from_slice(b"WAVEfmt ");
        b.extend_from_slice(&40u32.to_le_bytes());
        b.extend_from_slice(&0xFFFEu16.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes()); // channels
        b.extend_from_slice(&8000u32.to_le_bytes());
        b.extend_from_slice(&16000u32.to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        b.extend_from_slice(&22u16.to_le_bytes()); // cbSize
        b.extend_from_slice(&16u16.to_le_bytes()); // valid bits
        b.extend_from_slice(&4u32.to_le_bytes()); // channel mask
        b.extend_from_slice(&sub_tag.to_le_bytes());
        b.extend_from_slice(&[
            0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
        ]);
        b.extend_from_slice(b"data");
        b.extend_from_slice(&4u32.to_le_bytes());
        b.extend_from_slice(&[1, 0, 2, 0]);
        b
    };
    let info = inspect(&extensible(1), &limits()).unwrap();
    assert_eq!(
        (info.samples_per_channel, info.header_consistent),
        (2, true)
    );
    assert!(matches!(
        inspect(&extensible(7), &limits()),
        Err(RecordingError::UnsupportedFormat { format_tag: 7, .. })
    ));
}

#[test]
fn an_odd_trailing_byte_is_dropped_when_repairing() {
    let mut bytes = read("1795343347.0.wav");
    bytes.push(0x7F);
    let wav = Wav::parse(&bytes, &limits()).unwrap();
    assert!(wav.was_repaired());
    assert_eq!(wav.info().samples_per_channel, 16_384);
    assert_eq!(wav.bytes().len(), bytes.len() - 1);
}

#[test]
fn an_unknown_size_marker_is_repaired_too() {
    let mut bytes = mono_wav(&[1, -2, 3, -4]);
    bytes[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    bytes[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
    let wav = Wav::parse(&bytes, &limits()).unwrap();
    assert!(wav.was_repaired());
    assert_eq!(wav.info().samples_per_channel, 4);
    assert_eq!(samples(wav.bytes()).1, vec![1, -2, 3, -4]);
}

#[test]
fn a_stale_data_size_gives_way_to_the_file_length() {
    // A header updated at 2 samples while 4 were written, with a stale RIFF size too.
    let mut bytes = mono_wav(&[1, 2, 3, 4]);
    bytes[4..8].copy_from_slice(&(36u32 + 4).to_le_bytes());
    bytes[40..44].copy_from_slice(&4u32.to_le_bytes());
    let wav = Wav::parse(&bytes, &limits()).unwrap();
    assert!(wav.was_repaired());
    assert_eq!(samples(wav.bytes()).1, vec![1, 2, 3, 4]);
}

#[test]
fn chunks_after_the_audio_are_kept_and_trusted() {
    let mut bytes = mono_wav(&[5, 6]);
    bytes.extend_from_slice(b"LIST");
    bytes.extend_from_slice(&5u32.to_le_bytes());
    bytes.extend_from_slice(b"INFOx\0"); // 5 bytes + pad
    let riff = (bytes.len() - 8) as u32;
    bytes[4..8].copy_from_slice(&riff.to_le_bytes());
    let wav = Wav::parse(&bytes, &limits()).unwrap();
    assert!(!wav.was_repaired());
    assert_eq!(wav.info().samples_per_channel, 2);
    // Only the RIFF size wrong: repaired, audio and trailing chunk kept.
    bytes[4..8].copy_from_slice(&0u32.to_le_bytes());
    let fixed = repair(&bytes, &limits()).unwrap();
    assert_eq!(fixed.len(), bytes.len());
    assert_eq!(&fixed[4..8], &riff.to_le_bytes());
}

#[test]
fn fmt_problems_are_invalid_headers() {
    let mut data_first = Vec::new();
    data_first.extend_from_slice(b"RIFF\x0c\x00\x00\x00WAVEdata\x00\x00\x00\x00");
    assert!(matches!(
        inspect(&data_first, &limits()),
        Err(RecordingError::InvalidHeader { .. })
    ));
    let mut zero_align = header(1, 1, 8000, 16, 0);
    zero_align[32..34].copy_from_slice(&0u16.to_le_bytes());
    assert!(matches!(
        inspect(&zero_align, &limits()),
        Err(RecordingError::InvalidHeader { .. })
    ));
    let mut zero_channels = header(1, 1, 8000, 16, 0);
    zero_channels[22..24].copy_from_slice(&0u16.to_le_bytes());
    assert!(matches!(
        inspect(&zero_channels, &limits()),
        Err(RecordingError::Wav(_))
    ));
}

#[test]
fn memory_is_bounded_by_the_limit() {
    let bytes = read("1795342979.0.wav");
    let small = WavLimits { max_bytes: 1000 };
    assert!(matches!(
        inspect(&bytes, &small),
        Err(RecordingError::TooLarge {
            size: 132_524,
            max: 1000
        })
    ));
}

#[test]
fn legs_of_different_formats_are_not_merged() {
    let limits = limits();
    let a = mono_wav(&[1, 2]);
    let mut b_bytes = header(1, 1, 16_000, 16, 4);
    b_bytes.extend([1, 0, 2, 0]);
    let (a, b) = (
        Wav::parse(&a, &limits).unwrap(),
        Wav::parse(&b_bytes, &limits).unwrap(),
    );
    let err = merge_legs(&a, &b, CustomerLeg::Rx).unwrap_err();
    assert!(
        matches!(err, RecordingError::LegFormatMismatch { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("16000 Hz"));
    let mut stereo = header(1, 2, 8000, 16, 4);
    stereo.extend([1, 0, 2, 0]);
    let stereo = Wav::parse(&stereo, &limits).unwrap();
    assert!(matches!(
        merge_legs(&a, &stereo, CustomerLeg::Rx),
        Err(RecordingError::LegNotMono { channels: 2 })
    ));
}

#[test]
fn refused_files_are_quarantined_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let store = RecordingStore::new(dir.path());
    let junk = b"<html>502 Bad Gateway</html>";
    let leg = read("1795342979.0-rx.wav");
    let input = IngestInput {
        mixed: NamedBytes {
            name: "1795342979.0.wav",
            bytes: junk,
        },
        rx: Some(NamedBytes {
            name: "1795342979.0-rx.wav",
            bytes: &leg,
        }),
        tx: None,
        customer_leg: CustomerLeg::Rx,
    };
    let IngestOutcome::Quarantined(q) =
        recordings::ingest(&store, &input, &IngestSettings::default()).unwrap()
    else {
        panic!("junk was accepted");
    };
    assert!(matches!(q.reason, RecordingError::NotWav));
    assert_eq!(q.files.len(), 2, "the leg is kept with it");
    assert_eq!(std::fs::read(&q.files[0].path).unwrap(), junk);
    assert_eq!(std::fs::read(&q.files[1].path).unwrap(), leg);
    let reason = std::fs::read_to_string(&q.files[0].reason_path).unwrap();
    assert!(
        reason.contains("1795342979.0.wav") && reason.contains("not a WAV"),
        "{reason}"
    );
    assert!(q.files[0].path.starts_with(dir.path().join("quarantine")));
}

#[test]
fn broken_legs_are_quarantined_while_the_mixed_file_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = RecordingStore::new(dir.path());
    let mixed = read("1795342979.0.wav");
    let rx = read("1795342979.0-rx.wav");
    let mut tx = header(7, 1, 8000, 8, 4);
    tx.extend([0xFF; 4]);
    let input = IngestInput {
        mixed: NamedBytes {
            name: "1795342979.0.wav",
            bytes: &mixed,
        },
        rx: Some(NamedBytes {
            name: "1795342979.0-rx.wav",
            bytes: &rx,
        }),
        tx: Some(NamedBytes {
            name: "1795342979.0-tx.wav",
            bytes: &tx,
        }),
        customer_leg: CustomerLeg::Rx,
    };
    let IngestOutcome::Stored(rec) =
        recordings::ingest(&store, &input, &IngestSettings::default()).unwrap()
    else {
        panic!("the mixed file was refused");
    };
    assert!(rec.mixed.is_some() && rec.stereo.is_none());
    let q = rec.legs_quarantined.unwrap();
    assert!(matches!(
        q.reason,
        RecordingError::UnsupportedFormat { format_tag: 7, .. }
    ));
    assert_eq!(q.files.len(), 2);
}

#[test]
fn names_that_do_not_belong_together_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = RecordingStore::new(dir.path());
    let mixed = read("1795342979.0.wav");
    let rx = read("1795343013.12-rx.wav");
    for (mixed_name, rx_name) in [
        ("1795342979.0.wav", "1795343013.12-rx.wav"),
        ("1795342979.0.wav", "1795342979.0-tx.wav"),
        ("../1795342979.0.wav", "1795342979.0-rx.wav"),
        ("upload.wav", "1795342979.0-rx.wav"),
    ] {
        let input = IngestInput {
            mixed: NamedBytes {
                name: mixed_name,
                bytes: &mixed,
            },
            rx: Some(NamedBytes {
                name: rx_name,
                bytes: &rx,
            }),
            tx: None,
            customer_leg: CustomerLeg::Rx,
        };
        let err = recordings::ingest(&store, &input, &IngestSettings::default()).unwrap_err();
        assert!(
            matches!(err, RecordingError::InvalidName { .. }),
            "{mixed_name} {rx_name}: {err}"
        );
        assert!(!err.is_content_defect());
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn no_header_byte_or_cut_makes_it_panic() {
    let original = read("1795343326.111.wav");
    let limits = limits();
    let check = |bytes: &[u8]| {
        if let Ok(wav) = Wav::parse(bytes, &limits) {
            recordings::peaks(&wav, 16).unwrap();
            let _ = merge_legs(&wav, &wav, CustomerLeg::Rx);
        }
    };
    for cut in 0..200 {
        check(&original[..cut]);
    }
    for at in 0..64 {
        for value in [0x00, 0x01, 0x7F, 0x80, 0xFF] {
            let mut bytes = original[..4000].to_vec();
            bytes[at] = value;
            check(&bytes);
        }
    }
}
