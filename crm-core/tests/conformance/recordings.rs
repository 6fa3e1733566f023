//! Recordings' metadata, linked to their call however they arrive.

use std::sync::Arc;

use crm_core::{EMPTY_STATUS, NewRecording, Store, StoreError};

use crate::fixtures::call;
use crate::support::conformance;

conformance!(
    recordings_find_their_call_in_any_order,
    bad_recordings_are_refused,
    retention_skips_kept_calls_and_keeps_shared_files,
    empty_recordings_need_no_file,
    spool_files_are_taken_once,
    recordings_of_another_channel_find_their_call_by_file_name
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
        peaks: vec![0, 17, 255],
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

async fn retention_skips_kept_calls_and_keeps_shared_files(store: Arc<dyn Store>) {
    let kept_call = store
        .record_call(&call("2.1", "09121234567"))
        .await
        .unwrap();
    let plain_call = store
        .record_call(&call("2.2", "09121234567"))
        .await
        .unwrap();
    let kept = store.add_recording(&recording("2.1", 'a')).await.unwrap();
    let plain = store.add_recording(&recording("2.2", 'b')).await.unwrap();
    // The same content under another Uniqueid (a duplicate upload for another channel).
    let shared = store
        .add_recording(&NewRecording {
            uniqueid: Some("2.2-again".into()),
            ..recording("2.2", 'b')
        })
        .await
        .unwrap();
    assert_eq!(plain.peaks, vec![0, 17, 255]);
    assert!(!store.call_kept(kept_call).await.unwrap());
    store.set_call_keep(kept_call, true).await.unwrap();
    assert!(store.call_kept(kept_call).await.unwrap());
    assert!(!store.call_kept(plain_call).await.unwrap());

    let future = shared.created_at_ms + 1;
    let old = store.recordings_older_than(future, 100).await.unwrap();
    let ids: Vec<_> = old.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![plain.id, shared.id]);
    assert!(
        store
            .recordings_older_than(kept.created_at_ms - 1, 100)
            .await
            .unwrap()
            .is_empty()
    );

    assert!(
        store.delete_recording(plain.id).await.unwrap(),
        "the file is still used"
    );
    assert!(
        !store.delete_recording(shared.id).await.unwrap(),
        "last user of the file"
    );
    assert!(matches!(
        store.get_recording(plain.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_recording(plain.id).await,
        Err(StoreError::NotFound)
    ));

    store.set_call_keep(kept_call, false).await.unwrap();
    let old = store.recordings_older_than(future, 100).await.unwrap();
    assert_eq!(old.iter().map(|r| r.id).collect::<Vec<_>>(), vec![kept.id]);
    assert!(matches!(
        store.set_call_keep(crm_core::CallId(9999), true).await,
        Err(StoreError::NotFound)
    ));
}

async fn empty_recordings_need_no_file(store: Arc<dyn Store>) {
    let empty = store
        .add_recording(&NewRecording {
            path: String::new(),
            bytes: 44,
            duration_ms: Some(0),
            status: EMPTY_STATUS.into(),
            peaks: Vec::new(),
            ..recording("3.1", 'e')
        })
        .await
        .unwrap();
    assert!(empty.is_empty());
    assert!(empty.peaks.is_empty());
    let stored = store.add_recording(&recording("3.1", 'f')).await.unwrap();
    assert!(!stored.is_empty());
}

async fn spool_files_are_taken_once(store: Arc<dyn Store>) {
    assert!(!store.spool_file_taken("/spool/1.0.wav:44:1").await.unwrap());
    assert!(store.take_spool_file("/spool/1.0.wav:44:1").await.unwrap());
    assert!(!store.take_spool_file("/spool/1.0.wav:44:1").await.unwrap());
    assert!(store.spool_file_taken("/spool/1.0.wav:44:1").await.unwrap());
    assert!(!store.spool_file_taken("/spool/1.0.wav:44:2").await.unwrap());
}

async fn recordings_of_another_channel_find_their_call_by_file_name(store: Arc<dyn Store>) {
    // The agent's channel 4.5 was recorded; the call's Linkedid is 4.4.
    let early = store
        .add_recording(&NewRecording {
            linkedid: Some("4.5".into()),
            uniqueid: Some("4.5".into()),
            ..recording("4.5", 'a')
        })
        .await
        .unwrap();
    assert_eq!(
        store.call_of_recording("asterisk", "4.5").await.unwrap(),
        None
    );
    let mut input = call("4.4", "09121234567");
    input.recording_file = Some("/var/spool/asterisk/monitor/4.5.wav".into());
    let id = store.record_call(&input).await.unwrap();
    let linked = store.get_recording(early.id).await.unwrap();
    assert_eq!(linked.call, Some(id));
    assert_eq!(linked.linkedid.as_deref(), Some("4.4"));
    assert_eq!(
        store.call_of_recording("asterisk", "4.5").await.unwrap(),
        Some(id)
    );
    assert_eq!(
        store.call_of_recording("asterisk", "4.4").await.unwrap(),
        Some(id)
    );
    assert_eq!(
        store.call_of_recording("asterisk", "4.").await.unwrap(),
        None
    );
    assert_eq!(store.call_of_recording("other", "4.5").await.unwrap(), None);
}
