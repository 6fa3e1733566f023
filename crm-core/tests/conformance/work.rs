//! Notes and tasks.

use std::sync::Arc;

use crm_core::{NewTask, Store, StoreError, TaskId, TaskKind, TaskStatus};

use crate::fixtures::{contact, user};
use crate::support::conformance;

conformance!(
    notes_are_added_listed_and_deleted,
    tasks_open_close_and_list
);

async fn notes_are_added_listed_and_deleted(store: Arc<dyn Store>) {
    let sara = user(&store, "sara", Some("1001")).await;
    let ali = contact(&store, "Ali", &["09121234567"]).await;
    let first = store
        .add_note(ali.id, None, Some(sara.id), "  asked about the invoice ")
        .await
        .expect("note");
    assert_eq!(first.body, "asked about the invoice");
    assert_eq!(first.author, Some(sara.id));
    let second = store
        .add_note(ali.id, None, None, "پیگیری شود")
        .await
        .expect("note");
    assert!(matches!(
        store.add_note(ali.id, None, None, "   ").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store
            .add_note(crm_core::ContactId(9999), None, None, "x")
            .await,
        Err(StoreError::Invalid(_))
    ));
    let notes = store.notes(ali.id).await.expect("notes");
    assert_eq!(notes.len(), 2);
    assert!(
        notes
            .iter()
            .any(|n| n.id == second.id && n.body == "پیگیری شود")
    );
    store.delete_note(first.id).await.expect("deleted");
    assert_eq!(store.notes(ali.id).await.expect("notes").len(), 1);
    assert!(matches!(
        store.delete_note(first.id).await,
        Err(StoreError::NotFound)
    ));
}

async fn tasks_open_close_and_list(store: Arc<dyn Store>) {
    let sara = user(&store, "sara", Some("1001")).await;
    let ali = contact(&store, "Ali", &["09121234567"]).await;
    let task = |title: &str, due: Option<i64>| NewTask {
        kind: TaskKind::FollowUp,
        title: title.into(),
        contact: Some(ali.id),
        call: None,
        assignee: Some(sara.id),
        due_at_ms: due,
    };
    let later = store
        .create_task(&task("Send the price list", Some(1_800_000_000_000)))
        .await
        .expect("task");
    assert_eq!(later.status, TaskStatus::Open);
    assert_eq!(later.closed_at_ms, None);
    assert_eq!(store.get_task(later.id).await.expect("get"), later);
    let sooner = store
        .create_task(&NewTask {
            kind: TaskKind::Callback,
            ..task("Call back", Some(1_700_000_000_000))
        })
        .await
        .expect("task");
    assert!(matches!(
        store.create_task(&task(" ", None)).await,
        Err(StoreError::Invalid(_))
    ));

    let titles =
        |tasks: Vec<crm_core::Task>| tasks.into_iter().map(|t| t.title).collect::<Vec<_>>();
    assert_eq!(
        titles(store.tasks_of_assignee(sara.id, true).await.expect("mine")),
        vec!["Call back", "Send the price list"],
        "by due time"
    );
    let done = store
        .set_task_status(sooner.id, TaskStatus::Done)
        .await
        .expect("done");
    assert!(done.closed_at_ms.is_some());
    assert_eq!(done.kind, TaskKind::Callback);
    assert_eq!(
        titles(store.tasks_of_contact(ali.id, true).await.expect("open")),
        vec!["Send the price list"]
    );
    assert_eq!(
        store
            .tasks_of_contact(ali.id, false)
            .await
            .expect("all")
            .len(),
        2
    );
    let reopened = store
        .set_task_status(sooner.id, TaskStatus::Open)
        .await
        .expect("reopened");
    assert_eq!(reopened.closed_at_ms, None);
    store
        .set_task_status(later.id, TaskStatus::Cancelled)
        .await
        .expect("cancelled");
    assert_eq!(
        titles(store.tasks_of_assignee(sara.id, true).await.expect("mine")),
        vec!["Call back"]
    );
    assert!(matches!(
        store.set_task_status(TaskId(9999), TaskStatus::Done).await,
        Err(StoreError::NotFound)
    ));
}
