//! Throughput of the AMI path: the fixtures' captures looped to at least 1,000,000 events,
//! decoded ([`Frames`]) and fed to the tracker, as `tamas replay` and a live connection do.
//! Reported in events per second (`Throughput::Elements`).
//!
//! Run: `cargo bench -p cti -- --warm-up-time 1 --measurement-time 5`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use cti::ami::Frames;
use cti::replay::replay;
use cti::tracker::{AgentSettings, CallTracker, TrackerSettings};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/asterisk"
);
const TARGET_EVENTS: u64 = 1_000_000;

/// The server-side captures, one per connection, in name order.
fn captures() -> Vec<Bytes> {
    let mut names: Vec<String> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".ami") && !n.ends_with(".sent.ami"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| Bytes::from(std::fs::read(format!("{FIXTURES}/{n}")).unwrap()))
        .collect()
}

fn settings() -> TrackerSettings {
    TrackerSettings {
        pbx: "bench".into(),
        agents: ["1001", "1002", "1003"]
            .iter()
            .map(|e| AgentSettings {
                extension: (*e).into(),
                name: None,
                devices: vec![],
            })
            .collect(),
        trunks: vec!["trunk".into()],
        ..TrackerSettings::default()
    }
}

/// One pass over all captures with a fresh tracker (Linkedids repeat between passes);
/// returns the number of events.
fn one_pass(captures: &[Bytes], settings: &TrackerSettings) -> u64 {
    let mut tracker = CallTracker::new(settings.clone());
    let stats = replay(&mut tracker, captures.iter().cloned(), |e| {
        black_box(e);
    })
    .unwrap();
    stats.events
}

fn bench(c: &mut Criterion) {
    let captures = captures();
    let settings = settings();
    let per_pass = one_pass(&captures, &settings);
    let passes = TARGET_EVENTS.div_ceil(per_pass);
    let events = per_pass * passes;

    let mut group = c.benchmark_group("ami");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events));
    group.bench_function(format!("decode_track_{events}_events"), |b| {
        b.iter(|| {
            let mut total = 0;
            for _ in 0..passes {
                total += one_pass(&captures, &settings);
            }
            assert_eq!(total, events);
        });
    });
    group.bench_function(format!("decode_only_{events}_events"), |b| {
        b.iter(|| {
            let mut total = 0u64;
            for _ in 0..passes {
                for capture in &captures {
                    for frame in Frames::new(capture.clone()) {
                        total += u64::from(black_box(frame.unwrap()).as_message().is_some());
                    }
                }
            }
            black_box(total);
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
