//! Alerts, callbacks and the leads the lead rules read.

use std::sync::Arc;

use crm_core::{
    AlertFilter, AlertKind, AlertState, Customer, NewAlert, NewCallback, NewContact, Stage, Store,
    TaskKind, TaskStatus,
};

use crate::fixtures::{call, contact, phone, user};
use crate::support::conformance;

conformance!(
    one_live_alert_per_condition,
    once_alerts_are_never_raised_again,
    callbacks_follow_the_customer,
    leads_come_with_their_calls
);

fn sl_alert(key: &str) -> NewAlert {
    NewAlert {
        kind: AlertKind::ServiceLevel,
        dedupe_key: key.into(),
        queue: Some("support".into()),
        contact: None,
        call: None,
        task: None,
        detail: serde_json::json!({ "service_level": 0.5 }),
        once: false,
    }
}

async fn one_live_alert_per_condition(store: Arc<dyn Store>) {
    let boss = user(&store, "boss", None).await;
    let (first, new) = store.raise_alert(&sl_alert("sl:support")).await.unwrap();
    assert!(new);
    assert_eq!(first.state, AlertState::Open);
    assert_eq!(first.kind, AlertKind::ServiceLevel);
    assert_eq!(first.queue.as_deref(), Some("support"));
    assert_eq!(first.detail["service_level"], 0.5);
    let (again, new) = store.raise_alert(&sl_alert("sl:support")).await.unwrap();
    assert!(!new);
    assert_eq!(again.id, first.id);

    let acked = store.acknowledge_alert(first.id, boss.id).await.unwrap();
    assert_eq!(acked.state, AlertState::Acknowledged);
    assert_eq!(acked.acknowledged_by, Some(boss.id));
    assert!(acked.acknowledged_at_ms.is_some());
    let (still, new) = store.raise_alert(&sl_alert("sl:support")).await.unwrap();
    assert!(!new, "an acknowledged alert is still live");
    assert_eq!(still.id, first.id);

    let changed = store
        .update_alert_detail(first.id, &serde_json::json!({ "service_level": 0.6 }))
        .await
        .unwrap();
    assert_eq!(changed.detail["service_level"], 0.6);

    let other = store.raise_alert(&sl_alert("sl:sales")).await.unwrap().0;
    let resolved = store.resolve_alert(first.id, None).await.unwrap();
    assert_eq!(resolved.state, AlertState::Resolved);
    assert_eq!(resolved.resolved_by, None);
    assert!(resolved.resolved_at_ms.is_some());
    // Resolving or acknowledging again leaves it as it is.
    let same = store.acknowledge_alert(first.id, boss.id).await.unwrap();
    assert_eq!(same.state, AlertState::Resolved);
    assert_eq!(
        store
            .resolve_alert(first.id, Some(boss.id))
            .await
            .unwrap()
            .resolved_by,
        None
    );

    let live = store.list_alerts(&AlertFilter::default()).await.unwrap();
    assert_eq!(
        live.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![other.id]
    );
    let all = store
        .list_alerts(&AlertFilter {
            live_only: false,
            ..AlertFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    let callbacks = store
        .list_alerts(&AlertFilter {
            live_only: false,
            kind: Some(AlertKind::AbandonedCallback),
            limit: 10,
        })
        .await
        .unwrap();
    assert!(callbacks.is_empty());

    // The condition again, after it was resolved: a new alert.
    let (reopened, new) = store.raise_alert(&sl_alert("sl:support")).await.unwrap();
    assert!(new);
    assert_ne!(reopened.id, first.id);
    assert!(matches!(
        store.get_alert(crm_core::AlertId(9999)).await,
        Err(crm_core::StoreError::NotFound)
    ));
}

async fn once_alerts_are_never_raised_again(store: Arc<dyn Store>) {
    let lead = contact(&store, "Lead", &["09121234567"]).await;
    let alert = NewAlert {
        kind: AlertKind::LeadFewAttempts,
        dedupe_key: format!("lead_few_attempts:{}", lead.id),
        queue: None,
        contact: Some(lead.id),
        call: None,
        task: None,
        detail: serde_json::json!({ "attempts": 2 }),
        once: true,
    };
    let (first, new) = store.raise_alert(&alert).await.unwrap();
    assert!(new);
    assert_eq!(first.contact, Some(lead.id));
    store.resolve_alert(first.id, None).await.unwrap();
    let (again, new) = store.raise_alert(&alert).await.unwrap();
    assert!(!new);
    assert_eq!(again.id, first.id);
    assert_eq!(again.state, AlertState::Resolved);
}

async fn callbacks_follow_the_customer(store: Arc<dyn Store>) {
    let sara = user(&store, "sara", Some("1001")).await;
    let reza = user(&store, "reza", Some("1002")).await;
    let ali = contact(&store, "Ali", &["09121234567"]).await;
    let abandoned = store
        .record_call(&call("1795342964.1", "09121234567"))
        .await
        .unwrap();
    let known = store
        .create_callback(&NewCallback {
            title: " Call back Ali ".into(),
            contact: Some(ali.id),
            customer_number_raw: Some("09121234567".into()),
            customer_number_e164: Some("+989121234567".into()),
            queue: Some("sales".into()),
            call: Some(abandoned),
            assignee: Some(sara.id),
            due_at_ms: None,
        })
        .await
        .unwrap();
    assert_eq!(known.kind, TaskKind::Callback);
    assert_eq!(known.title, "Call back Ali");
    assert_eq!(known.status, TaskStatus::Open);
    assert_eq!(known.queue.as_deref(), Some("sales"));
    assert_eq!(known.call, Some(abandoned));
    assert_eq!(known.assignee, Some(sara.id));
    assert!(known.assigned_at_ms.is_some());
    assert_eq!(known.customer_number_e164.as_deref(), Some("+989121234567"));
    // It shows on the contact's card with its other open tasks.
    let card = store.lookup_number("+989121234567", None).await.unwrap();
    assert_eq!(card[0].open_tasks.len(), 1);

    let unknown = store
        .create_callback(&NewCallback {
            title: "Call back 0912 000 1111".into(),
            contact: None,
            customer_number_raw: Some("09120001111".into()),
            customer_number_e164: Some("+989120001111".into()),
            queue: Some("support".into()),
            call: None,
            assignee: None,
            due_at_ms: None,
        })
        .await
        .unwrap();
    assert_eq!(unknown.assigned_at_ms, None);
    let anonymous = store
        .create_callback(&NewCallback {
            title: "Call back".into(),
            contact: None,
            customer_number_raw: Some("anonymous".into()),
            customer_number_e164: None,
            queue: None,
            call: None,
            assignee: None,
            due_at_ms: None,
        })
        .await
        .unwrap();

    let found = |c: Customer| {
        let store = Arc::clone(&store);
        async move { store.open_callback(&c).await.unwrap().map(|t| t.id) }
    };
    assert_eq!(found(Customer::Contact(ali.id)).await, Some(known.id));
    assert_eq!(
        found(Customer::Number("+989120001111".into())).await,
        Some(unknown.id)
    );
    assert_eq!(
        found(Customer::Number("anonymous".into())).await,
        Some(anonymous.id)
    );
    // A known customer's number does not find the contact's callback as an unknown one.
    assert_eq!(found(Customer::Number("+989121234567".into())).await, None);

    let moved = store.assign_task(unknown.id, Some(reza.id)).await.unwrap();
    assert_eq!(moved.assignee, Some(reza.id));
    assert!(moved.assigned_at_ms.is_some());
    assert_eq!(
        store.open_callbacks().await.unwrap().len(),
        3,
        "every open callback"
    );
    store
        .set_task_status(known.id, TaskStatus::Done)
        .await
        .unwrap();
    assert_eq!(found(Customer::Contact(ali.id)).await, None);
    assert_eq!(store.open_callbacks().await.unwrap().len(), 2);
    assert!(
        store.lookup_number("+989121234567", None).await.unwrap()[0]
            .open_tasks
            .is_empty()
    );
}

async fn leads_come_with_their_calls(store: Arc<dyn Store>) {
    let lead = store
        .create_contact(&NewContact {
            name: "New lead".into(),
            stage: Stage::Lead,
            phones: vec![phone(&store, "09121234567", "mobile")],
            ..NewContact::default()
        })
        .await
        .unwrap();
    contact(&store, "A customer", &["09127654321"]).await;
    store
        .record_call(&call("1795342964.1", "09121234567"))
        .await
        .unwrap();
    let leads = store.leads_since(0, 100).await.unwrap();
    assert_eq!(leads.len(), 1);
    assert_eq!(leads[0].contact, lead.id);
    assert_eq!(leads[0].name, "New lead");
    assert_eq!(leads[0].created_at_ms, lead.created_at_ms);
    assert_eq!(leads[0].calls_started_at_ms, vec![1_795_342_964_703]);
    assert!(
        store
            .leads_since(lead.created_at_ms + 1, 100)
            .await
            .unwrap()
            .is_empty()
    );
}
