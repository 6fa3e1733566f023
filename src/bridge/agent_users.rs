//! Which user an extension belongs to, cached: every popup, answer and hang-up is
//! addressed by extension, and the users table changes rarely. Entries live for a minute,
//! so a user created or given an extension is reached within that time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crm_core::{Store, UserId};
use tokio::time::Instant;

/// How long an answer is trusted.
const TTL: Duration = Duration::from_secs(60);
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

    /// The active user with `extension`, from the cache or the store. A store error counts
    /// as "no user" (logged) and is not cached.
    pub async fn user(&self, extension: &str) -> Option<UserId> {
        if let Some(cached) = self.cached(extension) {
            return cached;
        }
        match self.store.user_by_extension(extension).await {
            Ok(user) => {
                let id = user.filter(|u| u.active).map(|u| u.id);
                if let Ok(mut cache) = self.cache.lock() {
                    if cache.len() >= MAX_ENTRIES {
                        cache.clear();
                    }
                    cache.insert(extension.to_owned(), (id, Instant::now()));
                }
                id
            }
            Err(err) => {
                tracing::warn!(%extension, error = %err, "cannot look the agent's user up");
                None
            }
        }
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
