//! `GET /api/recordings/{id}`: HTTP Range, download, permissions, audit; the pages.

use crm_core::TokenScope;
use serde_json::Value;

use crate::app::RecApp;
use crate::support::{Backend, on_both_backends};

async fn one_recording(app: &RecApp) -> (i64, Vec<u8>) {
    let ingest = app.token("root", TokenScope::Ingest).await;
    app.call("1795342979.0", "inbound", "1001").await;
    let body: Value = app
        .upload_fixture(&ingest, "1795342979.0", true)
        .await
        .json()
        .await
        .unwrap();
    let id = body["id"].as_i64().unwrap();
    let boss = app.token("boss", TokenScope::Full).await;
    let whole = app.get(&boss, &format!("/api/recordings/{id}"), None).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.headers()["content-type"], "audio/wav");
    let bytes = whole.bytes().await.unwrap().to_vec();
    (id, bytes)
}

async fn ranges_let_the_player_seek(backend: Backend) {
    let app = RecApp::spawn(backend).await;
    let (id, whole) = one_recording(&app).await;
    let len = whole.len();
    let boss = app.token("boss", TokenScope::Full).await;
    let path = format!("/api/recordings/{id}");
    for (range, first, last) in [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-1999", 1000, 1999),
        ("bytes=-500", len - 500, len - 1),
        ("bytes=5000-", 5000, len - 1),
    ] {
        let resp = app.get(&boss, &path, Some(range)).await;
        assert_eq!(resp.status(), 206, "{range}");
        assert_eq!(
            resp.headers()["content-range"],
            format!("bytes {first}-{last}/{len}").as_str(),
            "{range}"
        );
        assert_eq!(
            resp.headers()["content-length"],
            (last - first + 1).to_string().as_str()
        );
        assert_eq!(resp.bytes().await.unwrap(), whole[first..=last], "{range}");
    }
    let beyond = app.get(&boss, &path, Some(&format!("bytes={len}-"))).await;
    assert_eq!(beyond.status(), 416);
    assert_eq!(
        beyond.headers()["content-range"],
        format!("bytes */{len}").as_str()
    );

    let download = app.get(&boss, &format!("{path}?download=1"), None).await;
    assert_eq!(download.status(), 200);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
}

async fn only_agents_on_the_call_may_listen_and_every_listen_is_audited(backend: Backend) {
    let app = RecApp::spawn(backend).await;
    let (id, _) = one_recording(&app).await;
    let path = format!("/api/recordings/{id}");
    let sara = app.token("sara", TokenScope::Full).await;
    let reza = app.token("reza", TokenScope::Full).await;
    let root = app.token("root", TokenScope::Full).await;
    assert_eq!(
        app.get(&sara, &path, None).await.status(),
        200,
        "sara took the call"
    );
    assert_eq!(
        app.get(&reza, &path, None).await.status(),
        403,
        "reza did not"
    );
    assert_eq!(
        app.get(&root, &format!("{path}?download=1"), None)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.client
            .get(format!("{}{path}", app.url))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let audit = app.store.audit_log(50).await.unwrap();
    let plays: Vec<_> = audit
        .iter()
        .filter(|e| e.subject == format!("recording:{id}"))
        .map(|e| (e.action.as_str(), e.actor))
        .collect();
    let sara_id = app
        .store
        .user_by_username("sara")
        .await
        .unwrap()
        .unwrap()
        .id;
    let root_id = app
        .store
        .user_by_username("root")
        .await
        .unwrap()
        .unwrap()
        .id;
    assert!(
        plays.contains(&("recording.play", Some(sara_id))),
        "{plays:?}"
    );
    assert!(
        plays.contains(&("recording.download", Some(root_id))),
        "{plays:?}"
    );
    assert!(
        plays.iter().any(|(a, _)| *a == "recording.upload"),
        "{plays:?}"
    );
    let reza_id = app
        .store
        .user_by_username("reza")
        .await
        .unwrap()
        .unwrap()
        .id;
    assert!(
        !plays.iter().any(|(_, who)| *who == Some(reza_id)),
        "refused: not played"
    );
}

on_both_backends!(
    ranges_let_the_player_seek,
    only_agents_on_the_call_may_listen_and_every_listen_is_audited,
);
