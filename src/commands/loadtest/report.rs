//! The load test's figures: popup latency percentiles, calls and popups counted, server
//! memory per connected agent; printed as text or JSON.

use std::fmt;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Serialize;

use super::calls::Driven;
use super::soak::{IDLE_AFTER, IDLE_WINDOW, Soak};
use super::sockets::Received;
use super::tap::RingTimes;
use crate::cli::Loadtest;

/// Server warnings quoted at most.
const QUOTED_WARNINGS: usize = 10;

/// Popup latency, milliseconds.
#[derive(Debug, Serialize)]
pub struct Latency {
    /// Calls measured.
    pub samples: usize,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Worst.
    pub max_ms: f64,
}

/// Server memory (resident), bytes.
#[derive(Debug, Serialize)]
pub struct Memory {
    /// Before the sockets opened.
    pub before: u64,
    /// With every socket open, idle.
    pub connected: u64,
    /// After the calls.
    pub after_calls: u64,
    /// (connected − before) / agents.
    pub per_connected_agent: u64,
}

/// Everything the load test measured.
#[derive(Debug, Serialize)]
pub struct Report {
    agents: usize,
    calls_per_second: f64,
    duration_s: u64,
    connect_s: f64,
    calls_placed: usize,
    calls_skipped: u64,
    popups_at_the_right_agent: usize,
    popups_missing: usize,
    popups_misdirected: u64,
    frames_received: u64,
    sockets_dropped: u64,
    latency: Option<Latency>,
    /// A caller's `QueueCallerJoin` written → the caller on a supervisor's wallboard.
    wallboard_latency: Option<Latency>,
    wallboard_snapshots: u64,
    memory: Option<Memory>,
    server_warnings: usize,
    server_warning_lines: Vec<String>,
    /// With `--soak`: steady memory, idle CPU.
    pub soak: Option<Soak>,
}

impl Report {
    /// The figures from what was measured; `memory` is before, connected and after.
    pub fn new(
        args: &Loadtest,
        connect: Duration,
        memory: [Option<u64>; 3],
        driven: &Driven,
        rings: &RingTimes,
        received: &Received,
    ) -> Self {
        let mut latencies = Vec::with_capacity(driven.placed.len());
        let mut right = 0;
        let mut missing = 0;
        for call in &driven.placed {
            match received.popup(&call.linkedid) {
                Some(arrival) => {
                    right += usize::from(arrival.right_agent);
                    if let Some(written) = rings.get(&call.linkedid) {
                        latencies.push(arrival.at.saturating_duration_since(written));
                    }
                }
                None => missing += 1,
            }
        }
        latencies.sort_unstable();
        let mut wallboard: Vec<Duration> = driven
            .placed
            .iter()
            .filter_map(|call| {
                let joined = rings.joined(&call.linkedid)?;
                let shown = received.on_wallboard(&call.linkedid)?;
                Some(shown.saturating_duration_since(joined))
            })
            .collect();
        wallboard.sort_unstable();
        let memory = match memory {
            [Some(before), Some(connected), Some(after_calls)] => Some(Memory {
                before,
                connected,
                after_calls,
                per_connected_agent: connected.saturating_sub(before)
                    / u64::try_from(args.agents.max(1)).unwrap_or(1),
            }),
            _ => None,
        };
        Report {
            agents: args.agents,
            calls_per_second: args.calls_per_second,
            duration_s: args.duration,
            connect_s: connect.as_secs_f64(),
            calls_placed: driven.placed.len(),
            calls_skipped: driven.skipped,
            popups_at_the_right_agent: right,
            popups_missing: missing,
            popups_misdirected: received.misdirected.load(Ordering::Relaxed),
            frames_received: received.frames.load(Ordering::Relaxed),
            sockets_dropped: received.dropped.load(Ordering::Relaxed),
            latency: latency(&latencies),
            wallboard_latency: latency(&wallboard),
            wallboard_snapshots: received.snapshots.load(Ordering::Relaxed),
            memory,
            server_warnings: 0,
            server_warning_lines: Vec::new(),
            soak: None,
        }
    }

    /// Counts (and quotes the first of) the warnings and errors in the server's log.
    pub fn warnings_from_log(&mut self, log: &Path) {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let warnings: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .collect();
        self.server_warnings = warnings.len();
        self.server_warning_lines = warnings
            .iter()
            .take(QUOTED_WARNINGS)
            .map(|l| (*l).to_owned())
            .collect();
    }
}

fn latency(sorted: &[Duration]) -> Option<Latency> {
    let last = sorted.last()?;
    let at = |q: f64| {
        // Nearest rank: the smallest value with at least q of the samples at or below it.
        let rank = (q * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Some(Latency {
        samples: sorted.len(),
        p50_ms: ms(at(0.50)),
        p99_ms: ms(at(0.99)),
        max_ms: ms(*last),
    })
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "tamas loadtest: {} agents, {} calls/s for {} s",
            self.agents, self.calls_per_second, self.duration_s
        )?;
        writeln!(
            f,
            "  sockets open             {} in {:.1} s ({} dropped during the test)",
            self.agents, self.connect_s, self.sockets_dropped
        )?;
        writeln!(
            f,
            "  calls placed             {} ({} skipped: no free agent)",
            self.calls_placed, self.calls_skipped
        )?;
        writeln!(
            f,
            "  popups                   {} at the right agent, {} missing, {} at a wrong agent ({} frames in all)",
            self.popups_at_the_right_agent,
            self.popups_missing,
            self.popups_misdirected,
            self.frames_received
        )?;
        match &self.latency {
            Some(l) => writeln!(
                f,
                "  popup latency            p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} calls; AMI event written -> popup frame received)",
                l.p50_ms, l.p99_ms, l.max_ms, l.samples
            )?,
            None => writeln!(f, "  popup latency            no popup measured")?,
        }
        match &self.wallboard_latency {
            Some(l) => writeln!(
                f,
                "  wallboard latency        p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} callers, {} snapshots; QueueCallerJoin written -> caller on a supervisor's wallboard)",
                l.p50_ms, l.p99_ms, l.max_ms, l.samples, self.wallboard_snapshots
            )?,
            None => writeln!(
                f,
                "  wallboard latency        no waiting caller seen on the wallboard"
            )?,
        }
        match &self.memory {
            Some(m) => writeln!(
                f,
                "  server memory            {:.1} MiB before the sockets, {:.1} MiB with them, {:.1} MiB after the calls: {:.1} KiB per connected agent",
                mib(m.before),
                mib(m.connected),
                mib(m.after_calls),
                m.per_connected_agent as f64 / 1024.0
            )?,
            None => writeln!(
                f,
                "  server memory            not measured (give --server-pid with --url)"
            )?,
        }
        if let Some(soak) = &self.soak {
            writeln!(
                f,
                "  soak                     {:.1} MiB after a {} s warm-up, {:.1} MiB over the last 10 s of calls ({:+.1} %); idle CPU {:.2} % of a core ({} s from {} s after the last call): {}",
                mib(soak.rss_after_warmup),
                soak.warmup_s,
                mib(soak.rss_at_end),
                soak.growth_pct,
                soak.idle_cpu_pct,
                IDLE_WINDOW.as_secs(),
                IDLE_AFTER.as_secs(),
                if soak.steady { "steady" } else { "NOT STEADY" }
            )?;
            let trace: Vec<String> = soak
                .trace
                .iter()
                .map(|(s, rss)| format!("{s} s {:.1}", mib(*rss)))
                .collect();
            writeln!(f, "  memory under load (MiB)  {}", trace.join(", "))?;
        }
        if self.server_warnings > 0 {
            writeln!(f, "  server warnings          {}:", self.server_warnings)?;
            for line in &self.server_warning_lines {
                writeln!(f, "    {line}")?;
            }
        }
        Ok(())
    }
}
