//! Users: creation, conflicts, look-ups, password hashes, locale, deactivation.

use std::sync::Arc;

use crm_core::password::verify_password;
use crm_core::{Extension, Locale, Role, Store, StoreError, UserId};

use crate::fixtures::{PASSWORD, new_user};
use crate::support::conformance;

conformance!(
    users_are_created_and_found,
    taken_usernames_and_extensions_conflict,
    passwords_locales_and_deactivation,
);

async fn users_are_created_and_found(store: Arc<dyn Store>) {
    let sara = store
        .create_user(&new_user("Sara", Role::Agent, Some("1001")))
        .await
        .expect("created");
    assert_eq!(sara.username.as_str(), "sara");
    assert_eq!(sara.role, Role::Agent);
    assert!(sara.active);
    assert_eq!(sara.extension.as_ref().map(Extension::as_str), Some("1001"));
    assert_eq!(store.get_user(sara.id).await.expect("by id"), sara);
    for name in ["sara", "SARA", " Sara "] {
        let found = store.user_by_username(name).await.expect("query");
        assert_eq!(found.map(|u| u.id), Some(sara.id), "{name:?}");
    }
    let by_ext = store.user_by_extension("1001").await.expect("query");
    assert_eq!(by_ext.map(|u| u.id), Some(sara.id));
    assert!(
        store
            .user_by_extension("1999")
            .await
            .expect("query")
            .is_none()
    );
    assert!(
        store
            .user_by_username("nobody")
            .await
            .expect("query")
            .is_none()
    );
    store
        .create_user(&new_user("admin", Role::Admin, None))
        .await
        .expect("created");
    let names: Vec<String> = store
        .list_users()
        .await
        .expect("list")
        .into_iter()
        .map(|u| u.username.to_string())
        .collect();
    assert_eq!(names, vec!["admin", "sara"]);
    assert!(matches!(
        store.get_user(UserId(9999)).await,
        Err(StoreError::NotFound)
    ));
}

async fn taken_usernames_and_extensions_conflict(store: Arc<dyn Store>) {
    store
        .create_user(&new_user("sara", Role::Agent, Some("1001")))
        .await
        .expect("created");
    let same_name = store
        .create_user(&new_user("SARA", Role::Admin, None))
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
    let mut blank = new_user("blank", Role::Agent, None);
    blank.display_name = "  ".into();
    assert!(matches!(
        store.create_user(&blank).await,
        Err(StoreError::Invalid(_))
    ));
    // Two users without an extension are fine.
    store
        .create_user(&new_user("reza", Role::Supervisor, None))
        .await
        .expect("created");
}

async fn passwords_locales_and_deactivation(store: Arc<dyn Store>) {
    let sara = store
        .create_user(&new_user("sara", Role::Agent, Some("1001")))
        .await
        .expect("created");
    let hash = store.user_password_hash(sara.id).await.expect("hash");
    assert!(hash.starts_with("$argon2id$"));
    assert!(verify_password(PASSWORD, &hash));
    let new_hash = crm_core::password::hash_password("another password").expect("hash");
    store
        .set_password_hash(sara.id, &new_hash)
        .await
        .expect("set");
    let hash = store.user_password_hash(sara.id).await.expect("hash");
    assert!(verify_password("another password", &hash));
    assert!(!verify_password(PASSWORD, &hash));

    store
        .set_user_locale(sara.id, Locale::Fa)
        .await
        .expect("locale");
    assert_eq!(
        store.get_user(sara.id).await.expect("user").locale,
        Locale::Fa
    );
    store.set_user_active(sara.id, false).await.expect("off");
    assert!(!store.get_user(sara.id).await.expect("user").active);
    assert!(matches!(
        store.set_user_active(UserId(9999), false).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.set_password_hash(UserId(9999), &new_hash).await,
        Err(StoreError::NotFound)
    ));
    // The hash never shows in a NewUser's Debug.
    let debug = format!("{:?}", new_user("x", Role::Agent, None));
    assert!(!debug.contains("argon2"), "{debug}");
}
