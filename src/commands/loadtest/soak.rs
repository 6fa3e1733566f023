//! `--soak`: whether the server holds steady under a long load and is idle after it.
//!
//! Memory is read once the warm-up is over (a fifth of the run, at most [`MAX_WARMUP`]:
//! the sockets, caches and the hub's backlogs have reached their working size) and again at the
//! end of the calls; a server that holds steady grows by less than [`MAX_GROWTH_PCT`]
//! in between. Then the calls stop, and the server's CPU time is read over
//! [`IDLE_WINDOW`] once [`IDLE_AFTER`] has passed: an idle server uses less than
//! [`MAX_IDLE_CPU_PCT`] of one core, with every agent's socket still open.

use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinHandle;

use super::server::{cpu_time, rss_bytes};

/// Longest warm-up: the hub keeps each user's last messages for two minutes by default
/// (`[hub] backlog_age`), so a shorter warm-up would count the backlogs filling up as
/// growth.
const MAX_WARMUP: Duration = Duration::from_secs(120);
/// How long after the last call the idle window starts.
pub const IDLE_AFTER: Duration = Duration::from_secs(20);
/// How long the idle CPU time is measured.
pub const IDLE_WINDOW: Duration = Duration::from_secs(10);
/// Largest growth of resident memory from the warm-up to the end.
pub const MAX_GROWTH_PCT: f64 = 10.0;
/// Largest CPU use of an idle server, percent of one core.
pub const MAX_IDLE_CPU_PCT: f64 = 2.0;

/// What the soak measured.
#[derive(Debug, Serialize)]
pub struct Soak {
    /// Seconds of calls before the warm-up reading.
    pub warmup_s: u64,
    /// Resident memory after the warm-up, bytes.
    pub rss_after_warmup: u64,
    /// Resident memory at the end of the calls, bytes.
    pub rss_at_end: u64,
    /// Growth from the warm-up to the end, percent (negative: it shrank).
    pub growth_pct: f64,
    /// CPU use over the idle window, percent of one core.
    pub idle_cpu_pct: f64,
    /// Both figures within their bounds.
    pub steady: bool,
}

/// The warm-up of a run of `duration`.
pub fn warmup(duration: Duration) -> Duration {
    (duration / 5).min(MAX_WARMUP)
}

/// Reads the server's memory once the warm-up of a run of `duration` is over.
pub fn read_after_warmup(pid: u32, duration: Duration) -> JoinHandle<Option<u64>> {
    let wait = warmup(duration);
    tokio::spawn(async move {
        tokio::time::sleep(wait).await;
        rss_bytes(pid)
    })
}

/// Waits out [`IDLE_AFTER`] (counted from `calls_ended`), then measures the server's CPU
/// use over [`IDLE_WINDOW`], percent of one core.
pub async fn idle_cpu(pid: u32, calls_ended: tokio::time::Instant) -> Option<f64> {
    tokio::time::sleep_until(calls_ended + IDLE_AFTER).await;
    let start = cpu_time(pid)?;
    let started = tokio::time::Instant::now();
    tokio::time::sleep(IDLE_WINDOW).await;
    let used = cpu_time(pid)?.saturating_sub(start);
    Some(100.0 * used.as_secs_f64() / started.elapsed().as_secs_f64())
}

impl Soak {
    /// The verdict on what was read.
    pub fn new(duration: Duration, warm: u64, end: u64, idle_cpu_pct: f64) -> Self {
        let growth_pct = 100.0 * (end as f64 - warm as f64) / (warm.max(1) as f64);
        Soak {
            warmup_s: warmup(duration).as_secs(),
            rss_after_warmup: warm,
            rss_at_end: end,
            growth_pct,
            idle_cpu_pct,
            steady: growth_pct <= MAX_GROWTH_PCT && idle_cpu_pct < MAX_IDLE_CPU_PCT,
        }
    }
}
