//! Writes finished calls to the call log, retrying while the database is unavailable.
//!
//! A call is never lost: the queue in front of the writer is bounded (the tracker waits
//! when it is full) and a failed write is retried with a capped backoff until it lands.
//! Writes are idempotent upserts on (pbx, linkedid), so a retry never duplicates a call.

use std::sync::Arc;
use std::time::Duration;

use crm_core::{Store, StoreError};
use cti::tracker::CallRecord;
use tokio::sync::{mpsc, watch};

/// Finished calls waiting to be written.
const QUEUE: usize = 1024;
/// Longest wait between two attempts at a write.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The writer task's input.
#[derive(Clone)]
pub struct CallLogWriter {
    tx: mpsc::Sender<CallRecord>,
    written: watch::Receiver<u64>,
}

impl CallLogWriter {
    /// Starts the writer over `store`.
    pub fn start(store: Arc<dyn Store>) -> CallLogWriter {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (written_tx, written) = watch::channel(0);
        tokio::spawn(write_calls(store, rx, written_tx));
        CallLogWriter { tx, written }
    }

    /// How many calls were written so far; changes after each write lands.
    pub fn written(&self) -> watch::Receiver<u64> {
        self.written.clone()
    }

    /// Where finished calls are sent.
    pub fn sender(&self) -> mpsc::Sender<CallRecord> {
        self.tx.clone()
    }
}

async fn write_calls(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<CallRecord>,
    written: watch::Sender<u64>,
) {
    while let Some(record) = rx.recv().await {
        let input = super::call_record_input(&record);
        let mut backoff = Duration::from_millis(100);
        loop {
            match store.record_call(&input).await {
                Ok(_) => {
                    written.send_modify(|count| *count += 1);
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
