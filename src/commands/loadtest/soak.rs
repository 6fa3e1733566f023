//! `--soak`: whether the server holds steady under a long load and is idle after it.
//!
//! The server's resident memory is sampled every second while the calls run
//! ([`MemorySampler`]). A reading is the median of the samples of a [`READING_WINDOW`]:
//! one reading ends with the warm-up ([`warmup`]: the server's working set under this load
//! is reached), the other with the last call. Both are taken under the same load, and the median keeps one sample
//! caught at the top of the allocator's decay cycle (jemalloc returns freed pages after
//! seconds, not at once) from deciding the verdict. A server that holds steady grows by
//! less than [`MAX_GROWTH_PCT`] between the two. Then the calls stop, and the server's CPU
//! time is read over [`IDLE_WINDOW`] once [`IDLE_AFTER`] has passed: an idle server uses
//! less than [`MAX_IDLE_CPU_PCT`] of one core, with every agent's socket still open.

use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::server::{cpu_time, rss_bytes};

/// Shortest warm-up: the hub keeps each user's last messages for two minutes by default
/// (`[hub] backlog_age`), so a shorter warm-up would count the backlogs filling up as
/// growth.
const MIN_WARMUP: Duration = Duration::from_secs(120);
/// How often memory is sampled while the calls run.
const SAMPLE_EVERY: Duration = Duration::from_secs(1);
/// The samples one memory reading is the median of.
const READING_WINDOW: Duration = Duration::from_secs(10);
/// Spacing of the memory trace in the report.
const TRACE_EVERY: Duration = Duration::from_secs(30);
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
    /// Resident memory every [`TRACE_EVERY`] of calls: (seconds, bytes), each a reading.
    pub trace: Vec<(u64, u64)>,
    /// CPU use over the idle window, percent of one core.
    pub idle_cpu_pct: f64,
    /// Both figures within their bounds.
    pub steady: bool,
}

/// The warm-up of a run of `duration` that rings `agents` in turn at `rate` calls a
/// second: until every known caller's card is full (it shows a contact's last
/// [`CARD_CALLS`](crm_core::directory::CARD_CALLS) calls, so popups grow until then) and
/// every agent has been rung once since, so that each socket, its buffers and its backlog
/// have carried popups of full size; at least [`MIN_WARMUP`], at most half the run.
///
/// With 2,000 agents at 20 calls/s that is 256 s: 156 s for 500 contacts to get five
/// calls each from 80 % of 20 calls/s, then 100 s for a round of the agents.
pub fn warmup(duration: Duration, agents: usize, rate: f64) -> Duration {
    let rate = rate.max(0.001);
    let cards_full = super::calls::cards_full_after(rate);
    let one_round = Duration::from_secs_f64(agents as f64 / rate);
    (cards_full + one_round).max(MIN_WARMUP).min(duration / 2)
}

/// Resident memory of a process, sampled every [`SAMPLE_EVERY`] until stopped.
pub struct MemorySampler {
    stop: CancellationToken,
    task: JoinHandle<Samples>,
}

/// Memory samples: (time since sampling started, bytes).
struct Samples(Vec<(Duration, u64)>);

impl MemorySampler {
    /// Starts sampling process `pid`.
    pub fn start(pid: u32) -> Self {
        let stop = CancellationToken::new();
        let task = tokio::spawn(sample(pid, stop.clone()));
        MemorySampler { stop, task }
    }

    /// Stops sampling and returns the memory readings: after `warm_up`, at the end and
    /// the trace, or `None` if the process could not be read.
    pub async fn finish(self, warm_up: Duration) -> Option<Readings> {
        self.stop.cancel();
        let samples = self.task.await.ok()?;
        let end = samples.0.last()?.0;
        let warm = samples.reading(warm_up)?;
        let at_end = samples.reading(end)?;
        let trace = (1..)
            .map(|n| TRACE_EVERY * n)
            .take_while(|at| *at <= end)
            .filter_map(|at| Some((at.as_secs(), samples.reading(at)?)))
            .collect();
        Some(Readings {
            warm,
            end: at_end,
            trace,
        })
    }
}

/// Memory readings of a soak.
pub struct Readings {
    warm: u64,
    end: u64,
    trace: Vec<(u64, u64)>,
}

async fn sample(pid: u32, stop: CancellationToken) -> Samples {
    let started = Instant::now();
    let mut ticks = tokio::time::interval(SAMPLE_EVERY);
    let mut samples = Vec::new();
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = ticks.tick() => {
                if let Some(rss) = rss_bytes(pid) {
                    samples.push((started.elapsed(), rss));
                }
            }
        }
    }
    Samples(samples)
}

impl Samples {
    /// The median of the samples in the [`READING_WINDOW`] that ends at `at`.
    fn reading(&self, at: Duration) -> Option<u64> {
        let from = at.saturating_sub(READING_WINDOW);
        let mut window: Vec<u64> = self
            .0
            .iter()
            .filter(|(t, _)| *t > from && *t <= at)
            .map(|(_, rss)| *rss)
            .collect();
        window.sort_unstable();
        window.get(window.len() / 2).copied()
    }
}

/// Waits out [`IDLE_AFTER`] (counted from `calls_ended`), then measures the server's CPU
/// use over [`IDLE_WINDOW`], percent of one core.
pub async fn idle_cpu(pid: u32, calls_ended: Instant) -> Option<f64> {
    tokio::time::sleep_until(calls_ended + IDLE_AFTER).await;
    let start = cpu_time(pid)?;
    let started = Instant::now();
    tokio::time::sleep(IDLE_WINDOW).await;
    let used = cpu_time(pid)?.saturating_sub(start);
    Some(100.0 * used.as_secs_f64() / started.elapsed().as_secs_f64())
}

impl Soak {
    /// The verdict on what was read after a warm-up of `warm_up`.
    pub fn new(warm_up: Duration, memory: Readings, idle_cpu_pct: f64) -> Self {
        let Readings { warm, end, trace } = memory;
        let growth_pct = 100.0 * (end as f64 - warm as f64) / (warm.max(1) as f64);
        Soak {
            warmup_s: warm_up.as_secs(),
            rss_after_warmup: warm,
            rss_at_end: end,
            growth_pct,
            trace,
            idle_cpu_pct,
            steady: growth_pct <= MAX_GROWTH_PCT && idle_cpu_pct < MAX_IDLE_CPU_PCT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reading_is_the_median_of_its_window() {
        let secs = Duration::from_secs;
        let samples = Samples(
            (1..=20)
                .map(|s| (secs(s), if s == 20 { 900 } else { 100 + s }))
                .collect(),
        );
        // 11..=20: nine ordinary samples and one spike; the spike does not decide.
        assert_eq!(samples.reading(secs(20)), Some(116));
        assert_eq!(samples.reading(secs(10)), Some(106));
        assert_eq!(samples.reading(secs(0)), None);
    }

    #[test]
    fn the_warm_up_lasts_until_cards_are_full_and_every_agent_was_rung_since() {
        let secs = Duration::from_secs;
        assert_eq!(warmup(secs(600), 2000, 20.0).as_secs(), 256);
        // Never shorter than the backlog's age, never more than half the run.
        assert_eq!(warmup(secs(600), 10, 100.0), MIN_WARMUP);
        assert_eq!(warmup(secs(60), 2000, 20.0), secs(30));
    }
}
