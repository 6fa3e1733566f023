//! Retention: old recordings go (file, metadata, an audit entry stays), kept calls stay.

use std::sync::Arc;

use app::recording_desk::RecordingDesk;
use crm_core::TokenScope;

use crate::app::RecApp;
use crate::support::{Backend, on_both_backends};

async fn old_recordings_are_deleted_except_kept_calls(backend: Backend) {
    let app = RecApp::spawn(backend).await;
    let ingest = app.token("root", TokenScope::Ingest).await;
    let kept = app.call("1795342979.0", "inbound", "1001").await;
    let gone = app.call("1795343013.12", "inbound", "1001").await;
    for id in ["1795342979.0", "1795343013.12"] {
        assert_eq!(app.upload_fixture(&ingest, id, true).await.status(), 201);
    }
    app.store.set_call_keep(kept, true).await.unwrap();
    let files_before = app.stored_files();
    let desk = RecordingDesk {
        files: recordings::RecordingStore::new(&app.data),
        settings: recordings::IngestSettings::default(),
        pbx: "asterisk".into(),
        max_upload_bytes: 512 * 1024 * 1024,
    };
    let store: Arc<dyn crm_core::Store> = Arc::clone(&app.store);
    let now = app::clock::now_ms();
    // Nothing is 30 days old yet.
    assert_eq!(
        app::recording_jobs::retention::run_once(&store, &desk, now, 30)
            .await
            .unwrap(),
        0
    );
    let later = now + 31 * 24 * 60 * 60 * 1000;
    let deleted = app::recording_jobs::retention::run_once(&store, &desk, later, 30)
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    assert!(app.store.recordings_of_call(gone).await.unwrap().is_empty());
    assert_eq!(app.store.recordings_of_call(kept).await.unwrap().len(), 1);
    assert_eq!(
        app.stored_files(),
        files_before - 1,
        "the stereo file is gone"
    );
    let audit = app.store.audit_log(50).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "recording.delete"));
}

on_both_backends!(old_recordings_are_deleted_except_kept_calls,);
