//! The shutdown sequence, bounded by `server.shutdown_timeout_s`:
//!
//! 1. HTTP: the server stops accepting connections (its graceful shutdown was triggered by
//!    the caller), the hub closes every WebSocket with 1001, requests in progress finish
//!    (for at most half the time allowed, so the queued work below keeps its share);
//! 2. the PBX: the AMI client logs off and stops without reconnecting; the tracking loop
//!    reads the last events, hands every ended call to the call log, and ends;
//! 3. the queued work: the call log writes every call queued (retrying a database that is
//!    briefly unavailable), then the alert engine acts on every call written, while the
//!    spool ingest in flight finishes;
//! 4. one line says what each stage drained.
//!
//! Past the deadline every stage is told to give up: each logs what it leaves undone (a
//! call not written is logged with its whole record, so it can be replayed), the report
//! says what was abandoned, and the process exits with a failure status.

use std::future::Future;
use std::time::Duration;

use crate::hub::Hub;
use tokio::time::Instant;

use super::Lifecycle;
use super::report::{Baseline, ShutdownReport};

/// How long stages that were told to give up may take to log what they leave.
const ABANDON_GRACE: Duration = Duration::from_secs(1);

impl Lifecycle {
    /// Runs the shutdown sequence. `server` is the HTTP server's future, already told to
    /// stop accepting connections (it resolves once its requests are done); `hub` is the
    /// WebSocket hub whose sockets are closed.
    pub async fn shut_down<S>(&self, server: S, hub: &Hub) -> ShutdownReport
    where
        S: Future<Output = std::io::Result<()>>,
    {
        let started = Instant::now();
        let deadline = started + self.timeout;
        let baseline = Baseline::of(self);
        let sockets_closed = hub.stats().sockets;
        tracing::info!(
            timeout_s = self.timeout.as_secs_f64(),
            "shutting down: HTTP first, then the PBX link, then the queued work"
        );
        // Nothing to keep in these; the spool ingest in flight finishes meanwhile.
        self.jobs.drain();
        self.recordings.drain();

        let http_deadline = started + self.timeout / 2;
        let http_finished = tokio::time::timeout_at(http_deadline, async {
            let ((), served) = tokio::join!(hub.close(), server);
            if let Err(err) = served {
                tracing::error!(error = %err, "the HTTP server failed while stopping");
            }
        })
        .await
        .is_ok();
        if !http_finished {
            tracing::warn!("HTTP requests still in progress: moving on to the PBX link");
        }

        let mut complete = true;
        for stage in self.stages() {
            // Every stage is told to drain even when an earlier one overran.
            complete &= stage.finish(deadline).await;
        }
        if !complete {
            self.abandon_all();
            let grace = Instant::now() + ABANDON_GRACE;
            for stage in self.stages() {
                let _ = tokio::time::timeout_at(grace, stage.tasks().wait()).await;
            }
        }
        ShutdownReport {
            elapsed: started.elapsed(),
            timeout: self.timeout,
            sockets_closed,
            http_finished,
            stages: baseline.stages(self),
        }
    }
}
