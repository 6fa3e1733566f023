//! Calls in progress: saved, replaced, touched and closed per PBX, in one batch.

use std::sync::Arc;

use crm_core::{OpenCallRow, OpenCallWrite, Store};

use crate::support::conformance;

conformance!(open_calls_are_saved_replaced_and_closed);

fn save(linkedid: &str, state: &str, seen_at_ms: i64) -> OpenCallWrite {
    OpenCallWrite::Save(OpenCallRow {
        linkedid: linkedid.to_owned(),
        state: state.to_owned(),
        seen_at_ms,
    })
}

async fn open_calls_are_saved_replaced_and_closed(store: Arc<dyn Store>) {
    assert!(store.open_calls("main").await.expect("read").is_empty());
    store
        .write_open_calls(
            "main",
            &[
                save("1.0", r#"{"v":1}"#, 1_000),
                save("2.0", r#"{"v":1}"#, 1_000),
                save("1.0", r#"{"v":2}"#, 1_500),
            ],
        )
        .await
        .expect("write");
    store
        .write_open_calls("other", &[save("1.0", "{}", 7)])
        .await
        .expect("write another PBX");
    let open = store.open_calls("main").await.expect("read");
    assert_eq!(
        open,
        vec![
            OpenCallRow {
                linkedid: "1.0".into(),
                state: r#"{"v":2}"#.into(),
                seen_at_ms: 1_500
            },
            OpenCallRow {
                linkedid: "2.0".into(),
                state: r#"{"v":1}"#.into(),
                seen_at_ms: 1_000
            },
        ]
    );
    // Touching never moves a call's time backwards.
    store.touch_open_calls("main", 1_200).await.expect("touch");
    let seen: Vec<i64> = store
        .open_calls("main")
        .await
        .expect("read")
        .iter()
        .map(|c| c.seen_at_ms)
        .collect();
    assert_eq!(seen, [1_500, 1_200]);
    store
        .write_open_calls(
            "main",
            &[
                OpenCallWrite::Close {
                    linkedid: "1.0".into(),
                },
                OpenCallWrite::Close {
                    linkedid: "9.9".into(),
                },
            ],
        )
        .await
        .expect("close");
    let open = store.open_calls("main").await.expect("read");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].linkedid, "2.0");
    assert_eq!(store.open_calls("other").await.expect("read").len(), 1);
}
