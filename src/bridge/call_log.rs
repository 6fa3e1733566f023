//! Writes finished calls to the call log, retrying while the database is unavailable.
//!
//! A call is never lost: the queue in front of the writer is bounded (the tracker waits
//! when it is full) and a failed write is retried with a capped backoff until it lands.
//! Writes are idempotent upserts on (pbx, linkedid), so a retry never duplicates a call.
//! Each call written is announced ([`CallLogWriter::written`]) with its row id, for those
//! that act on finished calls (the wallboard's figures, the alert engine) without writing
//! or polling the log themselves.

use std::sync::Arc;
use std::time::Duration;

use crm_core::{CallId, Store, StoreError};
use cti::tracker::CallRecord;
use tokio::sync::{broadcast, mpsc};

/// Finished calls waiting to be written.
const QUEUE: usize = 1024;
/// Longest wait between two attempts at a write.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
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
    /// Starts the writer over `store`.
    pub fn start(store: Arc<dyn Store>) -> CallLogWriter {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (written, _) = broadcast::channel(WRITTEN_BUFFER);
        tokio::spawn(write_calls(store, rx, written.clone()));
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
) {
    while let Some(record) = rx.recv().await {
        let input = super::call_record_input(&record);
        let mut backoff = Duration::from_millis(100);
        loop {
            match store.record_call(&input).await {
                Ok(id) => {
                    // Nobody listening is fine.
                    let _ = written.send((id, Arc::new(record)));
                    break;
                }
                Err(StoreError::Invalid(reason)) => {
                    // Retrying cannot help; keep the record in the log so it can be replayed.
                    tracing::error!(linkedid = %record.linkedid, %reason, record = ?record, "call record rejected by the call log");
                    break;
                }
                Err(err) => {
                    tracing::warn!(linkedid = %record.linkedid, error = %err, retry_in = ?backoff, "cannot write the call yet");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}
