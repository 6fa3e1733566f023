//! API tokens, sessions and the audit log.

use std::sync::Arc;

use crm_core::{AuditEntry, Store, StoreError, TokenId, TokenScope};

use crate::fixtures::user;
use crate::support::conformance;

conformance!(
    tokens_verify_until_revoked,
    tokens_of_inactive_users_stop_working,
    sessions_expire_and_end,
    audit_log_keeps_entries,
);

async fn tokens_verify_until_revoked(store: Arc<dyn Store>) {
    let sara = user(&store, "sara", Some("1001")).await;
    let (id, token) = store
        .create_token(sara.id, TokenScope::Ingest)
        .await
        .expect("token");
    assert!(token.expose().starts_with("tamas_"));
    assert!(!format!("{token:?}").contains(token.expose()));
    let found = store
        .verify_token(token.expose())
        .await
        .expect("verify")
        .expect("valid");
    assert_eq!(found.token, id);
    assert_eq!(found.user.id, sara.id);
    assert_eq!(found.scope, TokenScope::Ingest);
    for wrong in [
        "",
        "tamas_nope",
        "Bearer x",
        &format!("{}0", token.expose()),
    ] {
        assert!(
            store.verify_token(wrong).await.expect("verify").is_none(),
            "{wrong:?}"
        );
    }
    assert_eq!(found.last_used_at_ms, None);
    let listed = store.tokens_of_user(sara.id).await.expect("list");
    assert_eq!(listed[0].last_used_at_ms, None, "verifying writes nothing");
    store.record_token_use(id, 2_000).await.expect("use");
    store
        .record_token_use(id, 1_000)
        .await
        .expect("an older use");
    let listed = store.tokens_of_user(sara.id).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id);
    assert_eq!(
        listed[0].last_used_at_ms,
        Some(2_000),
        "use is recorded, never back"
    );
    assert_eq!(listed[0].revoked_at_ms, None);

    store.revoke_token(id).await.expect("revoke");
    store
        .revoke_token(id)
        .await
        .expect("revoking again is fine");
    assert!(
        store
            .verify_token(token.expose())
            .await
            .expect("verify")
            .is_none()
    );
    let listed = store.tokens_of_user(sara.id).await.expect("list");
    assert!(listed[0].revoked_at_ms.is_some());
    assert!(matches!(
        store.revoke_token(TokenId(9999)).await,
        Err(StoreError::NotFound)
    ));
}

async fn tokens_of_inactive_users_stop_working(store: Arc<dyn Store>) {
    let sara = user(&store, "sara", None).await;
    let (_, token) = store
        .create_token(sara.id, TokenScope::Full)
        .await
        .expect("token");
    store.set_user_active(sara.id, false).await.expect("off");
    assert!(
        store
            .verify_token(token.expose())
            .await
            .expect("verify")
            .is_none()
    );
    store.set_user_active(sara.id, true).await.expect("on");
    assert!(
        store
            .verify_token(token.expose())
            .await
            .expect("verify")
            .is_some()
    );
}

async fn sessions_expire_and_end(store: Arc<dyn Store>) {
    let sara = user(&store, "sara", None).await;
    let now = 1_800_000_000_000;
    let session = store
        .create_session(sara.id, now + 3_600_000)
        .await
        .expect("session");
    assert!(!format!("{session:?}").contains(session.token.expose()));
    assert!(!format!("{session:?}").contains(&session.csrf_token));
    let found = store
        .get_session(session.token.expose(), now)
        .await
        .expect("get")
        .expect("valid");
    assert_eq!(found.user.id, sara.id);
    assert_eq!(found.csrf_token, session.csrf_token);
    assert!(
        store
            .get_session(session.token.expose(), now + 3_600_000)
            .await
            .expect("get")
            .is_none(),
        "expired"
    );
    assert!(store.get_session("nope", now).await.expect("get").is_none());

    store.set_user_active(sara.id, false).await.expect("off");
    assert!(
        store
            .get_session(session.token.expose(), now)
            .await
            .expect("get")
            .is_none()
    );
    store.set_user_active(sara.id, true).await.expect("on");

    let other = store
        .create_session(sara.id, now + 10)
        .await
        .expect("session");
    assert_eq!(
        store
            .delete_expired_sessions(now + 10)
            .await
            .expect("purge"),
        1
    );
    assert!(
        store
            .get_session(other.token.expose(), now)
            .await
            .expect("get")
            .is_none()
    );
    store
        .delete_session(session.token.expose())
        .await
        .expect("sign out");
    assert!(
        store
            .get_session(session.token.expose(), now)
            .await
            .expect("get")
            .is_none()
    );
}

async fn audit_log_keeps_entries(store: Arc<dyn Store>) {
    let admin = user(&store, "admin", None).await;
    for (at_ms, action) in [(1, "user.create"), (2, "token.create")] {
        store
            .record_audit(&AuditEntry {
                at_ms,
                actor: Some(admin.id),
                action: action.into(),
                subject: "user:1".into(),
                detail: serde_json::json!({"role": "admin"}),
            })
            .await
            .expect("audit");
    }
    let log = store.audit_log(10).await.expect("log");
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].action, "token.create", "newest first");
    assert_eq!(log[0].actor, Some(admin.id));
    assert_eq!(log[1].detail["role"], "admin");
    assert_eq!(store.audit_log(1).await.expect("log").len(), 1);
}
