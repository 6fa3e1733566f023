//! Shared numbers: a call from a number several contacts have is linked to none of them
//! until somebody picks one (link_call_contact, undecided_calls, call_candidates).

use std::sync::Arc;

use crm_core::{CallFilter, Store, StoreError};

use crate::fixtures::{call, contact};
use crate::support::conformance;

conformance!(a_shared_numbers_call_waits_for_a_pick,);

async fn a_shared_numbers_call_waits_for_a_pick(store: Arc<dyn Store>) {
    let ali = contact(&store, "Ali Rezaei", &["09121234567"]).await;
    let mina = contact(&store, "Mina Rezaei", &["+98 912 123 4567"]).await;
    let other = contact(&store, "Reza Karimi", &["09350000000"]).await;
    let id = store
        .record_call(&call("1795342964.0", "09121234567"))
        .await
        .expect("recorded");
    let row = store.get_call(id).await.expect("call");
    assert_eq!(
        row.contact, None,
        "a shared number's call is linked to nobody"
    );

    let mut both = vec![ali.id, mina.id];
    both.sort();
    assert_eq!(store.call_candidates(id).await.expect("candidates"), both);
    for who in [ali.id, mina.id] {
        let undecided = store
            .undecided_calls(who, &CallFilter::default())
            .await
            .expect("undecided");
        assert_eq!(undecided.len(), 1, "{who:?} sees the undecided call");
        assert_eq!(undecided[0].call.id, id);
        assert_eq!(undecided[0].candidates, both);
    }
    assert!(
        store
            .undecided_calls(other.id, &CallFilter::default())
            .await
            .expect("undecided")
            .is_empty()
    );
    assert!(
        store
            .list_calls(&CallFilter {
                contact: Some(ali.id),
                ..CallFilter::default()
            })
            .await
            .expect("list")
            .is_empty()
    );

    // A contact without the call's number is refused, and nothing changes.
    assert!(matches!(
        store.link_call_contact(id, other.id).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.get_call(id).await.expect("call").contact, None);

    // Picking one with the number links the call to her.
    let linked = store.link_call_contact(id, mina.id).await.expect("linked");
    assert_eq!(linked.contact, Some(mina.id));
    assert_eq!(
        store.get_call(id).await.expect("call").contact,
        Some(mina.id)
    );
    for who in [ali.id, mina.id] {
        assert!(
            store
                .undecided_calls(who, &CallFilter::default())
                .await
                .expect("undecided")
                .is_empty(),
            "no longer undecided for {who:?}"
        );
    }
    let hers = store
        .list_calls(&CallFilter {
            contact: Some(mina.id),
            ..CallFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(hers.len(), 1);
    assert_eq!(hers[0].id, id);
    let mina = store.get_contact(mina.id).await.expect("contact");
    assert_eq!(
        mina.last_interaction_at_ms,
        Some(row.started_at_ms),
        "the picked contact's last interaction is the call"
    );
    // A replay of the call by the PBX keeps the pick.
    store
        .record_call(&call("1795342964.0", "09121234567"))
        .await
        .expect("replayed");
    assert_eq!(
        store.get_call(id).await.expect("call").contact,
        Some(mina.id)
    );
    // So does a corrected version that does update the row.
    let mut corrected = call("1795342964.0", "09121234567");
    corrected.hold_ms = Some(1500);
    store.record_call(&corrected).await.expect("corrected");
    let row = store.get_call(id).await.expect("call");
    assert_eq!(row.hold_ms, Some(1500));
    assert_eq!(row.contact, Some(mina.id), "the pick survives a PBX update");
    // The pick can be changed to the other contact with the number.
    let relinked = store.link_call_contact(id, ali.id).await.expect("relinked");
    assert_eq!(relinked.contact, Some(ali.id));
}
