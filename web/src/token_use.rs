//! "Last used" of API tokens, recorded off the request path: a request with a bearer
//! token never waits for a write (a write-locked SQLite or a slow database would hold
//! read-only API calls otherwise). [`TokenUse::note`] starts at most one background write
//! per token per [`RECORD_EVERY`], however many requests use it, on the service's task
//! tracker (so a shutdown waits for it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crm_core::{Store, TokenId, TokenUser};
use tokio::time::Instant;

/// A token's use is written at most this often.
pub const RECORD_EVERY: Duration = Duration::from_secs(60);
/// Tokens remembered at most; past this, those not used for [`RECORD_EVERY`] are forgotten.
const MAX_REMEMBERED: usize = 10_000;

/// When each token's use was last written (or started being written) by this process.
#[derive(Debug, Default)]
pub struct TokenUse {
    recorded: Mutex<HashMap<TokenId, Instant>>,
}

impl TokenUse {
    /// Records in the background (a task of `tasks`) that `found` was used now, unless its
    /// use was recorded within [`RECORD_EVERY`]; a failed write is logged, and tried again
    /// at the token's next use.
    pub fn note(
        self: &Arc<Self>,
        store: &Arc<dyn Store>,
        tasks: &tokio_util::task::TaskTracker,
        found: &TokenUser,
    ) {
        let now_ms = app::clock::now_ms();
        let every_ms = i64::try_from(RECORD_EVERY.as_millis()).unwrap_or(i64::MAX);
        if found
            .last_used_at_ms
            .is_some_and(|at| now_ms.saturating_sub(at) < every_ms)
        {
            return;
        }
        {
            let mut recorded = self.lock();
            if recorded
                .get(&found.token)
                .is_some_and(|at| at.elapsed() < RECORD_EVERY)
            {
                return;
            }
            if recorded.len() >= MAX_REMEMBERED {
                recorded.retain(|_, at| at.elapsed() < RECORD_EVERY);
            }
            recorded.insert(found.token, Instant::now());
        }
        let store = Arc::clone(store);
        let token = found.token;
        let this = Arc::clone(self);
        tasks.spawn(async move {
            if let Err(err) = store.record_token_use(token, now_ms).await {
                tracing::warn!(%token, error = %err, "cannot record the token's last use");
                this.lock().remove(&token);
            }
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TokenId, Instant>> {
        // A poisoned lock only means a panic elsewhere: the map is still usable.
        self.recorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
