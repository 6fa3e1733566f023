//! Writes finished calls to the call log, retrying while the database is unavailable.
//!
//! A call is never lost: the queue in front of the writer is bounded (the tracker waits
//! when it is full) and a failed write is retried with a capped backoff until it lands.
//! Writes are idempotent upserts on (pbx, linkedid), so a retry never duplicates a call.
//! Each call written is announced ([`CallLogWriter::written`]) with its row id, for those
//! that act on finished calls (the wallboard's figures, the alert engine) without writing
//! or polling the log themselves.
//!
//! The writer is a task of the lifecycle's `call log` stage. When the stage drains (at
//! shutdown, once the tracking loop has ended) the queue is closed and every call in it
//! is written, retrying often; when the deadline passes first, each call not written is
//! logged with its whole record (for `tamas replay` or a manual fix), never dropped
//! silently.

use std::sync::Arc;
use std::time::Duration;

use crm_core::{CallId, Store, StoreError};
use cti::tracker::CallRecord;
use tokio::sync::{broadcast, mpsc};

use crate::lifecycle::Stage;

/// Finished calls waiting to be written.
const QUEUE: usize = 1024;
/// Longest wait between two attempts at a write.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// The same while draining at shutdown: the deadline is near and the database may be back
/// at any moment.
const DRAINING_MAX_BACKOFF: Duration = Duration::from_millis(250);
/// Written calls a slow listener may lag behind before it is told it lagged.
const WRITTEN_BUFFER: usize = 1024;

/// A call as written to the call log: its row and the tracker's record.
pub type WrittenCall = (CallId, Arc<CallRecord>);

/// The writer task's input, and the announcements of what it wrote.
#[derive(Clone)]
pub struct CallLogWriter {
    tx: mpsc::Sender<CallRecord>,
    written: broadcast::Sender<WrittenCall>,
}

impl CallLogWriter {
    /// Starts the writer over `store`, as a task of `stage`.
    pub fn start(store: Arc<dyn Store>, stage: &Stage) -> CallLogWriter {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (written, _) = broadcast::channel(WRITTEN_BUFFER);
        stage.spawn(write_calls(store, rx, written.clone(), stage.clone()));
        CallLogWriter { tx, written }
    }

    /// Every call written from now on, once it is in the log.
    pub fn written(&self) -> broadcast::Receiver<WrittenCall> {
        self.written.subscribe()
    }

    /// Where finished calls are sent.
    pub fn sender(&self) -> mpsc::Sender<CallRecord> {
        self.tx.clone()
    }
}

async fn write_calls(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<CallRecord>,
    written: broadcast::Sender<WrittenCall>,
    stage: Stage,
) {
    let mut closed = false;
    loop {
        let record = tokio::select! {
            biased;
            () = stage.abandoning() => break,
            record = rx.recv() => match record {
                Some(record) => record,
                None => break,
            },
            // The tracking loop has ended: take no more, write what is queued.
            () = stage.draining(), if !closed => {
                rx.close();
                closed = true;
                continue;
            }
        };
        if let Err(record) = write_call(store.as_ref(), record, &written, &stage).await {
            abandon(&stage, &record);
            break;
        }
    }
    while let Ok(record) = rx.try_recv() {
        abandon(&stage, &record);
    }
}

/// Writes `record`, retrying while the database fails; gives it back when the stage is
/// abandoned first.
async fn write_call(
    store: &dyn Store,
    record: CallRecord,
    written: &broadcast::Sender<WrittenCall>,
    stage: &Stage,
) -> Result<(), CallRecord> {
    let input = super::call_record_input(&record);
    let mut backoff = Duration::from_millis(100);
    loop {
        let attempt = tokio::select! {
            biased;
            () = stage.abandoning() => return Err(record),
            attempt = store.record_call(&input) => attempt,
        };
        match attempt {
            Ok(id) => {
                stage.finished_one();
                // Nobody listening is fine.
                let _ = written.send((id, Arc::new(record)));
                return Ok(());
            }
            Err(StoreError::Invalid(reason)) => {
                // Retrying cannot help; keep the record in the log so it can be replayed.
                tracing::error!(linkedid = %record.linkedid, %reason, record = ?record, "call record rejected by the call log");
                return Ok(());
            }
            Err(err) => {
                tracing::warn!(linkedid = %record.linkedid, error = %err, retry_in = ?backoff, "cannot write the call yet");
                let draining = stage.is_draining();
                tokio::select! {
                    biased;
                    () = stage.abandoning() => return Err(record),
                    // A shutdown began: try again now rather than after a long backoff.
                    () = stage.draining(), if !draining => {}
                    () = tokio::time::sleep(backoff) => {}
                }
                let max = if stage.is_draining() {
                    DRAINING_MAX_BACKOFF
                } else {
                    MAX_BACKOFF
                };
                backoff = (backoff * 2).min(max);
            }
        }
    }
}

/// A call given up at the shutdown deadline: logged whole, so it can be written later.
fn abandon(stage: &Stage, record: &CallRecord) {
    stage.gave_up(1);
    tracing::error!(linkedid = %record.linkedid, record = ?record, "shutdown deadline passed: call NOT written to the call log");
}
