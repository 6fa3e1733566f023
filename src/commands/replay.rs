//! `tamas replay`: captured AMI traffic through the same codec and tracker as live
//! traffic; one JSON object per finished call on standard output.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use bytes::Bytes;
use cti::tracker::{CallEventKind, CallTracker};

use crate::settings::Settings;
use app::bridge;

/// Replays `captures` in order; writes the calls to the database when `write_to_db`.
pub async fn run(
    settings: &Settings,
    captures: &[PathBuf],
    stats: bool,
    write_to_db: bool,
) -> anyhow::Result<ExitCode> {
    let mut connections = Vec::with_capacity(captures.len());
    for path in captures {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read capture {}", path.display()))?;
        connections.push(Bytes::from(bytes));
    }
    let store = if write_to_db {
        Some(super::open_store(settings).await?)
    } else {
        None
    };
    let tracker_settings = bridge::tracker_settings(&settings.pbx, &[]);
    let mut tracker = CallTracker::new(tracker_settings)
        .with_number_normalizer(bridge::number_normalizer(&settings.phone));

    // libphonenumber loads its metadata on first use; keep that out of the measurement.
    let _ =
        crm_core::PhoneNormalizer::new(&settings.phone.default_region).normalize("+989121234567");
    let mut records = Vec::new();
    let started = Instant::now();
    let replay_stats = cti::replay::replay(&mut tracker, connections, |event| {
        if let CallEventKind::Ended(record) = event.kind {
            records.push(*record);
        }
    })?;
    let elapsed = started.elapsed();

    let mut out = std::io::stdout().lock();
    for record in &records {
        serde_json::to_writer(&mut out, record)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    drop(out);

    if let Some(store) = store {
        for record in &records {
            store
                .record_call(&bridge::call_record_input(record))
                .await
                .with_context(|| format!("cannot write call {}", record.linkedid))?;
        }
        eprintln!("wrote {} calls to the call log", records.len());
    }
    if stats {
        let secs = elapsed.as_secs_f64().max(f64::EPSILON);
        eprintln!(
            "{} connections, {} messages ({} events), {} bytes in {:.3} s: {:.0} events/s, {:.1} MB/s; {} calls ended, {} still open",
            replay_stats.connections,
            replay_stats.messages,
            replay_stats.events,
            replay_stats.bytes,
            secs,
            replay_stats.events as f64 / secs,
            replay_stats.bytes as f64 / secs / 1e6,
            records.len(),
            replay_stats.open_calls,
        );
    }
    Ok(ExitCode::SUCCESS)
}
