//! Every real MixMonitor recording of the Asterisk fixtures, read, merged and ingested.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{FileFacts, file_facts, fixture_wavs, read, samples};
use recordings::{
    CustomerLeg, IngestInput, IngestOutcome, IngestSettings, LegKind, NamedBytes, RecordingName,
    RecordingStore, Wav, WavLimits, inspect, merge_legs, peaks,
};

fn customer_leg(facts: &FileFacts) -> CustomerLeg {
    match facts.direction.as_str() {
        "inbound" => CustomerLeg::Rx,
        "outbound" => CustomerLeg::Tx,
        other => panic!("no recording expected for a {other} call"),
    }
}

/// Uniqueids of the fixture recordings (each has a mixed file and two legs).
fn uniqueids() -> Vec<String> {
    let mut ids: Vec<String> = fixture_wavs()
        .iter()
        .map(|n| RecordingName::parse(n).unwrap())
        .filter(|n| n.kind == LegKind::Mixed)
        .map(|n| n.uniqueid.to_string())
        .collect();
    ids.dedup();
    ids
}

#[test]
fn every_fixture_matches_its_facts_to_the_millisecond() {
    let facts = file_facts();
    let wavs = fixture_wavs();
    assert_eq!(wavs.len(), 36, "fixture set changed");
    for name in &wavs {
        let f = facts
            .get(name)
            .unwrap_or_else(|| panic!("{name} has no facts"));
        let info = inspect(&read(name), &WavLimits::default()).unwrap();
        assert_eq!(info.sample_rate, 8000, "{name}");
        assert_eq!(info.sample_rate, f.sample_rate, "{name}");
        assert_eq!(info.channels, 1, "{name}");
        assert_eq!(info.channels, f.channels, "{name}");
        assert_eq!(info.bits_per_sample, f.bits_per_sample, "{name}");
        assert_eq!(
            u64::from(info.samples_per_channel),
            f.data_bytes_present / 2,
            "{name}"
        );
        assert_eq!(
            info.duration_ms,
            (f.duration_s * 1000.0).round() as u64,
            "{name}"
        );
        assert_eq!(info.header_consistent, f.header_consistent, "{name}");
        assert_eq!(info.empty, f.data_bytes_present == 0, "{name}");
        let parsed = RecordingName::parse(name).unwrap();
        assert_eq!(parsed.uniqueid.as_str(), f.uniqueid, "{name}");
    }
}

#[test]
fn abandoned_calls_leave_empty_but_valid_recordings() {
    for id in ["1795343000.2", "1795343298.108"] {
        for suffix in ["", "-rx", "-tx"] {
            let name = format!("{id}{suffix}.wav");
            let bytes = read(&name);
            let wav = Wav::parse(&bytes, &WavLimits::default()).unwrap();
            assert!(wav.info().empty, "{name}");
            assert_eq!(wav.info().duration_ms, 0);
            assert!(wav.info().header_consistent);
            assert!(!wav.was_repaired());
            assert_eq!(peaks(&wav, 10).unwrap(), vec![0; 10]);
        }
    }
}

#[test]
fn the_killed_asterisk_headers_are_repaired_from_the_file_length() {
    for suffix in ["", "-rx", "-tx"] {
        let name = format!("1795343347.0{suffix}.wav");
        let original = read(&name);
        let wav = Wav::parse(&original, &WavLimits::default()).unwrap();
        assert!(wav.was_repaired());
        assert!(!wav.info().header_consistent);
        assert_eq!(wav.info().samples_per_channel, 16_384);
        assert_eq!(wav.info().duration_ms, 2048);
        let fixed = wav.bytes();
        assert_eq!(fixed.len(), original.len());
        assert_eq!(&fixed[4..8], &(32_804u32).to_le_bytes()); // file length − 8
        assert_eq!(&fixed[40..44], &(32_768u32).to_le_bytes());
        assert_eq!(&fixed[44..], &original[44..], "audio untouched");
        // The repaired bytes are now a consistent file.
        let again = inspect(fixed, &WavLimits::default()).unwrap();
        assert!(again.header_consistent);
        assert_eq!(again.duration_ms, 2048);
    }
}

#[test]
fn legs_merge_to_stereo_with_the_customer_left() {
    let facts = file_facts();
    for id in uniqueids() {
        let mixed = &facts[&format!("{id}.wav")];
        let customer = customer_leg(mixed);
        let rx_bytes = read(&format!("{id}-rx.wav"));
        let tx_bytes = read(&format!("{id}-tx.wav"));
        let limits = WavLimits::default();
        let rx = Wav::parse(&rx_bytes, &limits).unwrap();
        let tx = Wav::parse(&tx_bytes, &limits).unwrap();
        let stereo = merge_legs(&rx, &tx, customer).unwrap();

        let (spec, interleaved) = samples(&stereo);
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (2, 8000, 16)
        );
        let (_, rx_samples) = samples(rx.bytes());
        let (_, tx_samples) = samples(tx.bytes());
        let (customer_samples, agent_samples) = match customer {
            CustomerLeg::Rx => (rx_samples, tx_samples),
            CustomerLeg::Tx => (tx_samples, rx_samples),
        };
        let left: Vec<i32> = interleaved.iter().step_by(2).copied().collect();
        let right: Vec<i32> = interleaved.iter().skip(1).step_by(2).copied().collect();
        assert_eq!(left, customer_samples, "{id}: left is the customer");
        assert_eq!(right, agent_samples, "{id}: right is the agent");
        let info = inspect(&stereo, &limits).unwrap();
        assert_eq!(
            info.duration_ms,
            (mixed.duration_s * 1000.0).round() as u64,
            "{id}"
        );
    }
}

#[test]
fn the_shorter_leg_is_padded_with_silence() {
    let limits = WavLimits::default();
    let rx_bytes = read("1795342979.0-rx.wav");
    let tx_full = read("1795342979.0-tx.wav");
    // The agent's leg cut to its first 1000 samples (header fixed accordingly).
    let mut tx_short = tx_full[..44 + 2000].to_vec();
    tx_short[4..8].copy_from_slice(&(36u32 + 2000).to_le_bytes());
    tx_short[40..44].copy_from_slice(&2000u32.to_le_bytes());
    let rx = Wav::parse(&rx_bytes, &limits).unwrap();
    let tx = Wav::parse(&tx_short, &limits).unwrap();
    let stereo = merge_legs(&rx, &tx, CustomerLeg::Rx).unwrap();
    let (_, interleaved) = samples(&stereo);
    let (_, rx_samples) = samples(&rx_bytes);
    let (_, tx_samples) = samples(&tx_full);
    assert_eq!(interleaved.len(), rx_samples.len() * 2);
    let right: Vec<i32> = interleaved.iter().skip(1).step_by(2).copied().collect();
    assert_eq!(&right[..1000], &tx_samples[..1000]);
    assert!(right[1000..].iter().all(|s| *s == 0));
}

#[test]
fn every_fixture_call_is_ingested() {
    let facts = file_facts();
    let dir = tempfile::tempdir().unwrap();
    let store = RecordingStore::new(dir.path());
    let settings = IngestSettings::default();
    for id in uniqueids() {
        let names = [
            format!("{id}.wav"),
            format!("{id}-rx.wav"),
            format!("{id}-tx.wav"),
        ];
        let bytes: Vec<Vec<u8>> = names.iter().map(|n| read(n)).collect();
        let mixed_facts = &facts[&names[0]];
        let input = IngestInput {
            mixed: NamedBytes {
                name: &names[0],
                bytes: &bytes[0],
            },
            rx: Some(NamedBytes {
                name: &names[1],
                bytes: &bytes[1],
            }),
            tx: Some(NamedBytes {
                name: &names[2],
                bytes: &bytes[2],
            }),
            customer_leg: customer_leg(mixed_facts),
        };
        let IngestOutcome::Stored(rec) = recordings::ingest(&store, &input, &settings).unwrap()
        else {
            panic!("{id} was quarantined");
        };
        assert_eq!(rec.uniqueid.as_str(), id);
        assert_eq!(
            rec.info.duration_ms,
            (mixed_facts.duration_s * 1000.0).round() as u64
        );
        assert_eq!(rec.peaks.len(), settings.peak_buckets);
        assert!(rec.legs_quarantined.is_none());
        let empty = mixed_facts.data_bytes_present == 0;
        assert_eq!(rec.empty, empty, "{id}");
        assert_eq!(rec.repaired, !mixed_facts.header_consistent, "{id}");
        if empty {
            assert!(rec.mixed.is_none() && rec.stereo.is_none(), "{id}");
            assert!(rec.peaks.iter().all(|p| *p == 0));
            continue;
        }
        assert!(
            rec.peaks.iter().any(|p| *p > 0),
            "{id}: speech shows in the peaks"
        );
        let mixed = rec.mixed.unwrap();
        let stored = std::fs::read(&mixed.path).unwrap();
        assert_eq!(mixed.size, stored.len() as u64);
        let stored_info = inspect(&stored, &WavLimits::default()).unwrap();
        assert!(
            stored_info.header_consistent,
            "{id}: the store holds a valid header"
        );
        assert_eq!(stored_info.duration_ms, rec.info.duration_ms);
        let stereo = rec.stereo.unwrap();
        let stereo_info =
            inspect(&std::fs::read(&stereo.path).unwrap(), &WavLimits::default()).unwrap();
        assert_eq!(stereo_info.channels, 2);
        assert_eq!(stereo_info.duration_ms, rec.info.duration_ms);
    }
}

#[test]
fn a_duplicate_upload_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = RecordingStore::new(dir.path());
    let names = [
        "1795343037.15.wav",
        "1795343037.15-rx.wav",
        "1795343037.15-tx.wav",
    ];
    let bytes: Vec<Vec<u8>> = names.iter().map(|n| read(n)).collect();
    let input = IngestInput {
        mixed: NamedBytes {
            name: names[0],
            bytes: &bytes[0],
        },
        rx: Some(NamedBytes {
            name: names[1],
            bytes: &bytes[1],
        }),
        tx: Some(NamedBytes {
            name: names[2],
            bytes: &bytes[2],
        }),
        customer_leg: CustomerLeg::Tx,
    };
    let stored = |outcome| match outcome {
        IngestOutcome::Stored(rec) => rec,
        IngestOutcome::Quarantined(q) => panic!("quarantined: {}", q.reason),
    };
    let first = stored(recordings::ingest(&store, &input, &IngestSettings::default()).unwrap());
    let second = stored(recordings::ingest(&store, &input, &IngestSettings::default()).unwrap());
    let (m1, m2) = (first.mixed.unwrap(), second.mixed.unwrap());
    let (s1, s2) = (first.stereo.unwrap(), second.stereo.unwrap());
    assert!(!m1.already_present && !s1.already_present);
    assert!(m2.already_present && s2.already_present);
    assert_eq!((m1.hash, s1.hash), (m2.hash, s2.hash));
    assert_eq!(first.peaks, second.peaks);
    let files = walk(dir.path());
    assert_eq!(files, 2, "one mixed and one stereo file");
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            if path.is_dir() { walk(&path) } else { 1 }
        })
        .sum()
}
