//! The supervisors' live wallboard: every queue's waiting callers (ticking), agents' states
//! and today's figures, pushed over `/ws` as `queue.snapshot` within a fraction of a
//! second of the PBX event.
//!
//! - [`snapshot`]: the message, built by a pure function from the live queue board,
//!   today's figures, contact and agent names and who is in wrap-up.
//! - [`feed`]: the task that gathers those inputs and publishes a new snapshot when
//!   anything changed (coalesced, at most five a second, and only while someone watches).
//! - [`WrapUps`]: agents between the end of a call and their wrap-up.

pub mod feed;
pub mod snapshot;

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::Notify;

/// Longest an agent shows as in wrap-up without saving it (as long as a wrap-up may
/// count towards handling time).
pub const MAX_WRAPUP_MS: i64 = 30 * 60 * 1000;

/// Agents in wrap-up: from the end of a call they answered until they save its wrap-up,
/// ring or answer again, or [`MAX_WRAPUP_MS`] passed.
#[derive(Debug, Default)]
pub struct WrapUps {
    agents: Mutex<HashMap<String, i64>>,
    changed: Notify,
}

impl WrapUps {
    fn agents(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        self.agents
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `extension`'s call ended at `at_ms`: wrap-up starts.
    pub fn started(&self, extension: &str, at_ms: i64) {
        self.agents().insert(extension.to_owned(), at_ms);
        self.changed.notify_one();
    }

    /// `extension` saved the wrap-up, or is busy again.
    pub fn done(&self, extension: &str) {
        if self.agents().remove(extension).is_some() {
            self.changed.notify_one();
        }
    }

    /// Who is in wrap-up at `now_ms`, and since when.
    pub fn active(&self, now_ms: i64) -> HashMap<String, i64> {
        let mut agents = self.agents();
        agents.retain(|_, since| now_ms - *since < MAX_WRAPUP_MS);
        agents.clone()
    }

    /// Resolves when the set changed.
    pub async fn changed(&self) {
        self.changed.notified().await;
    }
}
