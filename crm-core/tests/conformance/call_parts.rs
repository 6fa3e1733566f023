//! What agents add to a call (migration 0008): a contact picked while the call is in
//! progress, applied when the call is written (and kept across a new connection, as after a
//! restart); each agent's own wrap-up of a transferred call, the call's own being its last
//! talker's; and a failed click-to-call's reason.

use std::sync::Arc;

use crm_core::{CallSegment, Store, StoreError, WrapUp};

use crate::fixtures::{call, contact};
use crate::support::conformance;

conformance!(
    a_pick_during_the_call_links_it_when_written,
    a_pick_for_a_logged_call_links_it_at_once,
    each_agent_keeps_their_own_wrapup,
    a_failure_reason_is_stored_with_the_call,
);

async fn a_pick_during_the_call_links_it_when_written(store: Arc<dyn Store>) {
    let ali = contact(&store, "Ali Rezaei", &["09121234567"]).await;
    let mina = contact(&store, "Mina Rezaei", &["+98 912 123 4567"]).await;
    let other = contact(&store, "Reza Karimi", &["09350000000"]).await;
    // Picked while the call is in progress: nothing to link yet.
    let now = store
        .remember_contact_pick("asterisk", "1795342964.0", mina.id)
        .await
        .expect("pick remembered");
    assert_eq!(now, None, "the call is not in the log yet");
    assert!(matches!(
        store
            .remember_contact_pick("asterisk", "1795342964.0", crm_core::ContactId(999_999))
            .await,
        Err(StoreError::NotFound)
    ));
    // A pick of a contact without the number is not applied; the call waits for a pick.
    store
        .remember_contact_pick("asterisk", "1795342999.0", other.id)
        .await
        .expect("pick remembered");
    let unrelated = store
        .record_call(&call("1795342999.0", "09121234567"))
        .await
        .expect("recorded");
    assert_eq!(store.get_call(unrelated).await.expect("call").contact, None);

    // The call ends and is written: linked to the contact picked.
    let id = store
        .record_call(&call("1795342964.0", "09121234567"))
        .await
        .expect("recorded");
    let row = store.get_call(id).await.expect("call");
    assert_eq!(row.contact, Some(mina.id), "the pick is applied");
    assert_ne!(row.contact, Some(ali.id));
    // Written again (a more complete version, a replay): still hers.
    let mut again = call("1795342964.0", "09121234567");
    again.end_known = false;
    store.record_call(&again).await.expect("recorded");
    assert_eq!(
        store.get_call(id).await.expect("call").contact,
        Some(mina.id)
    );
}

async fn a_pick_for_a_logged_call_links_it_at_once(store: Arc<dyn Store>) {
    contact(&store, "Ali Rezaei", &["09121234567"]).await;
    let mina = contact(&store, "Mina Rezaei", &["09121234567"]).await;
    let other = contact(&store, "Reza Karimi", &["09350000000"]).await;
    let id = store
        .record_call(&call("1795342964.0", "09121234567"))
        .await
        .expect("recorded");
    assert!(matches!(
        store
            .remember_contact_pick("asterisk", "1795342964.0", other.id)
            .await,
        Err(StoreError::Invalid(_))
    ));
    let linked = store
        .remember_contact_pick("asterisk", "1795342964.0", mina.id)
        .await
        .expect("picked")
        .expect("the logged call is linked at once");
    assert_eq!((linked.id, linked.contact), (id, Some(mina.id)));
}

fn wrapup(outcome: &str, resolved: bool, note: &str) -> WrapUp {
    WrapUp {
        outcome: outcome.into(),
        resolved: Some(resolved),
        note: Some(note.into()),
        wrapup_ms: Some(4_000),
    }
}

async fn each_agent_keeps_their_own_wrapup(store: Arc<dyn Store>) {
    // Capture 05-attended-transfer: 1001 answers, 1003 talks last.
    let mut record = call("1795343100.0", "09121234567");
    record.agent_segments = vec![
        CallSegment {
            extension: "1001".into(),
            connected_at_ms: 1_795_342_984_728,
            talk_ms: Some(3_000),
        },
        CallSegment {
            extension: "1003".into(),
            connected_at_ms: 1_795_342_988_000,
            talk_ms: Some(5_000),
        },
    ];
    let id = store.record_call(&record).await.expect("recorded");

    let first = store
        .save_agent_wrapup(id, "1001", &wrapup("escalated", false, "passed to billing"))
        .await
        .expect("1001's wrap-up");
    assert_eq!(
        first.wrapup_outcome, None,
        "the call's wrap-up is its last talker's, not the first agent's"
    );
    let last = store
        .save_agent_wrapup(id, "1003", &wrapup("support", true, "refund issued"))
        .await
        .expect("1003's wrap-up");
    assert_eq!(last.wrapup_outcome.as_deref(), Some("support"));
    assert_eq!(last.wrapup_resolved, Some(true));
    assert_eq!(last.wrapup_note.as_deref(), Some("refund issued"));
    // 1001 changes theirs: the call's stays 1003's.
    store
        .save_agent_wrapup(id, "1001", &wrapup("info", false, "  escalated twice  "))
        .await
        .expect("1001 again");
    let row = store.get_call(id).await.expect("call");
    assert_eq!(row.wrapup_outcome.as_deref(), Some("support"));

    let parts = store.agent_wrapups(id).await.expect("wrap-ups");
    assert_eq!(parts.len(), 2, "one per agent, a second save replaces");
    let of = |ext: &str| {
        parts
            .iter()
            .find(|p| p.extension == ext)
            .map(|p| p.wrapup.clone())
            .expect("saved")
    };
    assert_eq!(of("1001").outcome, "info");
    assert_eq!(of("1001").note.as_deref(), Some("escalated twice"));
    assert_eq!(of("1001").resolved, Some(false));
    assert_eq!(of("1003").outcome, "support");
    assert_eq!(of("1003").wrapup_ms, Some(4_000));
    assert!(matches!(
        store
            .save_agent_wrapup(id, "1001", &wrapup(" ", true, ""))
            .await,
        Err(StoreError::Invalid(_))
    ));

    // A call with one agent: their wrap-up is the call's.
    let single = store
        .record_call(&call("1795343200.0", "09121234567"))
        .await
        .expect("recorded");
    let row = store
        .save_agent_wrapup(single, "1001", &wrapup("sale", true, "sold"))
        .await
        .expect("saved");
    assert_eq!(row.wrapup_outcome.as_deref(), Some("sale"));
    assert_eq!(store.agent_wrapups(single).await.expect("parts").len(), 1);
}

async fn a_failure_reason_is_stored_with_the_call(store: Arc<dyn Store>) {
    let mut failed = call("ctc-0123456789abcdef", "09121234567");
    failed.direction = crm_core::Direction::Outbound;
    failed.disposition = crm_core::Disposition::Busy;
    failed.failure_reason = Some("agent_busy".into());
    let id = store.record_call(&failed).await.expect("recorded");
    let row = store.get_call(id).await.expect("call");
    assert_eq!(row.failure_reason.as_deref(), Some("agent_busy"));
    assert_eq!(row.disposition, crm_core::Disposition::Busy);
    let plain = store
        .record_call(&call("1795343300.0", "09121234567"))
        .await
        .expect("recorded");
    assert_eq!(
        store.get_call(plain).await.expect("call").failure_reason,
        None
    );
}
