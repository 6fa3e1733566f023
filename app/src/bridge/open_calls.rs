//! Calls in progress, durable: the tracker's snapshots of its open calls go to the store as
//! they change ([`OpenCallBatch`], written by the call log's writer in the same ordered
//! queue as the finished calls), and a restarted Tamas takes them back ([`load`]) to carry
//! on each call where it left off.
//!
//! The order makes a restart safe at any moment: a call's record is written before its
//! open row is removed, so a stop in between leaves a row whose call is already in the
//! log, and [`load`] drops it instead of restoring the call.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context as _;
use crm_core::{OpenCallRow, OpenCallWrite, Store};
use cti::tracker::{OpenCall, OpenCallChange};

/// The calls a restarted Tamas takes back.
#[derive(Debug, Default)]
pub struct Restored {
    /// The open calls as they were saved.
    pub calls: Vec<OpenCall>,
    /// The last PBX time (ms) at which Tamas knew them open: when it stopped, to within
    /// the heartbeat.
    pub stopped_at_ms: i64,
}

/// Reads the open calls of `pbx` saved by an earlier run; rows of calls already in the call
/// log, or that cannot be read, are removed (the latter logged with their text).
pub async fn load(store: &Arc<dyn Store>, pbx: &str) -> anyhow::Result<Restored> {
    let rows = store
        .open_calls(pbx)
        .await
        .context("cannot read the calls in progress")?;
    let mut restored = Restored::default();
    let mut closes = Vec::new();
    for row in rows {
        restored.stopped_at_ms = restored.stopped_at_ms.max(row.seen_at_ms);
        let logged = store
            .call_by_linkedid(pbx, &row.linkedid)
            .await
            .context("cannot read the call log")?
            .is_some();
        if logged {
            closes.push(OpenCallWrite::Close {
                linkedid: row.linkedid,
            });
            continue;
        }
        match serde_json::from_str::<OpenCall>(&row.state) {
            Ok(call) => restored.calls.push(call),
            Err(err) => {
                tracing::error!(linkedid = %row.linkedid, error = %err, state = %row.state, "a saved call in progress cannot be read: dropped");
                closes.push(OpenCallWrite::Close {
                    linkedid: row.linkedid,
                });
            }
        }
    }
    if !closes.is_empty() {
        store
            .write_open_calls(pbx, &closes)
            .await
            .context("cannot remove the ended calls in progress")?;
    }
    if !restored.calls.is_empty() {
        tracing::info!(
            calls = restored.calls.len(),
            stopped_at_ms = restored.stopped_at_ms,
            "taking back the calls in progress of the last run"
        );
    }
    Ok(restored)
}

/// Changes to the open calls gathered from the writer's queue: the latest state of each
/// call wins, a closing replaces any state before it.
#[derive(Debug, Default)]
pub struct OpenCallBatch {
    writes: Vec<OpenCallWrite>,
    slot: HashMap<String, usize>,
    /// The latest "still open at" time seen (a heartbeat).
    seen_at_ms: Option<i64>,
}

impl OpenCallBatch {
    /// Adds the tracker's changes.
    pub fn add(&mut self, changes: Vec<OpenCallChange>) {
        for change in changes {
            let write = match change {
                OpenCallChange::Saved(open) => match serde_json::to_string(&open) {
                    Ok(state) => OpenCallWrite::Save(OpenCallRow {
                        linkedid: open.linkedid.clone(),
                        state,
                        seen_at_ms: open.seen_at_ms,
                    }),
                    Err(err) => {
                        tracing::error!(linkedid = %open.linkedid, error = %err, "cannot save a call in progress");
                        continue;
                    }
                },
                OpenCallChange::Closed(linkedid) => OpenCallWrite::Close { linkedid },
            };
            self.put(write);
        }
    }

    /// The call `linkedid` ended and is in the call log.
    pub fn close(&mut self, linkedid: &str) {
        self.put(OpenCallWrite::Close {
            linkedid: linkedid.to_owned(),
        });
    }

    /// Every open call was still open at PBX time `at_ms`.
    pub fn seen(&mut self, at_ms: i64) {
        self.seen_at_ms = Some(self.seen_at_ms.map_or(at_ms, |s| s.max(at_ms)));
    }

    fn put(&mut self, write: OpenCallWrite) {
        let linkedid = match &write {
            OpenCallWrite::Save(row) => row.linkedid.clone(),
            OpenCallWrite::Close { linkedid } => linkedid.clone(),
        };
        match self.slot.get(&linkedid) {
            Some(&i) => self.writes[i] = write,
            None => {
                self.slot.insert(linkedid, self.writes.len());
                self.writes.push(write);
            }
        }
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.seen_at_ms.is_none()
    }

    /// Writes the batch in one transaction (and the heartbeat after it).
    pub async fn write(&self, store: &dyn Store, pbx: &str) -> crm_core::StoreResult<()> {
        if !self.writes.is_empty() {
            store.write_open_calls(pbx, &self.writes).await?;
        }
        if let Some(at) = self.seen_at_ms {
            store.touch_open_calls(pbx, at).await?;
        }
        Ok(())
    }
}
