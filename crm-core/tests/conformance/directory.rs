//! The directory cache: every write that changes a card is seen by the next lookup.

use std::sync::Arc;

use crm_core::{
    CallId, ContactCard, ContactId, ContactUpdate, NewCallback, NewTask, Store, TaskKind,
    TaskStatus, WrapUp,
};

use crate::fixtures::{call, contact, phone, user};
use crate::support::conformance;

conformance!(
    a_cached_lookup_sees_every_write,
    a_cached_lookup_sees_picks_agent_wrapups_and_callbacks,
    lookup_ranks_owner_first_then_recent,
    cards_carry_the_last_five_calls_and_open_tasks,
);

async fn a_cached_lookup_sees_every_write(store: Arc<dyn Store>) {
    let lookup = |number: &'static str| {
        let store = Arc::clone(&store);
        async move { store.lookup_number(number, None).await.expect("lookup") }
    };
    // A miss is cached too; a new contact with the number is seen.
    assert!(lookup("09121234567").await.is_empty());
    assert!(lookup("02144556677").await.is_empty());
    let ali = contact(&store, "Ali", &["02144556677"]).await;
    assert_eq!(lookup("02144556677").await.len(), 1);
    // A new number for an existing contact, after a cached miss for it.
    let mobile = store
        .add_phone(ali.id, &phone(&store, "09121234567", "mobile"))
        .await
        .expect("phone");
    let cards = lookup("09121234567").await;
    assert_eq!(cards.len(), 1);
    // …and the card cached under the other number shows it too.
    assert_eq!(lookup("+982144556677").await[0].contact.phones.len(), 2);
    // A rename, seen under both numbers.
    store
        .update_contact(
            ali.id,
            &ContactUpdate {
                name: Some("Ali Rezaei".into()),
                ..ContactUpdate::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(lookup("09121234567").await[0].contact.name, "Ali Rezaei");
    assert_eq!(lookup("02144556677").await[0].contact.name, "Ali Rezaei");
    // A new call from one number shows on the card cached under the other.
    let id = store
        .record_call(&call("2.1", "09121234567"))
        .await
        .expect("call");
    let cards = lookup("+982144556677").await;
    assert_eq!(cards[0].last_calls.len(), 1);
    assert!(cards[0].contact.last_interaction_at_ms.is_some());
    // A wrap-up.
    let wrapup = WrapUp {
        outcome: "sale".into(),
        ..WrapUp::default()
    };
    store.save_wrapup(id, &wrapup).await.expect("wrap-up");
    let cards = lookup("02144556677").await;
    assert_eq!(
        cards[0].last_calls[0].wrapup_outcome.as_deref(),
        Some("sale")
    );
    // A task opened and closed.
    let task = store
        .create_task(&NewTask {
            kind: TaskKind::Callback,
            title: "Call back".into(),
            contact: Some(ali.id),
            call: Some(id),
            assignee: None,
            due_at_ms: None,
        })
        .await
        .expect("task");
    assert_eq!(lookup("09121234567").await[0].open_tasks.len(), 1);
    store
        .set_task_status(task.id, TaskStatus::Done)
        .await
        .expect("done");
    assert!(lookup("09121234567").await[0].open_tasks.is_empty());
    // A number changed: found under the new one, no longer under the old one.
    store
        .update_phone(mobile.id, &phone(&store, "09350000000", "mobile"))
        .await
        .expect("changed");
    assert!(lookup("09121234567").await.is_empty());
    assert_eq!(lookup("09350000000").await.len(), 1);
    // A second contact on the same number; then the first deleted; then the number removed.
    let shop = contact(&store, "Kaveh Trading", &["021 4455 6677"]).await;
    assert_eq!(lookup("02144556677").await.len(), 2);
    store.delete_contact(ali.id).await.expect("delete");
    let cards = lookup("02144556677").await;
    assert_eq!(
        cards.iter().map(|c| c.contact.id).collect::<Vec<_>>(),
        vec![shop.id]
    );
    assert!(lookup("09350000000").await.is_empty());
    store.remove_phone(shop.phones[0].id).await.expect("remove");
    assert!(lookup("02144556677").await.is_empty());
}

/// The calls on `contact`'s card among `cards`, in the card's order.
fn calls_on(cards: &[ContactCard], contact: ContactId) -> Vec<CallId> {
    cards
        .iter()
        .filter(|card| card.contact.id == contact)
        .flat_map(|card| card.last_calls.iter().map(|call| call.id))
        .collect()
}

async fn a_cached_lookup_sees_picks_agent_wrapups_and_callbacks(store: Arc<dyn Store>) {
    let lookup_number = |number: &'static str| {
        let store = Arc::clone(&store);
        async move { store.lookup_number(number, None).await.expect("lookup") }
    };
    let lookup = || lookup_number("09121234567");
    let ali = contact(&store, "Ali", &["09121234567"]).await;
    // Mina shares Ali's number, and has one of her own.
    let mina = contact(&store, "Mina", &["+989121234567", "09350000000"]).await;
    // A shared number's call is on no card until somebody picks the contact.
    let first = store
        .record_call(&call("5.1", "09121234567"))
        .await
        .expect("call");
    let cards = lookup().await;
    assert!(calls_on(&cards, ali.id).is_empty() && calls_on(&cards, mina.id).is_empty());
    store
        .link_call_contact(first, mina.id)
        .await
        .expect("linked");
    let cards = lookup().await;
    assert_eq!(calls_on(&cards, mina.id), vec![first]);
    assert!(calls_on(&cards, ali.id).is_empty());
    let own = lookup_number("09350000000").await;
    assert_eq!(calls_on(&own, mina.id), vec![first]);
    // Picked again: it leaves Mina's cards, also the one under her own number, for Ali's.
    store.link_call_contact(first, ali.id).await.expect("moved");
    let cards = lookup().await;
    assert_eq!(calls_on(&cards, ali.id), vec![first]);
    assert!(calls_on(&cards, mina.id).is_empty());
    assert!(calls_on(&lookup_number("09350000000").await, mina.id).is_empty());
    // Picked while in progress: on the card once the call is written.
    let pending = store
        .remember_contact_pick("asterisk", "5.2", mina.id)
        .await
        .expect("pick");
    assert_eq!(pending, None);
    assert!(calls_on(&lookup().await, mina.id).is_empty());
    let second = store
        .record_call(&call("5.2", "09121234567"))
        .await
        .expect("call");
    assert_eq!(calls_on(&lookup().await, mina.id), vec![second]);
    // Picked for a call in the log already: on the card at once.
    let third = store
        .record_call(&call("5.3", "09121234567"))
        .await
        .expect("call");
    assert!(!calls_on(&lookup().await, mina.id).contains(&third));
    store
        .remember_contact_pick("asterisk", "5.3", mina.id)
        .await
        .expect("pick")
        .expect("linked at once");
    assert!(calls_on(&lookup().await, mina.id).contains(&third));
    // The answering agent's wrap-up, which is the call's.
    let wrapup = WrapUp {
        outcome: "sale".into(),
        ..WrapUp::default()
    };
    store
        .save_agent_wrapup(first, "1001", &wrapup)
        .await
        .expect("wrap-up");
    let cards = lookup().await;
    let card = cards.iter().find(|c| c.contact.id == ali.id).expect("card");
    assert_eq!(card.last_calls[0].wrapup_outcome.as_deref(), Some("sale"));
    // A callback opened for Ali, then given to an agent.
    let reza = user(&store, "reza", Some("1002")).await;
    let callback = store
        .create_callback(&NewCallback {
            title: "Call back".into(),
            contact: Some(ali.id),
            customer_number_raw: Some("09121234567".into()),
            customer_number_e164: Some("+989121234567".into()),
            queue: Some("support".into()),
            call: Some(first),
            assignee: None,
            due_at_ms: None,
        })
        .await
        .expect("callback");
    let tasks_of = |cards: Vec<ContactCard>, contact: ContactId| {
        cards
            .into_iter()
            .find(|c| c.contact.id == contact)
            .expect("card")
            .open_tasks
    };
    let tasks = tasks_of(lookup().await, ali.id);
    assert_eq!((tasks.len(), tasks[0].assignee), (1, None));
    store
        .assign_task(callback.id, Some(reza.id))
        .await
        .expect("assigned");
    assert_eq!(tasks_of(lookup().await, ali.id)[0].assignee, Some(reza.id));
    // A follow-up opened for Mina.
    assert!(tasks_of(lookup().await, mina.id).is_empty());
    store
        .create_task(&NewTask {
            kind: TaskKind::FollowUp,
            title: "Send the offer".into(),
            contact: Some(mina.id),
            call: None,
            assignee: None,
            due_at_ms: None,
        })
        .await
        .expect("task");
    assert_eq!(tasks_of(lookup().await, mina.id).len(), 1);
}

async fn lookup_ranks_owner_first_then_recent(store: Arc<dyn Store>) {
    let reza = user(&store, "reza", Some("1002")).await;
    let owned = contact(&store, "Shared line A", &["09120000001"]).await;
    let recent = contact(&store, "Shared line B", &["09120000001"]).await;
    let quiet = contact(&store, "Shared line C", &["09120000001"]).await;
    store
        .update_contact(
            owned.id,
            &ContactUpdate {
                owner: Some(Some(reza.id)),
                ..ContactUpdate::default()
            },
        )
        .await
        .expect("owner");
    // B has the latest interaction: a call from its own second number.
    store
        .add_phone(recent.id, &phone(&store, "09120000002", "other"))
        .await
        .expect("phone");
    store
        .record_call(&call("3.1", "09120000002"))
        .await
        .expect("call");
    let order =
        |cards: Vec<crm_core::ContactCard>| cards.iter().map(|c| c.contact.id).collect::<Vec<_>>();
    let anyone = store
        .lookup_number("09120000001", None)
        .await
        .expect("lookup");
    assert_eq!(order(anyone), vec![recent.id, owned.id, quiet.id]);
    let for_reza = store
        .lookup_number("09120000001", Some(reza.id))
        .await
        .expect("lookup");
    assert_eq!(order(for_reza), vec![owned.id, recent.id, quiet.id]);
}

async fn cards_carry_the_last_five_calls_and_open_tasks(store: Arc<dyn Store>) {
    let ali = contact(&store, "Ali", &["09121234567"]).await;
    for i in 0..7 {
        let mut c = call(&format!("4.{i}"), "09121234567");
        c.started_at_ms = 1_000 + i;
        store.record_call(&c).await.expect("call");
    }
    for (title, due) in [
        ("later", Some(2_000)),
        ("sooner", Some(1_000)),
        ("whenever", None),
    ] {
        store
            .create_task(&NewTask {
                kind: TaskKind::FollowUp,
                title: title.into(),
                contact: Some(ali.id),
                call: None,
                assignee: None,
                due_at_ms: due,
            })
            .await
            .expect("task");
    }
    let cards = store
        .lookup_number("09121234567", None)
        .await
        .expect("lookup");
    let card = &cards[0];
    let starts: Vec<i64> = card.last_calls.iter().map(|c| c.started_at_ms).collect();
    assert_eq!(starts, vec![1_006, 1_005, 1_004, 1_003, 1_002]);
    let titles: Vec<&str> = card.open_tasks.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, vec!["sooner", "later", "whenever"]);
}
