//! The simulated PBX's MixMonitor files (`SimSettings::spool`), as Asterisk writes them with
//! option `b`: a header with sizes 0 from `MixMonitorStart`, audio only while the caller is
//! bridged to an agent, sizes written in at hang-up. Sim time is paused, so every moment of
//! a call can be looked at.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use cti::sim::{CallSpec, Scenario, SimHandle, SimSettings, Simulator};

const RECORDINGS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/asterisk/recordings"
);

async fn start(spool: &Path) -> SimHandle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = Simulator::new(SimSettings {
        spool: Some(spool.to_owned()),
        ..SimSettings::lab()
    })
    .unwrap();
    let handle = sim.handle();
    tokio::spawn(sim.serve(listener, std::future::pending()));
    handle
}

/// The sizes in a WAV header: (RIFF, data).
fn sizes(bytes: &[u8]) -> (u32, u32) {
    let at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
    (at(4), at(40))
}

fn read(spool: &Path, uniqueid: &str, leg: &str) -> Vec<u8> {
    std::fs::read(spool.join(format!("{uniqueid}{leg}.wav"))).unwrap()
}

async fn wait(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

#[tokio::test(start_paused = true)]
async fn an_answered_call_is_a_header_while_it_waits_then_audio_while_bridged() {
    let spool = tempfile::tempdir().unwrap();
    let sim = start(spool.path()).await;
    let call = sim
        .place(
            CallSpec::new(Scenario::InboundAnswered)
                .agent("1001")
                .extra_talk(Duration::ZERO),
        )
        .unwrap();
    let id = call.linkedid.clone();
    // Capture 01: MixMonitorStart 0.7 s in, the agent connects 5.7 s in, the caller leaves
    // the bridge 13.99 s in.
    wait(1_000).await;
    let killed = std::fs::read(format!("{RECORDINGS}/1795343347.0.wav")).unwrap();
    for leg in ["", "-rx", "-tx"] {
        assert_eq!(read(spool.path(), &id, leg), killed[..44], "{leg}");
    }
    wait(4_000).await;
    assert_eq!(
        read(spool.path(), &id, "").len(),
        44,
        "nothing while queued"
    );
    wait(4_000).await;
    let talking = read(spool.path(), &id, "");
    assert!(talking.len() > 44 + 2 * 8_000, "audio while bridged");
    assert_eq!(sizes(&talking), (0, 0), "sizes written only at hang-up");
    wait(1_000).await;
    assert!(
        read(spool.path(), &id, "").len() > talking.len(),
        "it grows"
    );
    call.finished().await;
    for leg in ["", "-rx", "-tx"] {
        let done = read(spool.path(), &id, leg);
        let data = done.len() as u32 - 44;
        assert_eq!(sizes(&done), (data + 36, data), "{leg}");
        // Bridged from 5.727557 s to 14.010391 s: 8.283 s at 8 kHz.
        assert_eq!(data / 2, 66_262, "{leg}");
    }
    let mixed = read(spool.path(), &id, "");
    assert!(mixed[44..].chunks(2).any(|s| s != [0, 0]), "not silence");
}

#[tokio::test(start_paused = true)]
async fn an_abandoned_call_leaves_three_headers_like_capture_02() {
    let spool = tempfile::tempdir().unwrap();
    let sim = start(spool.path()).await;
    let call = sim
        .place(CallSpec::new(Scenario::InboundAbandoned))
        .unwrap();
    let id = call.linkedid.clone();
    call.finished().await;
    let abandoned = std::fs::read(format!("{RECORDINGS}/1795343000.2.wav")).unwrap();
    for leg in ["", "-rx", "-tx"] {
        assert_eq!(read(spool.path(), &id, leg), abandoned, "{leg}");
    }
}

#[tokio::test(start_paused = true)]
async fn every_recorded_scenario_writes_its_bridged_time() {
    let spool = tempfile::tempdir().unwrap();
    let sim = start(spool.path()).await;
    for scenario in [
        Scenario::RingNoAnswer,
        Scenario::RingAllAnswered,
        Scenario::ClickToCall,
        Scenario::Outbound,
        Scenario::Hold,
        Scenario::BlindTransfer,
        Scenario::AttendedTransfer,
    ] {
        let call = sim
            .place(CallSpec::new(scenario).extra_talk(Duration::ZERO))
            .unwrap();
        let id = call.linkedid.clone();
        call.finished().await;
        let mixed = read(spool.path(), &id, "");
        let data = mixed.len() as u32 - 44;
        assert_eq!(sizes(&mixed), (data + 36, data), "{scenario:?}");
        assert!(data > 4 * 16_000, "{scenario:?}: {data} bytes of audio");
    }
    // Internal calls are not recorded.
    let call = sim.place(CallSpec::new(Scenario::Internal)).unwrap();
    let id = call.linkedid.clone();
    call.finished().await;
    assert!(!spool.path().join(format!("{id}.wav")).exists());
}
