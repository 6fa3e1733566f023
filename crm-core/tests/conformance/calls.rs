//! The call log: the idempotent upsert, matching at write time, wrap-up, listing.

use std::sync::Arc;

use crm_core::{CallFilter, CallId, CallSegment, ContactUpdate, Store, StoreError, WrapUp};

use crate::fixtures::{call, contact, user};
use crate::support::conformance;

conformance!(
    the_same_record_twice_is_one_unchanged_row,
    a_more_complete_version_updates_a_less_complete_one_never_does,
    wrapup_is_never_overwritten_by_the_pbx,
    contact_and_agent_are_matched_at_write_time,
    a_shared_number_matches_nobody_not_even_the_answering_agents_own_contact,
    earlier_calls_join_a_contact_created_later,
    calls_are_listed_by_contact_time_and_agent,
    many_calls_list_with_their_legs,
    a_periods_facts_are_its_rows_facts_oldest_first,
    bad_call_records_are_refused,
    a_transferred_call_keeps_each_agents_segment,
);

async fn the_same_record_twice_is_one_unchanged_row(store: Arc<dyn Store>) {
    let record = call("1795342964.0", "09121234567");
    let first = store.record_call(&record).await.expect("recorded");
    let row = store.get_call(first).await.expect("row");
    let second = store.record_call(&record).await.expect("recorded again");
    assert_eq!(first, second);
    assert_eq!(
        store.get_call(first).await.expect("row"),
        row,
        "nothing changed"
    );
    let calls = store
        .list_calls(&CallFilter::default())
        .await
        .expect("list");
    assert_eq!(calls.len(), 1);
    assert_eq!(row.customer_number_e164.as_deref(), Some("+989121234567"));
    assert_eq!(row.talk_ms, Some(8284));
    assert_eq!(row.wait_ms, Some(20_009));
    assert_eq!(row.transfers, serde_json::json!([]));
    assert_eq!(row.agents_rung.len(), 2);
    assert_eq!(row.agents_rung[0].result, crm_core::LegResult::RingNoAnswer);
    assert_eq!(row.agents_rung[0].talk_ms, None);
    assert_eq!(row.agents_rung[1].ring_ms, Some(5007));
    assert_eq!(
        row.agents_rung[1].talk_ms,
        Some(8284),
        "the answering agent talked"
    );
    let by_linkedid = store
        .call_by_linkedid("asterisk", "1795342964.0")
        .await
        .expect("query")
        .expect("found");
    assert_eq!(by_linkedid, row);
    assert!(
        store
            .call_by_linkedid("asterisk", "nope")
            .await
            .expect("query")
            .is_none()
    );
    // Another PBX with the same Linkedid is another call.
    let mut other = record.clone();
    other.pbx = "branch".into();
    assert_ne!(store.record_call(&other).await.expect("recorded"), first);
}

async fn a_more_complete_version_updates_a_less_complete_one_never_does(store: Arc<dyn Store>) {
    let mut open = call("1795343347.0", "09121234567");
    open.ended_at_ms = None;
    open.end_known = false;
    open.talk_ms = None;
    open.hangup_by = None;
    open.recording_file = None;
    let id = store.record_call(&open).await.expect("still open");
    assert_eq!(store.get_call(id).await.expect("row").ended_at_ms, None);

    let mut estimated = call("1795343347.0", "09121234567");
    estimated.end_known = false;
    estimated.talk_ms = Some(4002);
    estimated.hangup_by = None;
    assert_eq!(store.record_call(&estimated).await.expect("ended"), id);
    let row = store.get_call(id).await.expect("row");
    assert_eq!(row.talk_ms, Some(4002));
    assert!(!row.end_known);

    let mut exact = estimated.clone();
    exact.end_known = true;
    exact.talk_ms = Some(4100);
    exact.hangup_by = Some(crm_core::HangupBy::Customer);
    store.record_call(&exact).await.expect("more complete");
    let complete = store.get_call(id).await.expect("row");
    assert_eq!(complete.talk_ms, Some(4100));
    assert!(complete.end_known);

    store.record_call(&estimated).await.expect("less complete");
    store.record_call(&open).await.expect("least complete");
    assert_eq!(
        store.get_call(id).await.expect("row"),
        complete,
        "a less complete version never overwrites"
    );
    // As complete but different (a late transfer fix-up): the later one wins.
    let mut corrected = exact.clone();
    corrected.hold_ms = Some(1500);
    store.record_call(&corrected).await.expect("corrected");
    assert_eq!(store.get_call(id).await.expect("row").hold_ms, Some(1500));
    assert_eq!(
        store
            .list_calls(&CallFilter::default())
            .await
            .expect("list")
            .len(),
        1
    );
}

async fn wrapup_is_never_overwritten_by_the_pbx(store: Arc<dyn Store>) {
    let mut estimated = call("7.1", "09121234567");
    estimated.end_known = false;
    let id = store.record_call(&estimated).await.expect("recorded");
    let wrapup = WrapUp {
        outcome: " info ".into(),
        resolved: Some(false),
        note: Some("will call back about the invoice".into()),
        wrapup_ms: Some(42_000),
    };
    let row = store.save_wrapup(id, &wrapup).await.expect("wrap-up");
    assert_eq!(row.wrapup_outcome.as_deref(), Some("info"));
    assert_eq!(row.wrapup_resolved, Some(false));
    assert_eq!(row.wrapup_ms, Some(42_000));
    assert!(row.wrapup_at_ms.is_some());
    // The PBX side writes a more complete version, then replays it.
    let exact = call("7.1", "09121234567");
    store.record_call(&exact).await.expect("more complete");
    store.record_call(&exact).await.expect("replayed");
    let row = store.get_call(id).await.expect("row");
    assert!(row.end_known);
    assert_eq!(row.wrapup_outcome.as_deref(), Some("info"));
    assert_eq!(row.wrapup_resolved, Some(false));
    assert_eq!(
        row.wrapup_note.as_deref(),
        Some("will call back about the invoice")
    );
    assert_eq!(row.wrapup_ms, Some(42_000));

    let blank = WrapUp {
        outcome: "  ".into(),
        ..WrapUp::default()
    };
    assert!(matches!(
        store.save_wrapup(id, &blank).await,
        Err(StoreError::Invalid(_))
    ));
    let fine = WrapUp {
        outcome: "sale".into(),
        ..WrapUp::default()
    };
    assert!(matches!(
        store.save_wrapup(CallId(9999), &fine).await,
        Err(StoreError::NotFound)
    ));

    // The per-call figures are stored beside the wrap-up, and a replay keeps them.
    let figures = crm_core::CallMetrics {
        service_level_met: Some(true),
        first_contact: Some(true),
        fcr_status: Some(crm_core::FcrStatus::Unresolved),
        computed_at_ms: Some(1_795_000_000_000),
    };
    store.set_call_metrics(id, &figures).await.expect("figures");
    store.record_call(&exact).await.expect("replayed again");
    assert_eq!(store.get_call(id).await.expect("row").metrics, figures);
    // A new wrap-up can change them: they are kept, but as not computed since.
    store.save_wrapup(id, &fine).await.expect("wrap-up again");
    let cleared = store.get_call(id).await.expect("row").metrics;
    assert_eq!(
        cleared,
        crm_core::CallMetrics {
            computed_at_ms: None,
            ..figures.clone()
        }
    );
    assert!(matches!(
        store.set_call_metrics(CallId(9999), &figures).await,
        Err(StoreError::NotFound)
    ));
}

async fn contact_and_agent_are_matched_at_write_time(store: Arc<dyn Store>) {
    let sara = user(&store, "sara", Some("1001")).await;
    let ali = contact(&store, "Ali Rezaei", &["+98 912 123 4567"]).await;
    let id = store
        .record_call(&call("1.1", "۰۹۱۲ ۱۲۳ ۴۵۶۷"))
        .await
        .expect("recorded");
    let row = store.get_call(id).await.expect("call");
    assert_eq!(row.contact, Some(ali.id));
    assert_eq!(row.answered_by_user, Some(sara.id));
    assert_eq!(row.customer_number_raw.as_deref(), Some("۰۹۱۲ ۱۲۳ ۴۵۶۷"));
    assert_eq!(row.customer_number_e164.as_deref(), Some("+989121234567"));
    let unknown = store
        .record_call(&call("1.2", "09350000000"))
        .await
        .expect("recorded");
    assert_eq!(store.get_call(unknown).await.expect("call").contact, None);
    let ali = store.get_contact(ali.id).await.expect("contact");
    assert_eq!(
        ali.last_interaction_at_ms,
        Some(call("1.1", "").started_at_ms)
    );
    // A contact matched once stays, even when a new version arrives after another
    // contact got the number.
    let other = contact(&store, "Someone else", &["09121234567"]).await;
    let mut corrected = call("1.1", "۰۹۱۲ ۱۲۳ ۴۵۶۷");
    corrected.hold_ms = Some(2000);
    store.record_call(&corrected).await.expect("corrected");
    let row = store.get_call(id).await.expect("call");
    assert_eq!(row.hold_ms, Some(2000));
    assert_eq!(row.contact, Some(ali.id));
    assert_ne!(row.contact, Some(other.id));
}

async fn a_shared_number_matches_nobody_not_even_the_answering_agents_own_contact(
    store: Arc<dyn Store>,
) {
    let sara = user(&store, "sara", Some("1001")).await;
    let shared_a = contact(&store, "Switchboard A", &["02144556677"]).await;
    let shared_b = contact(&store, "Switchboard B", &["02144556677"]).await;
    store
        .update_contact(
            shared_b.id,
            &ContactUpdate {
                owner: Some(Some(sara.id)),
                ..ContactUpdate::default()
            },
        )
        .await
        .expect("owner");
    // Several contacts have the number: the call waits for a pick, whoever answers (1001
    // is Sara, who owns B).
    let mut earlier = call("2.1", "02144556677");
    earlier.answered_by_extension = Some("1009".into());
    let first = store.record_call(&earlier).await.expect("earlier");
    assert_eq!(store.get_call(first).await.expect("row").contact, None);
    let mut later = call("2.2", "02144556677");
    later.started_at_ms += 1_000_000;
    let id = store.record_call(&later).await.expect("later");
    assert_eq!(store.get_call(id).await.expect("row").contact, None);
    let mut both = vec![shared_a.id, shared_b.id];
    both.sort();
    assert_eq!(store.call_candidates(id).await.expect("candidates"), both);
}

async fn earlier_calls_join_a_contact_created_later(store: Arc<dyn Store>) {
    let id = store
        .record_call(&call("3.1", "09121234567"))
        .await
        .expect("unknown caller");
    assert_eq!(store.get_call(id).await.expect("row").contact, None);
    // The agent creates the contact from the popup after the call.
    let ali = contact(&store, "Ali", &["0912 123 4567"]).await;
    assert_eq!(store.get_call(id).await.expect("row").contact, Some(ali.id));
    assert_eq!(
        store
            .get_contact(ali.id)
            .await
            .expect("contact")
            .last_interaction_at_ms,
        Some(call("3.1", "").started_at_ms)
    );
    // A number added later brings its calls too, but never takes another contact's.
    let other = store
        .record_call(&call("3.2", "09350000000"))
        .await
        .expect("unknown");
    let negar = contact(&store, "Negar", &["09350000000"]).await;
    let ali_phone = crate::fixtures::phone(&store, "09350000000", "shared");
    store.add_phone(ali.id, &ali_phone).await.expect("phone");
    assert_eq!(
        store.get_call(other).await.expect("row").contact,
        Some(negar.id)
    );
}

async fn calls_are_listed_by_contact_time_and_agent(store: Arc<dyn Store>) {
    let ali = contact(&store, "Ali Rezaei", &["09121234567"]).await;
    let mut first = call("4.1", "09121234567");
    first.started_at_ms = 1_000;
    let mut second = call("4.2", "09350000000");
    second.started_at_ms = 2_000;
    second.answered_by_extension = Some("1003".into());
    second.agent_extension = Some("1003".into());
    second.agents_rung.truncate(1); // 1002 rang, did not answer
    let mut third = call("4.3", "09121234567");
    third.started_at_ms = 3_000;
    for c in [&first, &second, &third] {
        store.record_call(c).await.expect("recorded");
    }
    let linkedids =
        |calls: Vec<crm_core::CallRow>| calls.into_iter().map(|c| c.linkedid).collect::<Vec<_>>();
    let list = |filter: CallFilter| {
        let store = Arc::clone(&store);
        async move { store.list_calls(&filter).await.expect("list") }
    };
    assert_eq!(
        linkedids(list(CallFilter::default()).await),
        vec!["4.3", "4.2", "4.1"],
        "newest first"
    );
    let of_ali = CallFilter {
        contact: Some(ali.id),
        ..CallFilter::default()
    };
    assert_eq!(linkedids(list(of_ali).await), vec!["4.3", "4.1"]);
    let window = CallFilter {
        from_ms: Some(2_000),
        to_ms: Some(3_000),
        ..CallFilter::default()
    };
    assert_eq!(linkedids(list(window).await), vec!["4.2"]);
    let agent = |ext: &str| CallFilter {
        agent_extension: Some(ext.into()),
        ..CallFilter::default()
    };
    assert_eq!(linkedids(list(agent("1001")).await), vec!["4.3", "4.1"]);
    assert_eq!(linkedids(list(agent("1003")).await), vec!["4.2"]);
    assert_eq!(
        linkedids(list(agent("1002")).await),
        vec!["4.3", "4.2", "4.1"],
        "rung counts"
    );
    assert!(list(agent("1009")).await.is_empty());
    let one = CallFilter {
        limit: 1,
        ..CallFilter::default()
    };
    assert_eq!(linkedids(list(one).await), vec!["4.3"]);
}

async fn many_calls_list_with_their_legs(store: Arc<dyn Store>) {
    for i in 0..520 {
        let mut c = call(&format!("5.{i}"), "09121234567");
        c.started_at_ms = i;
        store.record_call(&c).await.expect("recorded");
    }
    let all = CallFilter {
        limit: 10_000,
        ..CallFilter::default()
    };
    let calls = store.list_calls(&all).await.expect("list");
    assert_eq!(calls.len(), 520);
    assert!(calls.iter().all(|c| c.agents_rung.len() == 2));
}

async fn a_periods_facts_are_its_rows_facts_oldest_first(store: Arc<dyn Store>) {
    for i in 0..5 {
        let mut c = call(&format!("7.{i}"), "09121234567");
        c.started_at_ms = 1_000 * i;
        store.record_call(&c).await.expect("recorded");
    }
    let calls = store
        .list_calls(&CallFilter::default())
        .await
        .expect("list");
    let wrapped = calls
        .iter()
        .find(|c| c.started_at_ms == 2_000)
        .expect("call");
    let wrapup = WrapUp {
        outcome: "sale".into(),
        resolved: Some(false),
        wrapup_ms: Some(12_000),
        ..WrapUp::default()
    };
    store
        .save_wrapup(wrapped.id, &wrapup)
        .await
        .expect("wrap-up");
    let figures = crm_core::CallMetrics {
        service_level_met: Some(false),
        first_contact: Some(true),
        fcr_status: Some(crm_core::FcrStatus::Unresolved),
        computed_at_ms: Some(9),
    };
    store
        .set_call_metrics(wrapped.id, &figures)
        .await
        .expect("figures");

    // [1 s, 4 s): the three calls started in it, oldest first, as their rows say.
    let facts = store.call_facts(1_000, 4_000).await.expect("facts");
    let mut rows = Vec::new();
    for at in [1_000, 2_000, 3_000] {
        let id = calls
            .iter()
            .find(|c| c.started_at_ms == at)
            .expect("call")
            .id;
        rows.push(store.get_call(id).await.expect("row").facts());
    }
    assert_eq!(facts, rows);
    assert_eq!(facts[1].wrapup_resolved, Some(false));
    assert_eq!(facts[1].wrapup_ms, Some(12_000));
    assert_eq!(facts[1].metrics, figures);
    assert_eq!(
        facts[0].customer_number_e164.as_deref(),
        Some("+989121234567")
    );
    assert!(
        store
            .call_facts(5_000, i64::MAX)
            .await
            .expect("none")
            .is_empty()
    );
}

async fn bad_call_records_are_refused(store: Arc<dyn Store>) {
    let cases: [fn(&mut crm_core::CallRecordInput); 4] = [
        |c: &mut crm_core::CallRecordInput| c.linkedid.clear(),
        |c: &mut crm_core::CallRecordInput| c.pbx = " ".into(),
        |c: &mut crm_core::CallRecordInput| c.linkedid = "x".repeat(200),
        |c: &mut crm_core::CallRecordInput| c.pbx = "x".repeat(200),
    ];
    // A direction or disposition that is no call's word cannot even be read in.
    for (field, word) in [("direction", ""), ("disposition", "xxx")] {
        let mut json = serde_json::to_value(call("6.1", "09121234567")).expect("json");
        json[field] = word.into();
        assert!(serde_json::from_value::<crm_core::CallRecordInput>(json).is_err());
    }
    for broken in cases {
        let mut record = call("6.1", "09121234567");
        broken(&mut record);
        assert!(matches!(
            store.record_call(&record).await,
            Err(StoreError::Invalid(_))
        ));
    }
    // No customer number, or one that is not a number: kept as given.
    let mut anonymous = call("6.2", "anonymous");
    let id = store.record_call(&anonymous).await.expect("recorded");
    let row = store.get_call(id).await.expect("row");
    assert_eq!(row.customer_number_raw.as_deref(), Some("anonymous"));
    assert_eq!(row.customer_number_e164, None);
    anonymous.linkedid = "6.3".into();
    anonymous.customer_number_raw = None;
    store.record_call(&anonymous).await.expect("recorded");
}

/// Capture 05-attended-transfer: 1001 answers, transfers to 1003, who talks last and hangs
/// up. Each agent's part is kept, the answering agent's leg has their own talk only, and the
/// target's calls list it.
async fn a_transferred_call_keeps_each_agents_segment(store: Arc<dyn Store>) {
    let mut record = call("1796454079.31", "09121234567");
    record.agents_rung.remove(0);
    record.answered_by_extension = Some("1001".into());
    record.agent_extension = Some("1001".into());
    record.agents_rung[0].extension = Some("1001".into());
    record.talk_ms = Some(19_452);
    record.hangup_by = Some(crm_core::HangupBy::Agent);
    record.hangup_by_extension = Some("1003".into());
    record.transfers = serde_json::json!([{"kind": "attended", "to_extension": "1003"}]);
    record.agent_segments = vec![
        CallSegment {
            extension: "1001".into(),
            connected_at_ms: 1_796_454_081_370,
            talk_ms: Some(14_010),
        },
        CallSegment {
            extension: "1003".into(),
            connected_at_ms: 1_796_454_088_814,
            talk_ms: Some(12_008),
        },
    ];
    let id = store.record_call(&record).await.expect("recorded");
    let row = store.get_call(id).await.expect("row");
    assert_eq!(row.agent_segments, record.agent_segments);
    assert_eq!(row.agents_rung.len(), 1);
    assert_eq!(row.agents_rung[0].talk_ms, Some(14_010), "1001's own part");
    assert_eq!(row.hangup_by_extension.as_deref(), Some("1003"));
    assert_eq!(row.agents(), ["1003", "1001"], "who talked last first");
    assert!(row.involves("1003") && !row.involves("1002"));
    let of = |ext: &str| CallFilter {
        agent_extension: Some(ext.into()),
        ..CallFilter::default()
    };
    for ext in ["1001", "1003"] {
        let calls = store.list_calls(&of(ext)).await.expect("list");
        assert_eq!(calls.len(), 1, "{ext} took part");
        assert_eq!(calls[0].agent_segments.len(), 2);
    }
    assert!(
        store
            .list_calls(&of("1002"))
            .await
            .expect("list")
            .is_empty()
    );
    // A later version with fewer segments replaces them all.
    record.agent_segments.truncate(1);
    record.ended_at_ms = record.ended_at_ms.map(|e| e + 1);
    store.record_call(&record).await.expect("recorded again");
    let row = store.get_call(id).await.expect("row");
    assert_eq!(row.agent_segments.len(), 1);
}
