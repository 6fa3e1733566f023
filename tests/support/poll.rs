//! Bounded waits instead of sleeps: wait until something is true (an event, a row, a
//! file) for at most a given time, or check that something stays true for a given time.
//! Each names what it waits for, so a timeout says what never happened.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// How often a condition is checked.
const EVERY: Duration = Duration::from_millis(25);

/// Waits until `check` gives `Some`, for `timeout` at most; panics naming `what` otherwise.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(EVERY).await;
    }
}

/// Waits until `check` is true, for `timeout` at most; panics naming `what` otherwise.
pub async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    wait_for(what, timeout, || {
        let checked = check();
        async move { checked.await.then_some(()) }
    })
    .await;
}

/// Whether `check` became true within `timeout` (for the callers that report more than
/// a timeout).
pub async fn became_true<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(EVERY).await;
    }
}

/// Checks `check` throughout `window` (for "nothing happens" where nothing marks the
/// moment it would have): panics naming `what` the first time it is false.
pub async fn holds_for<F, Fut>(what: &str, window: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + window;
    loop {
        assert!(check().await, "no longer true: {what}");
        if Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep(EVERY).await;
    }
}
