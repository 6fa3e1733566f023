//! The warning that calls were closed out by the tracker's limits (`pbx.max_open_calls`,
//! `pbx.call_idle_hours`): a PBX flooding Tamas with calls that never end would otherwise
//! log one line per call, so the counts are gathered and said at most once a minute.

use std::time::Duration;

use cti::tracker::ClosedOut;
use tokio::time::Instant;

/// The shortest time between two warnings.
const EVERY: Duration = Duration::from_secs(60);

/// Calls closed out and not yet reported.
#[derive(Debug)]
pub struct ClosedOutWarning {
    pending: ClosedOut,
    last: Option<Instant>,
    max_open_calls: usize,
    idle_hours: u64,
}

impl ClosedOutWarning {
    /// Nothing to report yet; the limits are named in the warning.
    pub fn new(max_open_calls: usize, idle_hours: u64) -> Self {
        ClosedOutWarning {
            pending: ClosedOut::default(),
            last: None,
            max_open_calls,
            idle_hours,
        }
    }

    /// Counts `closed` and logs the warning when the last one is a minute old or more.
    pub fn add(&mut self, closed: ClosedOut, open_now: usize) {
        self.pending.over_cap += closed.over_cap;
        self.pending.idle += closed.idle;
        if self.pending.is_empty() || self.last.is_some_and(|at| at.elapsed() < EVERY) {
            return;
        }
        self.last = Some(Instant::now());
        let ClosedOut { over_cap, idle } = std::mem::take(&mut self.pending);
        tracing::warn!(
            over_cap,
            idle,
            open_now,
            max_open_calls = self.max_open_calls,
            idle_hours = self.idle_hours,
            "calls closed out by the open-calls limits: {over_cap} past pbx.max_open_calls, \
             {idle} idle for pbx.call_idle_hours; written to the call log with end_known false \
             (warned at most once a minute)"
        );
    }
}
