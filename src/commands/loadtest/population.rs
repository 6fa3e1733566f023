//! The load test's people: agent users with extensions and tokens, a supervisor, and
//! contacts whose numbers most callers will have. Existing users are reused, so a running
//! Tamas keeps knowing their extensions between runs.

use std::sync::Arc;

use anyhow::Context as _;
use crm_core::{
    Extension, Locale, NewContact, NewPhone, NewUser, Role, Stage, Store, TokenScope, Username,
};

/// First extension of the load test's agents.
const FIRST_EXTENSION: u32 = 70_000;
/// How many contacts callers are drawn from.
pub const CONTACTS: usize = 500;

/// One agent of the load test.
#[derive(Clone, Debug)]
pub struct Agent {
    /// Extension.
    pub extension: String,
    /// Bearer token.
    pub token: String,
}

/// What the load test set up.
#[derive(Debug)]
pub struct Population {
    /// The agents.
    pub agents: Vec<Agent>,
    /// A supervisor's token (readiness checks).
    pub supervisor_token: String,
    /// Callers' numbers: the contacts' numbers, as the PBX presents them.
    pub known_numbers: Vec<String>,
    /// How many agent users had to be created now (a running server does not know them
    /// until it restarts).
    pub created_agents: usize,
}

/// The number of the `i`th contact, `09…` as an Iranian mobile.
pub fn contact_number(i: usize) -> String {
    format!("0912{:07}", 3_000_000 + i)
}

/// Creates (or finds) `agents` agent users, a supervisor and the contacts.
pub async fn populate(store: &Arc<dyn Store>, agents: usize) -> anyhow::Result<Population> {
    let hash = crm_core::password::hash_password(&format!("loadtest-{}", rand::random::<u64>()))
        .context("hashing the load test's password")?;
    let mut out = Vec::with_capacity(agents);
    let mut created = 0;
    for i in 0..agents {
        let extension = (FIRST_EXTENSION + u32::try_from(i)?).to_string();
        let username = format!("loadtest-{extension}");
        let (user, new) = user(store, &username, Some(&extension), Role::Agent, &hash).await?;
        created += usize::from(new);
        let (_, token) = store.create_token(user, TokenScope::Full).await?;
        out.push(Agent {
            extension,
            token: token.expose().to_owned(),
        });
    }
    let (boss, _) = user(store, "loadtest-supervisor", None, Role::Supervisor, &hash).await?;
    let (_, supervisor_token) = store.create_token(boss, TokenScope::Full).await?;
    let normalizer = store.normalizer().clone();
    let mut known_numbers = Vec::with_capacity(CONTACTS);
    for i in 0..CONTACTS {
        let number = contact_number(i);
        if store.lookup_number(&number, None).await?.is_empty() {
            store
                .create_contact(&NewContact {
                    name: format!("Load Test Customer {i}"),
                    stage: Stage::Customer,
                    phones: vec![NewPhone {
                        number: normalizer.normalize(&number),
                        label: "mobile".into(),
                    }],
                    ..NewContact::default()
                })
                .await?;
        }
        known_numbers.push(number);
    }
    Ok(Population {
        agents: out,
        supervisor_token: supervisor_token.expose().to_owned(),
        known_numbers,
        created_agents: created,
    })
}

/// The user named `username`, created when missing; whether it was created.
async fn user(
    store: &Arc<dyn Store>,
    username: &str,
    extension: Option<&str>,
    role: Role,
    hash: &str,
) -> anyhow::Result<(crm_core::UserId, bool)> {
    if let Some(user) = store.user_by_username(username).await? {
        return Ok((user.id, false));
    }
    let user = store
        .create_user(&NewUser {
            username: Username::parse(username)?,
            display_name: username.to_owned(),
            role,
            extension: extension.map(Extension::parse).transpose()?,
            locale: Locale::En,
            password_hash: hash.to_owned(),
        })
        .await
        .with_context(|| format!("creating user {username}"))?;
    Ok((user.id, true))
}
