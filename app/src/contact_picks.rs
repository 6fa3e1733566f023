//! Picks of a contact for an answered call, announced to whoever closes callbacks (the
//! alert engine), so that the picked contact's open callback closes at once rather than at
//! the next periodic check.

use std::sync::Mutex;

use crm_core::CallId;
use tokio::sync::mpsc;

/// Where the pick routes announce the calls linked to a contact by a pick.
#[derive(Debug, Default)]
pub struct ContactPicks {
    sender: Mutex<Option<mpsc::Sender<CallId>>>,
}

impl ContactPicks {
    /// Starts listening: the calls picked from now on arrive on the receiver (a previous
    /// listener stops hearing them). At most `capacity` wait unread.
    pub fn subscribe(&self, capacity: usize) -> mpsc::Receiver<CallId> {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        *self
            .sender
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(sender);
        receiver
    }

    /// Announces that the answered call `call` was linked to a contact by a pick. Without
    /// a listener, or with one far behind, nothing waits: the periodic check closes the
    /// callback later.
    pub fn picked(&self, call: CallId) {
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        if let Some(sender) = sender
            && let Err(err) = sender.try_send(call)
        {
            tracing::warn!(call = %call, error = %err, "contact pick not announced; the callback check will see it");
        }
    }
}
