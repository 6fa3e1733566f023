//! Recordings' metadata, linked to their call however they arrive.

use std::sync::Arc;

use crm_core::{NewRecording, Store, StoreError};

use crate::fixtures::call;
use crate::support::conformance;

conformance!(
    recordings_find_their_call_in_any_order,
    bad_recordings_are_refused
);

fn recording(linkedid: &str, sha: char) -> NewRecording {
    NewRecording {
        call: None,
        pbx: "asterisk".into(),
        linkedid: Some(linkedid.into()),
        uniqueid: Some(linkedid.into()),
        sha256: sha.to_string().repeat(64),
        path: format!("{sha}{sha}/{}", sha.to_string().repeat(64)),
        bytes: 160_044,
        duration_ms: Some(10_000),
        sample_rate: Some(8_000),
        channels: Some(2),
        status: "stored".into(),
    }
}

async fn recordings_find_their_call_in_any_order(store: Arc<dyn Store>) {
    // Before its call is written (the file came first)…
    let early = store
        .add_recording(&recording("1.1", 'a'))
        .await
        .expect("registered");
    assert_eq!(early.call, None);
    let id = store
        .record_call(&call("1.1", "09121234567"))
        .await
        .expect("call");
    assert_eq!(
        store.get_recording(early.id).await.expect("get").call,
        Some(id)
    );
    // …or after.
    let late = store
        .add_recording(&recording("1.1", 'b'))
        .await
        .expect("registered");
    assert_eq!(late.call, Some(id));
    assert_eq!(late.channels, Some(2));
    let of_call = store.recordings_of_call(id).await.expect("list");
    assert_eq!(
        of_call.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![early.id, late.id]
    );
    // The same upload again is the same row.
    let again = store
        .add_recording(&recording("1.1", 'b'))
        .await
        .expect("again");
    assert_eq!(again.id, late.id);
    assert_eq!(store.recordings_of_call(id).await.expect("list").len(), 2);
    // Given the call outright.
    let other = store
        .record_call(&call("1.2", "09121234567"))
        .await
        .expect("call");
    let direct = NewRecording {
        call: Some(other),
        linkedid: None,
        uniqueid: None,
        ..recording("1.2", 'c')
    };
    assert_eq!(
        store.add_recording(&direct).await.expect("registered").call,
        Some(other)
    );
}

async fn bad_recordings_are_refused(store: Arc<dyn Store>) {
    let cases = [
        NewRecording {
            sha256: "xyz".into(),
            ..recording("1.1", 'a')
        },
        NewRecording {
            sha256: "A".repeat(64),
            ..recording("1.1", 'a')
        },
        NewRecording {
            path: " ".into(),
            ..recording("1.1", 'a')
        },
        NewRecording {
            bytes: -1,
            ..recording("1.1", 'a')
        },
    ];
    for case in cases {
        assert!(matches!(
            store.add_recording(&case).await,
            Err(StoreError::Invalid(_))
        ));
    }
    assert!(matches!(
        store.get_recording(crm_core::RecordingId(9999)).await,
        Err(StoreError::NotFound)
    ));
}
