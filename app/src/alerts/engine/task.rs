//! The engine's task: acts on each call the call log announces and runs the periodic
//! check, as a task of the lifecycle's `alerts` stage. When the stage drains (at
//! shutdown, after the call log's writer ended) it acts on every announcement still
//! queued, then ends; past the deadline it logs the calls it leaves.

use broadcast::error::{RecvError, TryRecvError};
use crm_core::CallId;
use tokio::sync::{broadcast, mpsc};

use super::{AlertEngine, CATCH_UP_SLACK_MS, HANDLED_FOR_MS, now_ms};
use crate::bridge::call_log::WrittenCall;
use crate::lifecycle::Stage;

impl AlertEngine {
    /// Runs the engine as a task of `stage` on the calls the call log writes (`written`);
    /// without them (no PBX) only the periodic checks run.
    pub fn start(mut self, written: Option<broadcast::Receiver<WrittenCall>>, stage: &Stage) {
        let stage = stage.clone();
        let mut picks = self.picks.take();
        self.follows_calls = written.is_some();
        stage.clone().spawn(async move {
            let mut events = written;
            let mut last_event_ms = None;
            let mut tick = tokio::time::interval(self.rules.check_every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let Some(receiver) = events.as_mut() else {
                    tokio::select! {
                        () = stage.draining() => return,
                        _ = tick.tick() => self.check().await,
                        pick = next_pick(&mut picks) => match pick {
                            Some(call) => self.contact_picked(call).await,
                            None => picks = None,
                        },
                    }
                    continue;
                };
                tokio::select! {
                    () = stage.draining() => {
                        self.drain(receiver, &stage).await;
                        return;
                    }
                    event = receiver.recv() => match event {
                        Ok((id, record)) => {
                            last_event_ms = Some(record.started_at_ms);
                            self.call_ended(id, &record).await;
                            stage.finished_one();
                        }
                        Err(RecvError::Lagged(missed)) => {
                            // The periodic check closes callbacks of customers reached;
                            // the abandons among the missed calls come from the call log.
                            tracing::warn!(missed, "the alert engine lagged behind the call log: catching up");
                            let since = last_event_ms.unwrap_or_else(|| now_ms() - HANDLED_FOR_MS);
                            self.catch_up(since - CATCH_UP_SLACK_MS).await;
                        }
                        Err(RecvError::Closed) => events = None,
                    },
                    _ = tick.tick() => self.check().await,
                    pick = next_pick(&mut picks) => match pick {
                        Some(call) => self.contact_picked(call).await,
                        None => picks = None,
                    },
                }
            }
        });
    }

    /// At shutdown: acts on every written call announced and not yet handled, unless the
    /// deadline passes first; then each call left is logged (an abandon among them gets
    /// no callback).
    async fn drain(&self, receiver: &mut broadcast::Receiver<WrittenCall>, stage: &Stage) {
        loop {
            let (id, record) = match receiver.try_recv() {
                Ok(written) => written,
                Err(TryRecvError::Lagged(missed)) => {
                    tracing::error!(missed, "the alert engine missed written calls at shutdown");
                    continue;
                }
                Err(_) => return,
            };
            tokio::select! {
                biased;
                () = stage.abandoning() => {
                    let mut left = vec![record.linkedid.clone()];
                    while let Ok((_, record)) = receiver.try_recv() {
                        left.push(record.linkedid.clone());
                    }
                    stage.gave_up(u64::try_from(left.len()).unwrap_or(u64::MAX));
                    tracing::error!(?left, "shutdown deadline passed: written calls NOT acted on by the alert engine");
                    return;
                }
                () = self.call_ended(id, &record) => stage.finished_one(),
            }
        }
    }
}

/// The next call picked, `None` once the picks' sender is gone; never without picks.
async fn next_pick(picks: &mut Option<mpsc::Receiver<CallId>>) -> Option<CallId> {
    match picks {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}
