//! The watched spool folder: every fixture recording taken once complete, never twice
//! (not even after a restart), never deleted from the PBX's folder; a recording that
//! arrives after a restart still links to its call.

use std::time::Duration;

use crm_core::TokenScope;

use crate::app::{RecApp, fixture_ids, fixtures};
use crate::expect::{assert_stereo, duration_ms, fixture_samples};
use crate::support::{Backend, on_both_backends};

async fn every_fixture_recording_is_taken_from_the_spool_once(backend: Backend) {
    let mut app = RecApp::spawn(backend).await;
    let ids = fixture_ids();
    // Every call but one is known and ended: its files are taken at the next scan. The
    // last one's call arrives later: its files are taken once their sizes are stable, and
    // linked when the call is written.
    let (late, known) = ids.split_last().unwrap();
    let mut calls = Vec::new();
    for id in known {
        let direction = if id == "1795343037.15" || id == "1795343114.25" {
            "outbound"
        } else {
            "inbound"
        };
        calls.push((id.clone(), app.call(id, direction, "1001").await, direction));
    }
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), app.spool.join(entry.file_name())).unwrap();
    }
    let admin = app.token("root", TokenScope::Full).await;
    for (id, call, direction) in &calls {
        let recording = app.recordings_of(*call, 1).await.remove(0);
        let samples = fixture_samples(&format!("{id}.wav")).len();
        assert_eq!(recording.duration_ms, Some(duration_ms(samples)), "{id}");
        assert_eq!(recording.sample_rate, Some(8000), "{id}");
        if samples == 0 {
            assert!(recording.is_empty(), "{id}");
            continue;
        }
        assert_eq!(recording.channels, Some(2), "{id}");
        let bytes = app
            .get(&admin, &format!("/api/recordings/{}", recording.id), None)
            .await
            .bytes()
            .await
            .unwrap();
        let (rx, tx) = (format!("{id}-rx.wav"), format!("{id}-tx.wav"));
        if *direction == "outbound" {
            assert_stereo(&bytes, &tx, &rx);
        } else {
            assert_stereo(&bytes, &rx, &tx);
        }
    }
    let call = app.call(late, "inbound", "1001").await;
    let recording = app.recordings_of(call, 1).await.remove(0);
    assert_eq!(recording.linkedid.as_deref(), Some(late.as_str()));

    // A restart scans the same files again and takes none of them.
    let stored = app.stored_files();
    let before = app.store.audit_log(1000).await.unwrap().len();
    app.restart().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (_, call, _) in &calls {
        assert_eq!(app.store.recordings_of_call(*call).await.unwrap().len(), 1);
    }
    assert_eq!(app.stored_files(), stored);
    assert_eq!(app.store.audit_log(1000).await.unwrap().len(), before);
    // The PBX's folder is untouched.
    assert_eq!(
        std::fs::read_dir(&app.spool).unwrap().count(),
        std::fs::read_dir(fixtures()).unwrap().count()
    );
    assert!(app.quarantine_reasons().is_empty());
}

async fn a_bad_spool_file_is_quarantined_once(backend: Backend) {
    let app = RecApp::spawn(backend).await;
    let call = app.call("1795349999.1", "inbound", "1001").await;
    std::fs::write(app.spool.join("1795349999.1.wav"), b"not audio at all").unwrap();
    for _ in 0..200 {
        if !app.quarantine_reasons().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let reasons = app.quarantine_reasons();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("not a WAV"), "{reasons:?}");
    assert!(app.store.recordings_of_call(call).await.unwrap().is_empty());
    assert!(app.spool.join("1795349999.1.wav").exists());
}

async fn a_file_still_growing_is_not_taken(backend: Backend) {
    // Files are stable after 5 s without change; this one grows every 300 ms.
    let app = RecApp::spawn_with_settle(backend, 5).await;
    // MixMonitor writes a header with size fields 0, then audio as the call goes on.
    let full = crate::app::fixture("1795342979.0.wav");
    let mut header = full[..44].to_vec();
    header[4..8].copy_from_slice(&0u32.to_le_bytes());
    header[40..44].copy_from_slice(&0u32.to_le_bytes());
    let path = app.spool.join("1795342979.0.wav");
    std::fs::write(&path, &header).unwrap();
    let audio = &full[44..];
    let step = 8000; // half a second of audio per append
    for chunk in audio.chunks(step) {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut file, chunk).unwrap();
        drop(file);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(app.stored_files(), 0, "taken while still growing");
    }
    // Complete now: taken once its size stopped changing, with every sample (the call,
    // written later, adopts it).
    for _ in 0..300 {
        if app.stored_files() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.stored_files(), 1);
    let call = app.call("1795342979.0", "inbound", "1001").await;
    let recording = app.recordings_of(call, 1).await.remove(0);
    assert_eq!(recording.duration_ms, Some(8280));
    assert_eq!(recording.channels, Some(1));
}

async fn a_recording_arriving_after_a_restart_links_to_its_call(backend: Backend) {
    let mut app = RecApp::spawn(backend).await;
    // Recorded on the agent's channel 1795342979.5 (the MixMonitor file the tracker saw),
    // not the call's first channel; the call ended before the restart.
    let call = app
        .call_recorded(
            "1795342979.1",
            "inbound",
            "1001",
            Some("/var/spool/asterisk/monitor/1795342979.5.wav"),
        )
        .await;
    app.restart().await;
    for leg in ["", "-rx", "-tx"] {
        std::fs::write(
            app.spool.join(format!("1795342979.5{leg}.wav")),
            crate::app::fixture(&format!("1795342979.0{leg}.wav")),
        )
        .unwrap();
    }
    let recording = app.recordings_of(call, 1).await.remove(0);
    assert_eq!(recording.linkedid.as_deref(), Some("1795342979.1"));
    assert_eq!(recording.uniqueid.as_deref(), Some("1795342979.5"));
    assert_eq!(recording.duration_ms, Some(8280));
}

on_both_backends!(
    every_fixture_recording_is_taken_from_the_spool_once,
    a_bad_spool_file_is_quarantined_once,
    a_file_still_growing_is_not_taken,
    a_recording_arriving_after_a_restart_links_to_its_call,
);
