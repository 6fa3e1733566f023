//! Contacts and their numbers: CRUD, every number format, search.

use std::sync::Arc;

use crm_core::{ContactId, ContactUpdate, NewContact, NewPhone, PhoneId, Stage, Store, StoreError};

use crate::fixtures::{call, contact, phone, user};
use crate::support::conformance;

conformance!(
    contacts_are_created_changed_and_deleted,
    bad_contact_fields_are_refused,
    numbers_are_added_changed_and_removed,
    every_number_format_finds_the_contact,
    unparseable_numbers_match_exactly,
    search_by_name_and_number,
    contacts_are_listed_newest_first,
);

async fn contacts_are_created_changed_and_deleted(store: Arc<dyn Store>) {
    let reza = user(&store, "reza", Some("1002")).await;
    let created = store
        .create_contact(&NewContact {
            name: "  Ali Rezaei ".into(),
            organisation: Some("Kaveh Trading".into()),
            stage: Stage::Lead,
            email: Some("ali@example.com".into()),
            tags: vec!["VIP".into(), "vip".into(), "tehran".into()],
            owner: Some(reza.id),
            phones: vec![phone(&store, "0912 123 4567", "mobile")],
        })
        .await
        .expect("created");
    assert_eq!(created.name, "Ali Rezaei");
    assert_eq!(created.tags, vec!["vip", "tehran"]);
    assert_eq!(created.owner, Some(reza.id));
    assert_eq!(created.phones.len(), 1);
    assert_eq!(created.phones[0].raw, "0912 123 4567");
    assert_eq!(created.phones[0].contact, created.id);
    assert_eq!(created.last_interaction_at_ms, None);
    assert_eq!(store.get_contact(created.id).await.expect("get"), created);

    let changed = store
        .update_contact(
            created.id,
            &ContactUpdate {
                name: Some("Ali R.".into()),
                stage: Some(Stage::Customer),
                email: Some(None),
                organisation: Some(Some("  ".into())),
                ..ContactUpdate::default()
            },
        )
        .await
        .expect("updated");
    assert_eq!(changed.name, "Ali R.");
    assert_eq!(changed.stage, Stage::Customer);
    assert_eq!(changed.email, None);
    assert_eq!(changed.organisation, None);
    assert_eq!(changed.owner, Some(reza.id), "untouched fields stay");
    assert_eq!(changed.tags, vec!["vip", "tehran"]);

    let note = store
        .add_note(created.id, None, None, "asked for a price")
        .await
        .expect("note");
    let id = store
        .record_call(&call("1.1", "09121234567"))
        .await
        .expect("call");
    assert_eq!(
        store.get_call(id).await.expect("call").contact,
        Some(created.id)
    );
    store.delete_contact(created.id).await.expect("deleted");
    assert!(matches!(
        store.get_contact(created.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_contact(created.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.notes(created.id).await.expect("notes").is_empty());
    assert!(
        store.delete_note(note.id).await.is_err(),
        "went with the contact"
    );
    assert_eq!(
        store.get_call(id).await.expect("calls stay").contact,
        None,
        "unlinked"
    );
}

async fn bad_contact_fields_are_refused(store: Arc<dyn Store>) {
    let good = || NewContact {
        name: "Ali".into(),
        phones: vec![phone(&store, "09121234567", "")],
        ..NewContact::default()
    };
    let cases = [
        NewContact {
            name: "   ".into(),
            ..good()
        },
        NewContact {
            email: Some("not an address".into()),
            ..good()
        },
        NewContact {
            name: "x".repeat(201),
            ..good()
        },
        NewContact {
            phones: vec![phone(&store, "  ", "")],
            ..good()
        },
        NewContact {
            phones: vec![phone(&store, "09121234567", &"x".repeat(51))],
            ..good()
        },
    ];
    for case in cases {
        let got = store.create_contact(&case).await;
        assert!(matches!(got, Err(StoreError::Invalid(_))), "{got:?}");
    }
    let twice = NewContact {
        phones: vec![
            phone(&store, "09121234567", ""),
            phone(&store, "+989121234567", ""),
        ],
        ..good()
    };
    assert!(matches!(
        store.create_contact(&twice).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        store.list_contacts(0, 10).await.expect("list").is_empty(),
        "nothing half-written"
    );
    let unknown_owner = NewContact {
        owner: Some(crm_core::UserId(9999)),
        ..good()
    };
    assert!(matches!(
        store.create_contact(&unknown_owner).await,
        Err(StoreError::Invalid(_))
    ));
}

async fn numbers_are_added_changed_and_removed(store: Arc<dyn Store>) {
    let ali = contact(&store, "Ali", &["09121234567"]).await;
    let office = store
        .add_phone(ali.id, &phone(&store, "021 4455 6677", "work"))
        .await
        .expect("added");
    assert_eq!(
        office.e164.as_ref().map(|e| e.as_str()),
        Some("+982144556677")
    );
    assert_eq!(office.label, "work");
    let same = store
        .add_phone(ali.id, &phone(&store, "+98 21 4455 6677", "again"))
        .await;
    assert!(matches!(same, Err(StoreError::Conflict(_))), "{same:?}");
    assert!(matches!(
        store
            .add_phone(ContactId(9999), &phone(&store, "09350000000", ""))
            .await,
        Err(StoreError::NotFound)
    ));

    let moved = store
        .update_phone(office.id, &phone(&store, "021 8888 9999", "office"))
        .await
        .expect("changed");
    assert_eq!(moved.id, office.id);
    assert_eq!(moved.lookup_key, "+982188889999");
    assert_eq!(moved.label, "office");
    assert!(
        store
            .lookup_number("02144556677", None)
            .await
            .expect("lookup")
            .is_empty()
    );
    assert_eq!(
        store
            .lookup_number("02188889999", None)
            .await
            .expect("lookup")
            .len(),
        1
    );
    let clash = store
        .update_phone(office.id, &phone(&store, "09121234567", ""))
        .await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");

    let removed = store.remove_phone(office.id).await.expect("removed");
    assert_eq!(removed.contact, ali.id);
    assert_eq!(
        store.get_contact(ali.id).await.expect("get").phones.len(),
        1
    );
    assert!(matches!(
        store.remove_phone(office.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.remove_phone(PhoneId(9999)).await,
        Err(StoreError::NotFound)
    ));
}

async fn every_number_format_finds_the_contact(store: Arc<dyn Store>) {
    let ali = contact(&store, "Ali Rezaei", &["09121234567"]).await;
    for format in [
        "09121234567",
        "+989121234567",
        "00989121234567",
        "9121234567",
        "0912 123 4567",
        "(0912) 123-4567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
    ] {
        let cards = store.lookup_number(format, None).await.expect("lookup");
        assert_eq!(cards.len(), 1, "{format}");
        assert_eq!(cards[0].contact.id, ali.id, "{format}");
    }
    // Stored in another format, found by the first.
    let negar = contact(&store, "نگار محمدی", &["۰۹۳۵۱۲۳۴۵۶۷"]).await;
    let cards = store
        .lookup_number("+989351234567", None)
        .await
        .expect("lookup");
    assert_eq!(cards.first().map(|c| c.contact.id), Some(negar.id));
    let stored = &negar.phones[0];
    assert_eq!(
        stored.e164.as_ref().map(|e| e.as_str()),
        Some("+989351234567")
    );
    assert_eq!(stored.raw, "۰۹۳۵۱۲۳۴۵۶۷", "kept as entered");
}

async fn unparseable_numbers_match_exactly(store: Arc<dyn Store>) {
    let odd = contact(&store, "Internal gateway", &["*99#ext"]).await;
    assert_eq!(odd.phones[0].e164, None);
    assert_eq!(odd.phones[0].lookup_key, "*99#ext");
    let cards = store.lookup_number("*99#EXT", None).await.expect("lookup");
    assert_eq!(cards.first().map(|c| c.contact.id), Some(odd.id));
    for other in ["*99#", "", "   ", "<script>"] {
        assert!(
            store
                .lookup_number(other, None)
                .await
                .expect("lookup")
                .is_empty(),
            "{other:?}"
        );
    }
}

async fn search_by_name_and_number(store: Arc<dyn Store>) {
    let ali = contact(&store, "Ali Rezaei", &["09121234567"]).await;
    let negar = contact(&store, "نگار محمدی", &["09351234567"]).await;
    // Typed on an Arabic keyboard (ي, ك) and stored with Persian letters, or the reverse.
    let kaveh = contact(&store, "كاوه علي", &["02144556677"]).await;
    let ids = |found: Vec<crm_core::Contact>| found.iter().map(|c| c.id).collect::<Vec<_>>();
    let search = |q: &'static str| {
        let store = Arc::clone(&store);
        async move { store.search_contacts(q, 10).await.expect("search") }
    };
    assert_eq!(ids(search("rezaei").await), vec![ali.id]);
    assert_eq!(ids(search("REZA").await), vec![ali.id]);
    assert_eq!(ids(search("محمدی").await), vec![negar.id]);
    assert_eq!(ids(search("محمدي").await), vec![negar.id]);
    assert_eq!(ids(search("کاوه علی").await), vec![kaveh.id]);
    assert_eq!(ids(search("0935 123 4567").await), vec![negar.id]);
    assert_eq!(ids(search("+989351234567").await), vec![negar.id]);
    assert_eq!(
        ids(search("۰۹۳۵۱۲۳").await),
        vec![negar.id],
        "part of a number"
    );
    assert_eq!(
        search("1234567").await.len(),
        2,
        "partial numbers match both"
    );
    assert!(search("%").await.is_empty());
    assert!(search("_").await.is_empty());
    assert!(search("   ").await.is_empty());
    assert!(search("nobody").await.is_empty());
    let with_org = store
        .update_contact(
            ali.id,
            &ContactUpdate {
                organisation: Some(Some("Kaveh Trading".into())),
                email: Some(Some("ali@example.com".into())),
                ..ContactUpdate::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(ids(search("trading").await), vec![with_org.id]);
    assert_eq!(ids(search("ali@example").await), vec![ali.id]);
    assert_eq!(
        store.search_contacts("a", 1).await.expect("search").len(),
        1
    );
}

async fn contacts_are_listed_newest_first(store: Arc<dyn Store>) {
    let first = contact(&store, "First", &["09120000001"]).await;
    let second = contact(&store, "Second", &["09120000002"]).await;
    let listed = store.list_contacts(0, 10).await.expect("list");
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().any(|c| c.id == first.id));
    assert_eq!(store.list_contacts(1, 10).await.expect("list").len(), 1);
    assert!(store.list_contacts(2, 10).await.expect("list").is_empty());
    let number = NewPhone {
        number: store.normalizer().normalize("09120000009"),
        label: String::new(),
    };
    store.add_phone(first.id, &number).await.expect("phone");
    let first = store.get_contact(first.id).await.expect("get");
    assert!(first.updated_at_ms >= second.updated_at_ms);
    let listed = store.list_contacts(0, 1).await.expect("list");
    // The contact changed last comes first; within one millisecond, the newer one.
    let expected = if first.updated_at_ms > second.updated_at_ms {
        first.id
    } else {
        second.id
    };
    assert_eq!(
        listed.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![expected]
    );
}
