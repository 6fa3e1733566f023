//! `POST /api/recordings`: every fixture recording, bad files, duplicates, tokens.

use crm_core::TokenScope;
use serde_json::Value;

use crate::app::{RecApp, fixture, fixture_ids};
use crate::expect::{assert_stereo, duration_ms, fixture_samples};
use crate::support::{Backend, on_both_backends};

async fn every_fixture_recording_uploads_with_its_facts(backend: Backend) {
    let app = RecApp::spawn(backend).await;
    let token = app.token("root", TokenScope::Ingest).await;
    // The click-to-call and the outbound call are recorded on the agent's channel: the
    // customer is `-tx`. Their calls are known before the upload.
    app.call("1795343037.15", "outbound", "1002").await;
    app.call("1795343114.25", "outbound", "1003").await;
    for id in fixture_ids() {
        let resp = app.upload_fixture(&token, &id, true).await;
        assert_eq!(resp.status(), 201, "{id}: {}", resp.text().await.unwrap());
        let body: Value = resp.json().await.unwrap();
        let samples = fixture_samples(&format!("{id}.wav")).len();
        assert_eq!(body["linkedid"], id.as_str());
        assert_eq!(body["sample_rate"], 8000, "{id}");
        assert_eq!(body["duration_ms"], duration_ms(samples), "{id}");
        if samples == 0 {
            assert_eq!(body["status"], "empty", "{id}: a header-only file");
            let got = app
                .get(
                    &token_of(&app, "root").await,
                    &format!("/api/recordings/{}", body["id"]),
                    None,
                )
                .await;
            assert_eq!(got.status(), 404, "nothing to play");
            continue;
        }
        assert_eq!(body["status"], "merged", "{id}");
        assert_eq!(body["channels"], 2, "{id}");
        assert_eq!(body["peaks"].as_array().unwrap().len(), 600, "{id}");
        let admin = token_of(&app, "root").await;
        let file = app
            .get(&admin, &format!("/api/recordings/{}", body["id"]), None)
            .await;
        assert_eq!(file.status(), 200);
        let bytes = file.bytes().await.unwrap();
        let outbound = id == "1795343037.15" || id == "1795343114.25";
        let (rx, tx) = (format!("{id}-rx.wav"), format!("{id}-tx.wav"));
        if outbound {
            assert_stereo(&bytes, &tx, &rx);
        } else {
            assert_stereo(&bytes, &rx, &tx);
        }
    }
    // The killed Asterisk's files (size fields 0) were repaired: 2.048 s of audio.
    let killed = app
        .store
        .call_by_linkedid("asterisk", "1795343347.0")
        .await
        .unwrap();
    assert!(killed.is_none(), "no call for it yet");
    assert!(app.quarantine_reasons().is_empty());
}

async fn token_of(app: &RecApp, username: &str) -> String {
    app.token(username, TokenScope::Full).await
}

async fn the_mixed_file_alone_is_stored_as_it_is(backend: Backend) {
    let app = RecApp::spawn(backend).await;
    let token = app.token("root", TokenScope::Ingest).await;
    let resp = app.upload_fixture(&token, "1795343347.0", false).await;
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "stored");
    assert_eq!(body["channels"], 1);
    assert_eq!(
        body["duration_ms"], 2048,
        "unfinalised header repaired from the length"
    );
}

/// A WAV header for 8 kHz mono 16-bit with the given format tag and sizes.
fn header(format_tag: u16, riff_size: u32, data_size: u32) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&riff_size.to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&format_tag.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&8000u32.to_le_bytes());
    h.extend_from_slice(&16000u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&16u16.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_size.to_le_bytes());
    h
}

async fn bad_files_are_refused_clearly_and_quarantined(backend: Backend) {
    let app = RecApp::spawn(backend).await;
    let token = app.token("root", TokenScope::Ingest).await;
    let good = fixture("1795342979.0.wav");
    let mut absurd = good.clone();
    absurd[40..44].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
    let mut alaw = header(6, 36 + 8000, 8000);
    alaw.extend(std::iter::repeat_n(0xd5u8, 8000));
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "not a WAV",
            b"<html>this is not audio</html>".to_vec(),
            "not a WAV",
        ),
        ("truncated", good[..10_000].to_vec(), "truncated"),
        ("absurd size", absurd, "absurd data size"),
        ("non-PCM", alaw, "A-law"),
    ];
    for (i, (what, bytes, message)) in cases.into_iter().enumerate() {
        let id = format!("1795349999.{i}");
        let resp = app
            .upload(
                &token,
                &[("file", format!("{id}.wav"), bytes)],
                &[("uniqueid", &id)],
            )
            .await;
        assert_eq!(resp.status(), 422, "{what}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "unprocessable", "{what}");
        let text = body["message"].as_str().unwrap();
        assert!(
            text.contains(message) && text.contains("quarantine"),
            "{what}: {text}"
        );
    }
    let reasons = app.quarantine_reasons();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("A-law")), "{reasons:?}");
    assert_eq!(app.stored_files(), 0);

    // Requests that are wrong rather than files: 400.
    let resp = app
        .upload(&token, &[("file", "x.wav".into(), good.clone())], &[])
        .await;
    assert_eq!(resp.status(), 400, "no linkedid nor uniqueid");
    let resp = app.upload(&token, &[], &[("linkedid", "1.1")]).await;
    assert_eq!(resp.status(), 400, "no file");
    let resp = app
        .client
        .post(format!("{}/api/recordings", app.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"linkedid": "1.1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400, "not multipart");
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("multipart"),
        "{body}"
    );
}

async fn a_duplicate_upload_is_stored_once(backend: Backend) {
    let app = RecApp::spawn(backend).await;
    let token = app.token("root", TokenScope::Ingest).await;
    let first: Value = app
        .upload_fixture(&token, "1795342979.0", true)
        .await
        .json()
        .await
        .unwrap();
    let second: Value = app
        .upload_fixture(&token, "1795342979.0", true)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["id"], second["id"]);
    assert_eq!(first["sha256"], second["sha256"]);
    assert_eq!(first.get("path"), None, "server paths stay on the server");
    // The stereo merge is kept (the mixed file is the sum of its legs), once.
    assert_eq!(app.stored_files(), 1);
}

async fn a_recording_before_its_call_is_linked_when_the_call_arrives(backend: Backend) {
    let app = RecApp::spawn(backend).await;
    let token = app.token("root", TokenScope::Ingest).await;
    let body: Value = app
        .upload_fixture(&token, "1795343013.12", true)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["call"], Value::Null);
    let reza = app.token("reza", TokenScope::Full).await;
    let path = format!("/api/recordings/{}", body["id"]);
    assert_eq!(
        app.get(&reza, &path, None).await.status(),
        403,
        "no call yet"
    );
    let call = app.call("1795343013.12", "inbound", "1002").await;
    let linked = app.recordings_of(call, 1).await;
    assert_eq!(linked[0].id.0, body["id"].as_i64().unwrap());
    assert_eq!(
        app.get(&reza, &path, None).await.status(),
        200,
        "reza took the call"
    );
}

async fn who_may_upload(backend: Backend) {
    let app = RecApp::spawn(backend).await;
    // The ingest token as an admin makes it for a PBX.
    let made = crate::support::run_tamas(
        &app.database_url,
        &["token", "create", "--user", "sara", "--scope", "ingest"],
        None,
    );
    assert!(made.status.success(), "{made:?}");
    let ingest = String::from_utf8(made.stdout).unwrap().trim().to_owned();
    assert!(ingest.starts_with("tamas_"), "{ingest}");
    let admin = app.token("root", TokenScope::Full).await;
    let supervisor = app.token("boss", TokenScope::Full).await;
    assert_eq!(
        app.upload_fixture(&admin, "1795342979.0", false)
            .await
            .status(),
        201
    );
    assert_eq!(
        app.upload_fixture(&ingest, "1795343013.12", false)
            .await
            .status(),
        201
    );
    assert_eq!(
        app.upload_fixture(&supervisor, "1795343228.61", false)
            .await
            .status(),
        403
    );
    assert_eq!(
        app.upload_fixture("tamas_nonsense", "1795343228.61", false)
            .await
            .status(),
        401
    );
    // An ingest token can do nothing else.
    assert_eq!(app.get(&ingest, "/api/calls", None).await.status(), 403);
    assert_eq!(
        app.get(&ingest, "/api/recordings/1", None).await.status(),
        403
    );
}

on_both_backends!(
    every_fixture_recording_uploads_with_its_facts,
    the_mixed_file_alone_is_stored_as_it_is,
    bad_files_are_refused_clearly_and_quarantined,
    a_duplicate_upload_is_stored_once,
    a_recording_before_its_call_is_linked_when_the_call_arrives,
    who_may_upload,
);
