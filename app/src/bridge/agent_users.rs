//! Which user an extension belongs to, cached: every popup, answer and hang-up is
//! addressed by extension, and the users table changes rarely. Entries are trusted for a
//! minute, so a user created or given an extension is reached within that time; after
//! that the store is asked again, and when it fails or does not answer within
//! [`LOOKUP_TIMEOUT`] the last good answer stands (a database error is not "no such
//! user": popups keep reaching their agents while the database is down). The cache is
//! filled with every user's extension at start-up ([`AgentUsers::preload`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crm_core::{Store, UserId};
use tokio::time::Instant;

/// How long an answer is trusted.
const TTL: Duration = Duration::from_secs(60);
/// The longest a lookup waits for the store before the last good answer is used.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(1);
/// Entries kept at most; past this the cache is cleared.
const MAX_ENTRIES: usize = 50_000;

/// Extension → user, in front of the store.
pub struct AgentUsers {
    store: Arc<dyn Store>,
    cache: Mutex<HashMap<String, (Option<UserId>, Instant)>>,
}

impl AgentUsers {
    /// An empty cache over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        AgentUsers {
            store,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The store behind the cache.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The cached answer for `extension`, when fresh: `Some(None)` means "no such user".
    pub fn cached(&self, extension: &str) -> Option<Option<UserId>> {
        let cache = self.cache.lock().ok()?;
        let (user, at) = cache.get(extension)?;
        (at.elapsed() < TTL).then_some(*user)
    }

    /// The active user with `extension`, from the cache or the store. When the store
    /// fails or is slow, the last good answer (logged), or "no user" when there is none.
    pub async fn user(&self, extension: &str) -> Option<UserId> {
        if let Some(cached) = self.cached(extension) {
            return cached;
        }
        let found =
            tokio::time::timeout(LOOKUP_TIMEOUT, self.store.user_by_extension(extension)).await;
        match found {
            Ok(Ok(user)) => {
                let id = user.filter(|u| u.active).map(|u| u.id);
                self.remember(extension, id);
                id
            }
            Ok(Err(err)) => {
                let last = self.last_known(extension);
                tracing::warn!(%extension, error = %err, last_known = ?last, "cannot look the agent's user up; using the last known answer");
                last
            }
            Err(_) => {
                let last = self.last_known(extension);
                tracing::warn!(%extension, last_known = ?last, "the agent's user lookup took longer than {LOOKUP_TIMEOUT:?}; using the last known answer");
                last
            }
        }
    }

    /// Fills the cache with every user that has an extension; a store error is logged
    /// (the cache then fills as calls come).
    pub async fn preload(&self) {
        match tokio::time::timeout(LOOKUP_TIMEOUT * 5, self.store.list_users()).await {
            Ok(Ok(users)) => {
                for user in users {
                    if let Some(extension) = &user.extension {
                        self.remember(extension.as_str(), user.active.then_some(user.id));
                    }
                }
            }
            Ok(Err(err)) => tracing::warn!(error = %err, "cannot preload the agents' users"),
            Err(_) => tracing::warn!("cannot preload the agents' users: the database is slow"),
        }
    }

    /// Caches `user` as the answer for `extension`, fresh from now.
    fn remember(&self, extension: &str, user: Option<UserId>) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= MAX_ENTRIES {
                cache.clear();
            }
            cache.insert(extension.to_owned(), (user, Instant::now()));
        }
    }

    /// The last answer for `extension`, however old.
    fn last_known(&self, extension: &str) -> Option<UserId> {
        let cache = self.cache.lock().ok()?;
        cache.get(extension).and_then(|(user, _)| *user)
    }

    /// The users of these extensions (those that have one), in order, without repeats.
    pub async fn users(&self, extensions: &[String]) -> Vec<UserId> {
        let mut users = Vec::with_capacity(extensions.len());
        for extension in extensions {
            if let Some(user) = self.user(extension).await
                && !users.contains(&user)
            {
                users.push(user);
            }
        }
        users
    }

    /// Whether every one of `extensions` has a fresh cached answer.
    pub fn all_cached(&self, extensions: &[String]) -> bool {
        extensions.iter().all(|e| self.cached(e).is_some())
    }
}
