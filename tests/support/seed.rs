//! The people of a test's database, all with one password ([`PASSWORD`], hashed once per
//! test binary: argon2 is slow in debug builds).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use crm_core::{Extension, Locale, NewUser, Role, Store, User, Username};

/// The password of every seeded user.
pub const PASSWORD: &str = "a long test password";

/// The standard users: agents `sara` (1001) and `reza` (1002), supervisor `boss`, admin
/// `root`; each displayed as "`username` (test)".
pub const USERS: [(&str, Role, Option<&str>); 4] = [
    ("sara", Role::Agent, Some("1001")),
    ("reza", Role::Agent, Some("1002")),
    ("boss", Role::Supervisor, None),
    ("root", Role::Admin, None),
];

/// One user to create.
#[derive(Clone, Debug)]
pub struct Person {
    /// Signs in with this.
    pub username: String,
    /// Shown in pages and popups.
    pub display_name: String,
    /// What they may do.
    pub role: Role,
    /// Their phone, for agents.
    pub extension: Option<String>,
}

impl Person {
    /// `username` with `role` and `extension`, displayed as the username.
    pub fn new(username: &str, role: Role, extension: Option<&str>) -> Person {
        Person {
            username: username.to_owned(),
            display_name: username.to_owned(),
            role,
            extension: extension.map(str::to_owned),
        }
    }

    /// An agent on `extension`, displayed as the username.
    pub fn agent(username: &str, extension: &str) -> Person {
        Person::new(username, Role::Agent, Some(extension))
    }
}

/// The [`USERS`], as people to create.
pub fn standard_users() -> Vec<Person> {
    USERS
        .iter()
        .map(|(username, role, extension)| Person {
            display_name: format!("{username} (test)"),
            ..Person::new(username, *role, *extension)
        })
        .collect()
}

/// The argon2 hash of [`PASSWORD`], computed once.
pub fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| crm_core::password::hash_password(PASSWORD).unwrap())
        .clone()
}

/// Creates `people` (English pages, [`PASSWORD`]); the users by username.
pub async fn seed(store: &dyn Store, people: &[Person]) -> HashMap<String, User> {
    if people.is_empty() {
        return HashMap::new();
    }
    let hash = tokio::task::spawn_blocking(password_hash).await.unwrap();
    let mut users = HashMap::new();
    for person in people {
        let user = store
            .create_user(&NewUser {
                username: Username::parse(&person.username).unwrap(),
                display_name: person.display_name.clone(),
                role: person.role,
                extension: person
                    .extension
                    .as_deref()
                    .map(|e| Extension::parse(e).unwrap()),
                locale: Locale::En,
                password_hash: hash.clone(),
            })
            .await
            .unwrap();
        users.insert(person.username.clone(), user);
    }
    users
}

/// A fresh, migrated SQLite database in `dir` with the [`USERS`]: its URL and the store.
pub async fn seeded_database(dir: &Path) -> (String, Arc<dyn Store>) {
    let database_url = format!("sqlite:{}", dir.join("tamas.db").display());
    let store = crm_core::connect(&database_url, crm_core::PhoneNormalizer::new("IR"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    seed(store.as_ref(), &standard_users()).await;
    (database_url, store)
}
