//! The service's background tasks and how they stop.
//!
//! Every task the service starts belongs to a [`Stage`] of the [`Lifecycle`]: the stage's
//! [`TaskTracker`] owns it (nothing is a detached `tokio::spawn`), the stage's *drain*
//! token tells it to finish the work it holds and end, and the stage's *abandon* token —
//! cancelled only when the shutdown deadline passes — tells it to give up at once and log
//! what it leaves undone. Each stage counts the items it finished and gave up, for the
//! one line logged at the end ([`report`]).
//!
//! The stages, in the order [`Lifecycle::shut_down`] ([`shutdown`]) stops them after
//! the HTTP server:
//! - `pbx`: the AMI client's connection task (logged off, not reconnecting), the tracking
//!   loop (it ends once the client stopped, after handing every ended call to the call
//!   log) and the click-to-call followers requests leave behind;
//! - `call log`: the writer of finished calls (it writes everything queued);
//! - `alerts`: the alert engine (it acts on every call the writer announced);
//! - `recordings`: the spool watcher and retention (the ingest in flight finishes);
//! - `jobs`: popups, the wallboard feed and the per-call metrics job (nothing to keep:
//!   they stop as soon as the shutdown begins).
//!
//! Not here: one task per HTTP connection (axum's; graceful shutdown waits for them) and
//! per WebSocket (axum's upgrade; the hub closes them and waits, [`crate::hub::Hub::close`]),
//! and `spawn_blocking` work awaited by a task that is here.

pub mod report;
pub mod shutdown;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};
use tokio_util::task::TaskTracker;

/// The default of `server.shutdown_timeout_s`.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// Every background task of the service, grouped in the stages that stop in order.
#[derive(Debug)]
pub struct Lifecycle {
    timeout: Duration,
    /// Parent of every stage's abandon token.
    abandon: CancellationToken,
    pbx: Stage,
    call_log: Stage,
    alerts: Stage,
    recordings: Stage,
    jobs: Stage,
}

impl Lifecycle {
    /// Stages with nothing running yet; a shutdown may take up to `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let abandon = CancellationToken::new();
        let stage = |name, unit| Stage::new(name, unit, &abandon);
        Lifecycle {
            pbx: stage("pbx", None),
            call_log: stage("call log", Some("calls written")),
            alerts: stage("alerts", Some("written calls acted on")),
            recordings: stage("recordings", Some("spool ingests finished")),
            jobs: stage("jobs", None),
            timeout,
            abandon,
        }
    }

    /// The longest a shutdown may take (`server.shutdown_timeout_s`).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The PBX link: AMI client, tracking loop, click-to-call followers.
    pub fn pbx(&self) -> &Stage {
        &self.pbx
    }

    /// The call log's writer.
    pub fn call_log(&self) -> &Stage {
        &self.call_log
    }

    /// The alert engine.
    pub fn alerts(&self) -> &Stage {
        &self.alerts
    }

    /// The spool watcher and the recording retention.
    pub fn recordings(&self) -> &Stage {
        &self.recordings
    }

    /// Popups, the wallboard feed, the per-call metrics job.
    pub fn jobs(&self) -> &Stage {
        &self.jobs
    }

    /// Past the deadline: every stage gives up what it holds (logging it) and ends.
    pub fn abandon_all(&self) {
        self.abandon.cancel();
    }

    /// Every stage, in shutdown order.
    pub fn stages(&self) -> [&Stage; 5] {
        [
            &self.pbx,
            &self.call_log,
            &self.alerts,
            &self.recordings,
            &self.jobs,
        ]
    }
}

/// Items a stage finished and gave up.
#[derive(Debug, Default)]
struct Counts {
    done: AtomicU64,
    abandoned: AtomicU64,
}

/// One group of background tasks that stop together; cheap to clone.
#[derive(Clone, Debug)]
pub struct Stage {
    name: &'static str,
    unit: Option<&'static str>,
    tasks: TaskTracker,
    drain: CancellationToken,
    abandon: CancellationToken,
    counts: Arc<Counts>,
}

impl Stage {
    fn new(name: &'static str, unit: Option<&'static str>, abandon: &CancellationToken) -> Self {
        Stage {
            name,
            unit,
            tasks: TaskTracker::new(),
            drain: CancellationToken::new(),
            abandon: abandon.child_token(),
            counts: Arc::default(),
        }
    }

    /// The stage's name in logs (`call log`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// What its counted items are (`calls written`), when it counts any.
    pub fn unit(&self) -> Option<&'static str> {
        self.unit
    }

    /// Runs `task` as one of the stage's tasks.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tasks.spawn(task)
    }

    /// The tracker owning the stage's tasks (for code that spawns on a tracker itself).
    pub fn tasks(&self) -> &TaskTracker {
        &self.tasks
    }

    /// A token cancelled when the stage drains (for code that stops on a token).
    pub fn drain_token(&self) -> CancellationToken {
        self.drain.child_token()
    }

    /// Resolves when the stage should finish what it holds and end.
    pub fn draining(&self) -> WaitForCancellationFuture<'_> {
        self.drain.cancelled()
    }

    /// Whether the stage is draining.
    pub fn is_draining(&self) -> bool {
        self.drain.is_cancelled()
    }

    /// Resolves when the deadline has passed: give up now, logging what is left undone.
    pub fn abandoning(&self) -> WaitForCancellationFuture<'_> {
        self.abandon.cancelled()
    }

    /// Counts one item finished (a call written, a recording ingested).
    pub fn finished_one(&self) {
        self.counts.done.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts `n` items given up at the deadline.
    pub fn gave_up(&self, n: u64) {
        self.counts.abandoned.fetch_add(n, Ordering::Relaxed);
    }

    /// Items finished since the start.
    pub fn finished_count(&self) -> u64 {
        self.counts.done.load(Ordering::Relaxed)
    }

    /// Items given up.
    pub fn abandoned_count(&self) -> u64 {
        self.counts.abandoned.load(Ordering::Relaxed)
    }

    /// Tasks still running.
    pub fn running(&self) -> usize {
        self.tasks.len()
    }

    /// Tells the stage to drain without waiting (stages independent of the order).
    pub fn drain(&self) {
        self.drain.cancel();
        self.tasks.close();
    }

    /// Tells the stage to drain and waits for its tasks until `deadline`; true when they
    /// all ended.
    pub async fn finish(&self, deadline: Instant) -> bool {
        self.drain();
        tokio::time::timeout_at(deadline, self.tasks.wait())
            .await
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stage_drains_its_tasks_and_counts_what_they_finished() {
        let lifecycle = Lifecycle::new(DEFAULT_SHUTDOWN_TIMEOUT);
        let stage = lifecycle.call_log().clone();
        let worker = stage.clone();
        stage.spawn(async move {
            worker.draining().await;
            tokio::time::sleep(Duration::from_millis(10)).await;
            worker.finished_one();
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        assert!(lifecycle.call_log().finish(deadline).await);
        assert_eq!(stage.finished_count(), 1);
        assert_eq!(stage.running(), 0);
    }

    #[tokio::test]
    async fn a_stage_past_its_deadline_is_reported_and_can_be_abandoned() {
        let lifecycle = Lifecycle::new(DEFAULT_SHUTDOWN_TIMEOUT);
        let stage = lifecycle.alerts().clone();
        let worker = stage.clone();
        stage.spawn(async move {
            // Ignores the drain: only abandoning stops it.
            worker.abandoning().await;
            worker.gave_up(2);
        });
        let deadline = Instant::now() + Duration::from_secs(1);
        assert!(
            !stage.finish(deadline).await,
            "still running at the deadline"
        );
        lifecycle.abandon_all();
        stage.tasks().wait().await;
        assert_eq!(stage.abandoned_count(), 2);
    }
}
