//! The storage conformance suite: every behaviour of the [`Store`] on SQLite and on
//! PostgreSQL (when `TAMAS_TEST_DATABASE_URL` is set).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use crm_core::import::import_contacts;
use crm_core::{
    AgentAttemptInput, CallFilter, CallRecordInput, ContactUpdate, Extension, Locale, NewContact,
    NewPhone, NewTask, NewUser, Role, Stage, Store, StoreError, TaskKind, TaskStatus, TokenScope,
    Username,
};

conformance!(
    users_and_conflicts,
    tokens_verify_and_revoke,
    every_number_format_finds_the_contact,
    unparseable_numbers_match_exactly,
    search_by_name_and_number,
    call_upsert_is_idempotent,
    less_complete_call_never_regresses,
    call_matches_contact_at_write_time,
    directory_cache_sees_every_write,
    lookup_ranks_owner_first,
    tasks_and_notes,
    import_good_and_bad_rows_twice,
    audit_log_keeps_entries,
);

fn normalized(store: &Arc<dyn Store>, raw: &str, label: &str) -> NewPhone {
    NewPhone {
        number: store.normalizer().normalize(raw),
        label: label.to_owned(),
    }
}

fn new_user(username: &str, role: Role, extension: Option<&str>) -> NewUser {
    NewUser {
        username: Username::parse(username).expect("username"),
        display_name: format!("{username} name"),
        role,
        extension: extension.map(|e| Extension::parse(e).expect("extension")),
        locale: Locale::En,
        password_hash: crm_core::password::hash_password("a long password").expect("hash"),
    }
}

fn call(linkedid: &str, number: &str) -> CallRecordInput {
    CallRecordInput {
        pbx: "asterisk".into(),
        linkedid: linkedid.into(),
        direction: "inbound".into(),
        customer_number_raw: Some(number.into()),
        customer_number_e164: None,
        customer_name: Some("Ali Rezaei".into()),
        did: Some("02191001000".into()),
        queue: Some("support".into()),
        agents_rung: vec![AgentAttemptInput {
            extension: Some("1001".into()),
            result: "answered".into(),
            ring_ms: Some(5007),
            rang_at_ms: 1_795_342_979_720,
        }],
        answered_by_extension: Some("1001".into()),
        agent_extension: Some("1001".into()),
        started_at_ms: 1_795_342_979_703,
        queued_at_ms: Some(1_795_342_979_719),
        answered_at_ms: Some(1_795_342_984_728),
        ended_at_ms: Some(1_795_342_993_012),
        wait_ms: Some(5009),
        ring_ms: Some(5007),
        talk_ms: Some(8284),
        hold_ms: Some(0),
        disposition: "answered".into(),
        hangup_by: Some("customer".into()),
        hangup_by_extension: None,
        hangup_cause: Some(16),
        transfers: serde_json::json!([]),
        recording_file: Some("1795342979.0.wav".into()),
        click_id: None,
        end_known: true,
    }
}

async fn contact_with(store: &Arc<dyn Store>, name: &str, numbers: &[&str]) -> crm_core::Contact {
    store
        .create_contact(&NewContact {
            name: name.into(),
            stage: Stage::Customer,
            phones: numbers
                .iter()
                .map(|n| normalized(store, n, "mobile"))
                .collect(),
            ..NewContact::default()
        })
        .await
        .expect("contact created")
}

async fn users_and_conflicts(store: Arc<dyn Store>) {
    let sara = store
        .create_user(&new_user("sara", Role::Agent, Some("1001")))
        .await
        .expect("created");
    assert_eq!(sara.role, Role::Agent);
    assert_eq!(sara.extension.as_ref().map(Extension::as_str), Some("1001"));
    let by_name = store.user_by_username("sara").await.expect("query");
    assert_eq!(by_name.as_ref().map(|u| u.id), Some(sara.id));
    let by_ext = store.user_by_extension("1001").await.expect("query");
    assert_eq!(by_ext.map(|u| u.id), Some(sara.id));
    let hash = store.user_password_hash(sara.id).await.expect("hash");
    assert!(crm_core::password::verify_password(
        "a long password",
        &hash
    ));

    let same_name = store
        .create_user(&new_user("sara", Role::Admin, None))
        .await;
    assert!(
        matches!(same_name, Err(StoreError::Conflict(_))),
        "{same_name:?}"
    );
    let same_ext = store
        .create_user(&new_user("reza", Role::Agent, Some("1001")))
        .await;
    assert!(
        matches!(same_ext, Err(StoreError::Conflict(_))),
        "{same_ext:?}"
    );
    store
        .set_user_locale(sara.id, Locale::Fa)
        .await
        .expect("locale");
    assert_eq!(store.user(sara.id).await.expect("user").locale, Locale::Fa);
    assert_eq!(store.list_users().await.expect("list").len(), 1);
    assert!(matches!(
        store.user(crm_core::UserId(9999)).await,
        Err(StoreError::NotFound)
    ));
}

async fn tokens_verify_and_revoke(store: Arc<dyn Store>) {
    let admin = store
        .create_user(&new_user("admin", Role::Admin, None))
        .await
        .expect("created");
    let (id, token) = store
        .create_token(admin.id, TokenScope::Ingest)
        .await
        .expect("token");
    let found = store
        .verify_token(&token)
        .await
        .expect("verify")
        .expect("valid");
    assert_eq!(found.user.id, admin.id);
    assert_eq!(found.scope, TokenScope::Ingest);
    assert!(
        store
            .verify_token("tamas_nope")
            .await
            .expect("verify")
            .is_none()
    );
    assert!(store.verify_token("").await.expect("verify").is_none());
    store.revoke_token(id).await.expect("revoke");
    assert!(store.verify_token(&token).await.expect("verify").is_none());
}

async fn every_number_format_finds_the_contact(store: Arc<dyn Store>) {
    let ali = contact_with(&store, "Ali Rezaei", &["09121234567"]).await;
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
    let persian = contact_with(&store, "نگار محمدی", &["۰۹۳۵۱۲۳۴۵۶۷"]).await;
    let cards = store
        .lookup_number("+989351234567", None)
        .await
        .expect("lookup");
    assert_eq!(cards.first().map(|c| c.contact.id), Some(persian.id));
    assert_eq!(persian.phones[0].e164.as_deref(), Some("+989351234567"));
    assert_eq!(persian.phones[0].raw, "۰۹۳۵۱۲۳۴۵۶۷");
}

async fn unparseable_numbers_match_exactly(store: Arc<dyn Store>) {
    let odd = contact_with(&store, "Internal gateway", &["*99#ext"]).await;
    assert_eq!(odd.phones[0].e164, None);
    let cards = store.lookup_number("*99#ext", None).await.expect("lookup");
    assert_eq!(cards.first().map(|c| c.contact.id), Some(odd.id));
    assert!(
        store
            .lookup_number("*99#", None)
            .await
            .expect("lookup")
            .is_empty()
    );
    assert!(
        store
            .lookup_number("", None)
            .await
            .expect("lookup")
            .is_empty()
    );
}

async fn search_by_name_and_number(store: Arc<dyn Store>) {
    let ali = contact_with(&store, "Ali Rezaei", &["09121234567"]).await;
    let negar = contact_with(&store, "نگار محمدی", &["09351234567"]).await;
    let found = store.search_contacts("rezaei", 10).await.expect("search");
    assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ali.id]);
    let found = store.search_contacts("محمدی", 10).await.expect("search");
    assert_eq!(
        found.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![negar.id]
    );
    let found = store
        .search_contacts("0935 123 4567", 10)
        .await
        .expect("search");
    assert_eq!(
        found.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![negar.id]
    );
    let found = store.search_contacts("1234567", 10).await.expect("search");
    assert_eq!(found.len(), 2, "partial numbers match both");
    assert!(
        store
            .search_contacts("%", 10)
            .await
            .expect("search")
            .is_empty()
    );
}

async fn call_upsert_is_idempotent(store: Arc<dyn Store>) {
    let record = call("1795342979.0", "09121234567");
    let first = store.record_call(&record).await.expect("recorded");
    let second = store.record_call(&record).await.expect("recorded again");
    assert_eq!(first, second);
    let calls = store
        .list_calls(&CallFilter::default())
        .await
        .expect("list");
    assert_eq!(calls.len(), 1);
    let row = &calls[0];
    assert_eq!(row.customer_number_e164.as_deref(), Some("+989121234567"));
    assert_eq!(row.talk_ms, Some(8284));
    assert_eq!(row.agents_rung.len(), 1);
    assert_eq!(row.agents_rung[0].ring_ms, Some(5007));
    let by_linkedid = store
        .call_by_linkedid("asterisk", "1795342979.0")
        .await
        .expect("query")
        .expect("found");
    assert_eq!(by_linkedid.id, first);
    // Another PBX with the same Linkedid is another call.
    let mut other = record.clone();
    other.pbx = "branch".into();
    assert_ne!(store.record_call(&other).await.expect("recorded"), first);
}

async fn less_complete_call_never_regresses(store: Arc<dyn Store>) {
    let mut estimated = call("1795343347.0", "09121234567");
    estimated.end_known = false;
    estimated.talk_ms = Some(4002);
    estimated.hangup_by = None;
    let id = store.record_call(&estimated).await.expect("recorded");
    let mut exact = estimated.clone();
    exact.end_known = true;
    exact.talk_ms = Some(4100);
    exact.hangup_by = Some("customer".into());
    store.record_call(&exact).await.expect("more complete");
    assert_eq!(store.call(id).await.expect("call").talk_ms, Some(4100));
    store.record_call(&estimated).await.expect("less complete");
    let row = store.call(id).await.expect("call");
    assert_eq!(
        row.talk_ms,
        Some(4100),
        "a less complete version does not overwrite"
    );
    assert!(row.end_known);
}

async fn call_matches_contact_at_write_time(store: Arc<dyn Store>) {
    let sara = store
        .create_user(&new_user("sara", Role::Agent, Some("1001")))
        .await
        .expect("user");
    let ali = contact_with(&store, "Ali Rezaei", &["+98 912 123 4567"]).await;
    let id = store
        .record_call(&call("1.1", "09121234567"))
        .await
        .expect("recorded");
    let row = store.call(id).await.expect("call");
    assert_eq!(row.contact, Some(ali.id));
    assert_eq!(row.answered_by_user, Some(sara.id));
    let unknown = store
        .record_call(&call("1.2", "09350000000"))
        .await
        .expect("recorded");
    assert_eq!(store.call(unknown).await.expect("call").contact, None);
    let of_ali = store
        .list_calls(&CallFilter {
            contact: Some(ali.id),
            ..CallFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(of_ali.len(), 1);
    let of_agent = store
        .list_calls(&CallFilter {
            agent_extension: Some("1001".into()),
            ..CallFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(of_agent.len(), 2);
    let of_other = store
        .list_calls(&CallFilter {
            agent_extension: Some("1003".into()),
            ..CallFilter::default()
        })
        .await
        .expect("list");
    assert!(of_other.is_empty());
    let contact = store.contact(ali.id).await.expect("contact");
    assert_eq!(contact.last_interaction_at_ms, Some(1_795_342_979_703));
}

async fn directory_cache_sees_every_write(store: Arc<dyn Store>) {
    assert!(
        store
            .lookup_number("09121234567", None)
            .await
            .expect("lookup")
            .is_empty()
    );
    let ali = contact_with(&store, "Ali", &["02144556677"]).await;
    // A new number for an existing contact, after a cached miss.
    store
        .add_phone(ali.id, &normalized(&store, "09121234567", "mobile"))
        .await
        .expect("phone");
    let cards = store
        .lookup_number("09121234567", None)
        .await
        .expect("lookup");
    assert_eq!(cards.len(), 1);
    // A rename.
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
    let cards = store
        .lookup_number("09121234567", None)
        .await
        .expect("lookup");
    assert_eq!(cards[0].contact.name, "Ali Rezaei");
    // A new call shows among the last calls.
    store
        .record_call(&call("2.1", "09121234567"))
        .await
        .expect("call");
    let cards = store
        .lookup_number("+982144556677", None)
        .await
        .expect("lookup");
    assert_eq!(cards[0].last_calls.len(), 1);
    // A task opened and closed.
    let task = store
        .create_task(&NewTask {
            kind: TaskKind::Callback,
            title: "Call back".into(),
            contact: Some(ali.id),
            call: None,
            assignee: None,
            due_at_ms: None,
        })
        .await
        .expect("task");
    let cards = store
        .lookup_number("09121234567", None)
        .await
        .expect("lookup");
    assert_eq!(cards[0].open_tasks.len(), 1);
    store
        .set_task_status(task.id, TaskStatus::Done)
        .await
        .expect("done");
    let cards = store
        .lookup_number("09121234567", None)
        .await
        .expect("lookup");
    assert!(cards[0].open_tasks.is_empty());
    // A second contact on the same number; then the first removed.
    let shop = contact_with(&store, "Kaveh Trading", &["021 4455 6677"]).await;
    assert_eq!(
        store
            .lookup_number("02144556677", None)
            .await
            .expect("lookup")
            .len(),
        2
    );
    store.delete_contact(ali.id).await.expect("delete");
    let cards = store
        .lookup_number("02144556677", None)
        .await
        .expect("lookup");
    assert_eq!(
        cards.iter().map(|c| c.contact.id).collect::<Vec<_>>(),
        vec![shop.id]
    );
    let phone = shop.phones[0].id;
    store.remove_phone(phone).await.expect("remove");
    assert!(
        store
            .lookup_number("02144556677", None)
            .await
            .expect("lookup")
            .is_empty()
    );
}

async fn lookup_ranks_owner_first(store: Arc<dyn Store>) {
    let reza = store
        .create_user(&new_user("reza", Role::Agent, Some("1002")))
        .await
        .expect("user");
    let first = contact_with(&store, "Shared line A", &["09120000001"]).await;
    let owned = contact_with(&store, "Shared line B", &["09120000001"]).await;
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
    let mut recent = call("3.1", "09120000001");
    recent.started_at_ms += 1_000_000;
    store.record_call(&recent).await.expect("call");
    let anyone = store
        .lookup_number("09120000001", None)
        .await
        .expect("lookup");
    assert_eq!(anyone.len(), 2);
    let for_reza = store
        .lookup_number("09120000001", Some(reza.id))
        .await
        .expect("lookup");
    assert_eq!(
        for_reza[0].contact.id, owned.id,
        "the owner's contact first"
    );
    assert!(anyone.iter().any(|c| c.contact.id == first.id));
}

async fn tasks_and_notes(store: Arc<dyn Store>) {
    let ali = contact_with(&store, "Ali", &["09121234567"]).await;
    let note = store
        .add_note(ali.id, None, None, "  asked about the invoice ")
        .await
        .expect("note");
    assert_eq!(note.body, "asked about the invoice");
    assert!(store.add_note(ali.id, None, None, "   ").await.is_err());
    assert_eq!(store.notes(ali.id).await.expect("notes").len(), 1);
    let task = store
        .create_task(&NewTask {
            kind: TaskKind::FollowUp,
            title: "Send the price list".into(),
            contact: Some(ali.id),
            call: None,
            assignee: None,
            due_at_ms: Some(1_800_000_000_000),
        })
        .await
        .expect("task");
    assert_eq!(task.status, TaskStatus::Open);
    let done = store
        .set_task_status(task.id, TaskStatus::Done)
        .await
        .expect("done");
    assert!(done.closed_at_ms.is_some());
    assert_eq!(
        store
            .tasks_of_contact(ali.id, false)
            .await
            .expect("tasks")
            .len(),
        1
    );
    assert!(
        store
            .tasks_of_contact(ali.id, true)
            .await
            .expect("tasks")
            .is_empty()
    );
}

const CSV: &str = "name,phone,email,organisation,stage,tags
Ali Rezaei,09121234567;021 4455 6677,ali@example.com,Kaveh Trading,customer,vip;tehran
نگار محمدی,۰۹۳۵۱۲۳۴۵۶۷,,,lead,
,09120000000,,,lead,
Bad Phone,not-a-number,,,lead,
Bad Stage,09127777777,,,partner,
Bad Mail,09128888888,nope,,customer,
Sima Nouri,00989357778899,,,,new
";

async fn import_good_and_bad_rows_twice(store: Arc<dyn Store>) {
    let report = import_contacts(store.as_ref(), CSV.as_bytes())
        .await
        .expect("import");
    assert_eq!(report.created, 3, "{report:?}");
    let lines: Vec<u64> = report.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![4, 5, 6, 7], "{report:?}");
    assert!(report.errors[0].reason.contains("name"));
    assert!(report.errors[1].reason.contains("not-a-number"));
    assert!(report.errors[2].reason.contains("stage"));
    assert!(report.errors[3].reason.contains("e-mail"));

    let again = import_contacts(store.as_ref(), CSV.as_bytes())
        .await
        .expect("import");
    assert_eq!(again.created, 0);
    assert_eq!(again.matched, 3);
    let ali = store
        .lookup_number("+982144556677", None)
        .await
        .expect("lookup");
    assert_eq!(ali.len(), 1, "no duplicate");
    assert_eq!(ali[0].contact.tags, vec!["vip", "tehran"]);
    assert_eq!(ali[0].contact.phones.len(), 2);

    let bad_header = import_contacts(store.as_ref(), "who,what\nx,y\n".as_bytes()).await;
    assert!(bad_header.is_err());
}

async fn audit_log_keeps_entries(store: Arc<dyn Store>) {
    store
        .record_audit(&crm_core::AuditEntry {
            at_ms: 1,
            actor: None,
            action: "user.create".into(),
            subject: "user:1".into(),
            detail: serde_json::json!({"role": "admin"}),
        })
        .await
        .expect("audit");
    let log = store.audit_log(10).await.expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].detail["role"], "admin");
}

#[test]
fn migrations_have_the_same_versions_and_names() {
    let names = |dir: &str| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("migrations folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let root = env!("CARGO_MANIFEST_DIR");
    let sqlite = names(&format!("{root}/migrations/sqlite"));
    let postgres = names(&format!("{root}/migrations/postgres"));
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
}
