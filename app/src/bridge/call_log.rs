//! Writes finished calls to the call log, and the calls in progress beside it, retrying
//! while the database is unavailable.
//!
//! A call is never lost: the queue in front of the writer is bounded (the tracker waits
//! when it is full) and a failed write is retried with a capped backoff until it lands.
//! Writes are idempotent upserts on (pbx, linkedid), so a retry never duplicates a call.
//! Each call written is announced ([`CallLogWriter::written`]) with its row id, for those
//! that act on finished calls (the wallboard's figures, the alert engine) without writing
//! or polling the log themselves.
//!
//! The same ordered queue carries the tracker's snapshots of the calls in progress
//! ([`Entry::Changed`], [`super::open_calls`]): what is queued together is written as one
//! batch, the latest state of each call winning, and a call's open row is removed only
//! after its record is in the log.
//!
//! The writer is a task of the lifecycle's `call log` stage. When the stage drains (at
//! shutdown, once the tracking loop has ended) the queue is closed and every call in it
//! is written, retrying often; when the deadline passes first, each call not written is
//! logged with its whole record (for `tamas replay` or a manual fix), never dropped
//! silently — and its call in progress stays saved, so the next start writes it too.

use std::sync::Arc;
use std::time::Duration;

use crm_core::{CallId, Store, StoreError};
use cti::tracker::{CallRecord, OpenCallChange};
use tokio::sync::{broadcast, mpsc};

use super::open_calls::OpenCallBatch;
use crate::lifecycle::Stage;

/// Entries waiting to be written.
const QUEUE: usize = 1024;
/// At most this many queued entries are written as one batch.
const BATCH: usize = 256;
/// Longest wait between two attempts at a write.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// The same while draining at shutdown: the deadline is near and the database may be back
/// at any moment.
const DRAINING_MAX_BACKOFF: Duration = Duration::from_millis(250);
/// Written calls a slow listener may lag behind before it is told it lagged.
const WRITTEN_BUFFER: usize = 1024;

/// A call as written to the call log: its row and the tracker's record.
pub type WrittenCall = (CallId, Arc<CallRecord>);

/// What the tracking loop hands the writer, in the order it happened.
#[derive(Debug)]
pub enum Entry {
    /// A call ended: its record goes to the call log, then its open row goes.
    Finished(Box<CallRecord>),
    /// Calls in progress changed.
    Changed(Vec<OpenCallChange>),
    /// Every call in progress was still open at this PBX time (ms): the heartbeat that
    /// bounds when a stop happened.
    Seen(i64),
}

/// The writer task's input, and the announcements of what it wrote.
#[derive(Clone)]
pub struct CallLogWriter {
    tx: mpsc::Sender<Entry>,
    written: broadcast::Sender<WrittenCall>,
}

impl CallLogWriter {
    /// Starts the writer over `store` for the PBX named `pbx`, as a task of `stage`.
    pub fn start(store: Arc<dyn Store>, pbx: &str, stage: &Stage) -> CallLogWriter {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (written, _) = broadcast::channel(WRITTEN_BUFFER);
        let writer = Writer {
            store,
            pbx: pbx.to_owned(),
            written: written.clone(),
            stage: stage.clone(),
        };
        stage.spawn(writer.run(rx));
        CallLogWriter { tx, written }
    }

    /// Every call written from now on, once it is in the log.
    pub fn written(&self) -> broadcast::Receiver<WrittenCall> {
        self.written.subscribe()
    }

    /// Where the tracking loop sends its entries.
    pub fn sender(&self) -> mpsc::Sender<Entry> {
        self.tx.clone()
    }
}

/// The writer task.
struct Writer {
    store: Arc<dyn Store>,
    pbx: String,
    written: broadcast::Sender<WrittenCall>,
    stage: Stage,
}

impl Writer {
    async fn run(self, mut rx: mpsc::Receiver<Entry>) {
        let mut closed = false;
        loop {
            let first = tokio::select! {
                biased;
                () = self.stage.abandoning() => break,
                entry = rx.recv() => match entry {
                    Some(entry) => entry,
                    None => break,
                },
                // The tracking loop has ended: take no more, write what is queued.
                () = self.stage.draining(), if !closed => {
                    rx.close();
                    closed = true;
                    continue;
                }
            };
            let mut batch = OpenCallBatch::default();
            let mut next = Some(first);
            let mut taken = 0;
            while let Some(entry) = next.take() {
                match entry {
                    Entry::Finished(record) => {
                        let linkedid = record.linkedid.clone();
                        if let Err(record) =
                            write_call(self.store.as_ref(), *record, &self.written, &self.stage)
                                .await
                        {
                            abandon(&self.stage, &record);
                            return self.abandon_rest(rx);
                        }
                        batch.close(&linkedid);
                    }
                    Entry::Changed(changes) => batch.add(changes),
                    Entry::Seen(at_ms) => batch.seen(at_ms),
                }
                taken += 1;
                if taken < BATCH {
                    next = rx.try_recv().ok();
                }
            }
            if !batch.is_empty() && !self.write_open_calls(&batch).await {
                return self.abandon_rest(rx);
            }
        }
        self.abandon_rest(rx);
    }

    /// Writes the calls in progress of a batch, retrying while the database fails; false
    /// when the stage was abandoned first.
    async fn write_open_calls(&self, batch: &OpenCallBatch) -> bool {
        let mut backoff = Duration::from_millis(100);
        loop {
            let attempt = tokio::select! {
                biased;
                () = self.stage.abandoning() => return false,
                attempt = batch.write(self.store.as_ref(), &self.pbx) => attempt,
            };
            match attempt {
                Ok(()) => return true,
                Err(err) => {
                    tracing::warn!(error = %err, retry_in = ?backoff, "cannot save the calls in progress yet");
                    tokio::select! {
                        biased;
                        () = self.stage.abandoning() => return false,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    let max = if self.stage.is_draining() {
                        DRAINING_MAX_BACKOFF
                    } else {
                        MAX_BACKOFF
                    };
                    backoff = (backoff * 2).min(max);
                }
            }
        }
    }

    /// Past the deadline: every call still queued is logged whole.
    fn abandon_rest(&self, mut rx: mpsc::Receiver<Entry>) {
        while let Ok(entry) = rx.try_recv() {
            if let Entry::Finished(record) = entry {
                abandon(&self.stage, &record);
            }
        }
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
    if record.is_unplaced_click() {
        // Click-to-call logs this failed attempt itself, with the number and the reason.
        tracing::debug!(linkedid = %record.linkedid, click_id = ?record.click_id, "unplaced click-to-call: not a call");
        return Ok(());
    }
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
