//! Closing the sockets whose access ended, whichever process ended it.
//!
//! Every change that ends access (a sign-out, a revoked token, a password or role change,
//! a disabled user) is appended by the store to its log of credential changes, in the same
//! transaction as the change itself, so the CLI or another Tamas against the same database
//! is seen too. [`watch`] reads the log after the last change it applied — one indexed
//! query that returns nothing while nothing changed, however many sockets are open — every
//! [`RevocationSettings::poll_every`], and at once when this process announces a change of
//! its own ([`Hub::access_changed`]); the hub closes the sockets the changes name.
//!
//! A socket whose credential was checked just before a change and registered just after
//! is refused at registration: the hub keeps the latest changes and the cursor at which
//! the credential was checked (see [`Hub::register`]).

use std::sync::Arc;
use std::time::Duration;

use crm_core::Store;
use tokio_util::sync::CancellationToken;

use super::Hub;

/// Changes read per query (more are read at once by the next).
const PAGE: u32 = 500;
/// Changes older than this are forgotten (a socket checks its credential when it opens).
const KEEP_CHANGES: Duration = Duration::from_secs(3600);
/// How often old changes are forgotten.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// How often the log is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevocationSettings {
    /// The longest a change made by another process waits before its sockets close.
    pub poll_every: Duration,
}

impl Default for RevocationSettings {
    fn default() -> Self {
        RevocationSettings {
            poll_every: Duration::from_millis(300),
        }
    }
}

/// Applies the store's credential changes to `hub` until `stop` is cancelled.
pub async fn watch(
    store: Arc<dyn Store>,
    hub: Hub,
    settings: RevocationSettings,
    stop: CancellationToken,
) {
    // Sockets check their credential when they open: only changes from now on matter.
    let start = loop {
        match store.last_credential_change().await {
            Ok(seq) => break seq,
            Err(err) => {
                tracing::warn!(error = %crate::DisplayChain(&err), "cannot read the credential changes; retrying");
                if wait(&hub, settings, &stop).await.is_err() {
                    return;
                }
            }
        }
    };
    hub.skip_access_changes_to(start);
    let mut last_prune = tokio::time::Instant::now();
    loop {
        if wait(&hub, settings, &stop).await.is_err() {
            return;
        }
        apply_new_changes(store.as_ref(), &hub).await;
        if last_prune.elapsed() >= PRUNE_EVERY {
            last_prune = tokio::time::Instant::now();
            prune(store.as_ref()).await;
        }
    }
}

/// Waits for the next poll or an announced change; `Err` when stopped.
async fn wait(hub: &Hub, settings: RevocationSettings, stop: &CancellationToken) -> Result<(), ()> {
    tokio::select! {
        () = stop.cancelled() => Err(()),
        () = tokio::time::sleep(settings.poll_every) => Ok(()),
        () = hub.access_change_announced() => Ok(()),
    }
}

/// Reads every change after the hub's cursor and applies it.
async fn apply_new_changes(store: &dyn Store, hub: &Hub) {
    loop {
        let changes = match store
            .credential_changes_after(hub.access_cursor(), PAGE)
            .await
        {
            Ok(changes) => changes,
            Err(err) => {
                tracing::warn!(error = %crate::DisplayChain(&err), "cannot read the credential changes");
                return;
            }
        };
        let closed = hub.end_access(&changes);
        if closed > 0 {
            tracing::info!(closed, "sockets closed: their access ended");
        }
        if changes.len() < PAGE as usize {
            return;
        }
    }
}

async fn prune(store: &dyn Store) {
    let keep_ms = i64::try_from(KEEP_CHANGES.as_millis()).unwrap_or(i64::MAX);
    let before = crate::clock::now_ms().saturating_sub(keep_ms);
    if let Err(err) = store.prune_credential_changes(before).await {
        tracing::warn!(error = %crate::DisplayChain(&err), "cannot prune the credential changes");
    }
}
