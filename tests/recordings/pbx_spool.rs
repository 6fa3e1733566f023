//! Recordings of the simulated PBX's calls: `tamas simulate-pbx --spool DIR` replays real
//! captures and writes their MixMonitor files into DIR as Asterisk does with option `b`
//! (a 44-byte header while the caller waits, audio once bridged, sizes at hang-up), and
//! Tamas, connected to it over AMI, watches DIR with `stable_size_s` = 1 s. Each
//! call gets exactly one recording: never the header of a caller still waiting.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crm_core::Recording;

use crate::app::{RecApp, RecOptions};
use crate::support::{Backend, on_both_backends};
use crate::support::{KillOnDrop, simulate_pbx};

const CAPTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/asterisk");

/// The simulated PBX replaying `capture`, writing its recordings into `spool`, and a
/// server connected to it watching `spool`.
async fn pbx_and_server(backend: Backend, capture: &Path, spool: &Path) -> (KillOnDrop, RecApp) {
    let (sim, address) = simulate_pbx(&[
        OsStr::new("--secret"),
        OsStr::new("lab-secret"),
        OsStr::new("--spool"),
        spool.as_os_str(),
        OsStr::new("--replay"),
        capture.as_os_str(),
    ]);
    let (host, port) = address.rsplit_once(':').unwrap();
    let app = RecApp::spawn_with(RecOptions {
        backend,
        settle_s: 1,
        spool: Some(spool.to_owned()),
        settings: format!(
            "[pbx]\nhost = \"{host}\"\nport = {port}\nusername = \"cti\"\nsecret = \"lab-secret\"\n"
        ),
    })
    .await;
    (sim, app)
}

/// Capture 01 with the caller's wait in the queue made `extra` longer: every `Timestamp`
/// from the first `AgentCalled` on is moved (the replay is paced by them).
fn longer_wait(extra: Duration, into: &Path) -> PathBuf {
    let capture = std::fs::read_to_string(format!("{CAPTURES}/01-inbound-answered.ami")).unwrap();
    let mut moved = false;
    let mut out = String::new();
    for line in capture.split_inclusive("\r\n") {
        moved |= line == "Event: AgentCalled\r\n";
        match line.strip_prefix("Timestamp: ") {
            Some(stamp) if moved => {
                let (seconds, micros) = stamp.trim_end().split_once('.').unwrap();
                let seconds: u64 = seconds.parse().unwrap();
                out.push_str(&format!(
                    "Timestamp: {}.{micros}\r\n",
                    seconds + extra.as_secs()
                ));
            }
            _ => out.push_str(line),
        }
    }
    assert!(moved);
    let path = into.join("01-long-wait.ami");
    std::fs::write(&path, out).unwrap();
    path
}

/// Every recording registered, linked to a call or not.
async fn all_recordings(app: &RecApp) -> Vec<Recording> {
    app.store
        .recordings_older_than(i64::MAX, 100)
        .await
        .unwrap()
}

/// Waits (at most `limit`) until the call `linkedid` is in the call log.
async fn logged(app: &RecApp, linkedid: &str, limit: Duration) -> crm_core::CallRow {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(call) = app
            .store
            .call_by_linkedid("asterisk", linkedid)
            .await
            .unwrap()
        {
            return call;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the call {linkedid} never reached the call log");
}

async fn a_caller_who_waits_long_in_the_queue_gets_one_recording_the_real_one(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("monitor");
    let capture = longer_wait(Duration::from_secs(25), dir.path());
    let (_pbx, app) = pbx_and_server(backend, &capture, &spool).await;
    let mixed = spool.join("1795342979.0.wav");

    // The caller waits 30 s; MixMonitor has written its header and nothing else.
    let start = Instant::now();
    let mut header_only_since = None;
    while start.elapsed() < Duration::from_secs(60) {
        let size = std::fs::metadata(&mixed).map(|m| m.len()).ok();
        match (size, header_only_since) {
            (Some(44), None) => header_only_since = Some(Instant::now()),
            (Some(size), _) if size > 44 => break,
            _ => {}
        }
        assert!(
            all_recordings(&app).await.is_empty(),
            "nothing taken while the caller waits"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let waited = header_only_since.expect("a header-only file").elapsed();
    assert!(
        waited > Duration::from_secs(20),
        "the header was there {waited:?}, many times stable_size_s"
    );

    let call = logged(&app, "1795342979.0", Duration::from_secs(30)).await;
    assert_eq!(call.wait_ms, Some(30_009));
    let recording = app.recordings_of(call.id, 1).await.remove(0);
    // A few more scans take nothing more.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let all = all_recordings(&app).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(!recording.is_empty());
    assert_eq!(recording.channels, Some(2), "the legs merged to stereo");
    let talk = call.talk_ms.unwrap();
    let duration = recording.duration_ms.unwrap();
    assert!(
        (duration - talk).abs() <= 100,
        "the recording lasts the talk: {duration} ms, talk {talk} ms"
    );
}

async fn an_abandoned_call_becomes_one_empty_recording_once_it_ended(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("monitor");
    let capture = Path::new(CAPTURES).join("02-inbound-abandoned.ami");
    let (_pbx, mut app) = pbx_and_server(backend, &capture, &spool).await;
    let call = logged(&app, "1795343000.2", Duration::from_secs(30)).await;
    assert_eq!(call.disposition.as_str(), "abandoned");
    let recording = app.recordings_of(call.id, 1).await.remove(0);
    assert!(recording.is_empty());
    assert_eq!(
        std::fs::metadata(spool.join("1795343000.2.wav"))
            .unwrap()
            .len(),
        44
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    app.restart().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(all_recordings(&app).await.len(), 1);
}

on_both_backends!(
    a_caller_who_waits_long_in_the_queue_gets_one_recording_the_real_one,
    an_abandoned_call_becomes_one_empty_recording_once_it_ended,
);
