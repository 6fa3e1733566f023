//! The log of changes that end access: every revocation, sign-out, password change, role
//! change and disabling is recorded, in order, for serving processes to act on.

use std::sync::Arc;

use crm_core::{ChangeReason, Role, Store, StoreError, TokenScope};

use crate::fixtures::user;
use crate::support::conformance;

conformance!(
    every_end_of_access_is_logged_in_order,
    a_password_change_ends_sessions_and_a_role_change_applies_at_once,
    revoking_all_tokens_of_a_user_and_listing_them,
    old_changes_are_pruned_and_seq_never_repeats,
);

async fn every_end_of_access_is_logged_in_order(store: Arc<dyn Store>) {
    let sara = user(&store, "sara", Some("1001")).await;
    let reza = user(&store, "reza", Some("1002")).await;
    let start = store.last_credential_change().await.expect("last");
    assert!(
        store
            .credential_changes_after(start, 100)
            .await
            .expect("none yet")
            .is_empty()
    );
    let (token, _) = store
        .create_token(sara.id, TokenScope::Full)
        .await
        .expect("token");
    let session = store
        .create_session(reza.id, i64::MAX / 2)
        .await
        .expect("session");
    store.revoke_token(token).await.expect("revoke");
    store
        .delete_session(session.token.expose())
        .await
        .expect("sign out");
    // An unknown session is fine, and logs nothing.
    store.delete_session("nope").await.expect("unknown session");
    store
        .set_password_hash(sara.id, "$argon2id$new")
        .await
        .expect("password");
    store
        .set_user_role(reza.id, Role::Supervisor)
        .await
        .expect("role");
    store
        .set_user_active(sara.id, false)
        .await
        .expect("disable");
    store.set_user_active(sara.id, true).await.expect("enable");

    let changes = store
        .credential_changes_after(start, 100)
        .await
        .expect("changes");
    let reasons: Vec<ChangeReason> = changes.iter().map(|c| c.reason).collect();
    assert_eq!(
        reasons,
        [
            ChangeReason::TokenRevoked,
            ChangeReason::SignedOut,
            ChangeReason::PasswordChanged,
            ChangeReason::RoleChanged,
            ChangeReason::UserDisabled,
        ],
        "enabling ends nothing"
    );
    assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(changes[0].user, sara.id);
    assert_eq!(changes[0].token, Some(token));
    assert!(changes[0].ends(sara.id, Some(token), None));
    assert!(
        !changes[0].ends(sara.id, None, Some("abc")),
        "another credential"
    );
    assert_eq!(changes[1].user, reza.id);
    assert_eq!(
        changes[1].session_hash.as_deref(),
        Some(crm_core::token::hash_token(session.token.expose()).as_str())
    );
    assert!(changes[2].ends(sara.id, None, Some("any session")));
    assert!(!changes[2].ends(reza.id, None, None), "another user");
    assert_eq!(
        store.last_credential_change().await.expect("last"),
        changes[4].seq
    );
    let after_two = store
        .credential_changes_after(changes[1].seq, 2)
        .await
        .expect("paged");
    assert_eq!(after_two, changes[2..4]);
    assert!(matches!(
        store
            .set_user_role(crm_core::UserId(9999), Role::Admin)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.revoke_token(crm_core::TokenId(9999)).await,
        Err(StoreError::NotFound)
    ));
}

async fn a_password_change_ends_sessions_and_a_role_change_applies_at_once(store: Arc<dyn Store>) {
    let sara = user(&store, "sara", Some("1001")).await;
    let session = store
        .create_session(sara.id, i64::MAX / 2)
        .await
        .expect("session");
    let now = 1_800_000_000_000;
    let found = store
        .get_session(session.token.expose(), now)
        .await
        .expect("get")
        .expect("valid");
    assert_eq!(found.user.role, Role::Agent);
    store
        .set_user_role(sara.id, Role::Supervisor)
        .await
        .expect("role");
    let found = store
        .get_session(session.token.expose(), now)
        .await
        .expect("get")
        .expect("still valid");
    assert_eq!(
        found.user.role,
        Role::Supervisor,
        "the session sees the new role"
    );
    store
        .set_password_hash(sara.id, "$argon2id$new")
        .await
        .expect("password");
    assert!(
        store
            .get_session(session.token.expose(), now)
            .await
            .expect("get")
            .is_none(),
        "a new password ends the sessions"
    );
    assert_eq!(
        store.user_password_hash(sara.id).await.expect("hash"),
        "$argon2id$new"
    );
}

async fn revoking_all_tokens_of_a_user_and_listing_them(store: Arc<dyn Store>) {
    let sara = user(&store, "sara", Some("1001")).await;
    let reza = user(&store, "reza", Some("1002")).await;
    let (a, a_secret) = store
        .create_token(sara.id, TokenScope::Full)
        .await
        .expect("a");
    let (b, _) = store
        .create_token(sara.id, TokenScope::Ingest)
        .await
        .expect("b");
    let (c, c_secret) = store
        .create_token(reza.id, TokenScope::Full)
        .await
        .expect("c");
    store.revoke_token(b).await.expect("revoke b");
    let start = store.last_credential_change().await.expect("last");
    assert_eq!(
        store
            .revoke_tokens_of_user(sara.id)
            .await
            .expect("revoke all"),
        1,
        "only the live one"
    );
    let changes = store
        .credential_changes_after(start, 10)
        .await
        .expect("changes");
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].token, Some(a));
    assert!(
        store
            .verify_token(a_secret.expose())
            .await
            .expect("a")
            .is_none()
    );
    assert!(
        store
            .verify_token(c_secret.expose())
            .await
            .expect("c")
            .is_some()
    );
    let listed = store.list_tokens().await.expect("list");
    let ids: Vec<_> = listed.iter().map(|t| t.id).collect();
    assert_eq!(ids.len(), 3);
    for id in [a, b, c] {
        assert!(ids.contains(&id));
    }
    let c_info = listed.iter().find(|t| t.id == c).expect("c listed");
    assert_eq!(c_info.user, reza.id);
    assert_eq!(c_info.revoked_at_ms, None);
    assert!(
        listed
            .iter()
            .filter(|t| t.id != c)
            .all(|t| t.revoked_at_ms.is_some())
    );
}

async fn old_changes_are_pruned_and_seq_never_repeats(store: Arc<dyn Store>) {
    let sara = user(&store, "sara", Some("1001")).await;
    store
        .set_user_active(sara.id, false)
        .await
        .expect("disable");
    let first = store.last_credential_change().await.expect("last");
    assert!(first > 0);
    assert_eq!(
        store
            .prune_credential_changes(i64::MAX)
            .await
            .expect("prune"),
        1
    );
    assert_eq!(store.last_credential_change().await.expect("last"), 0);
    store
        .set_user_active(sara.id, false)
        .await
        .expect("disable");
    let changes = store
        .credential_changes_after(0, 10)
        .await
        .expect("changes");
    assert_eq!(changes.len(), 1);
    assert!(
        changes[0].seq > first,
        "a pruned seq is not handed out again"
    );
}
