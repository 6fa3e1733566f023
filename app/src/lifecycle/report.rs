//! What a shutdown did, logged as one line: per stage, the items drained after the signal
//! and those given up at the deadline, and the stages whose tasks had not ended.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use super::Lifecycle;

/// One stage's part of the shutdown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageReport {
    /// The stage (`call log`).
    pub name: &'static str,
    /// What it counts (`calls written`), when it counts anything.
    pub unit: Option<&'static str>,
    /// Items finished after the shutdown began.
    pub drained: u64,
    /// Items given up at the deadline (each logged by the stage).
    pub abandoned: u64,
    /// Tasks still running when the report was made.
    pub still_running: usize,
}

/// The outcome of a shutdown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShutdownReport {
    /// From the signal to the report.
    pub elapsed: Duration,
    /// The deadline it had (`server.shutdown_timeout_s`).
    pub timeout: Duration,
    /// WebSockets open when the shutdown began (each closed with 1001).
    pub sockets_closed: usize,
    /// The HTTP server finished its requests in time.
    pub http_finished: bool,
    /// Each stage, in shutdown order.
    pub stages: Vec<StageReport>,
}

/// The stages' counts when the shutdown began.
#[derive(Clone, Debug)]
pub(super) struct Baseline(Vec<u64>);

impl Baseline {
    pub(super) fn of(lifecycle: &Lifecycle) -> Self {
        Baseline(
            lifecycle
                .stages()
                .iter()
                .map(|s| s.finished_count())
                .collect(),
        )
    }

    /// Each stage's report, counted from this baseline.
    pub(super) fn stages(&self, lifecycle: &Lifecycle) -> Vec<StageReport> {
        lifecycle
            .stages()
            .iter()
            .zip(&self.0)
            .map(|(stage, before)| StageReport {
                name: stage.name(),
                unit: stage.unit(),
                drained: stage.finished_count().saturating_sub(*before),
                abandoned: stage.abandoned_count(),
                still_running: stage.running(),
            })
            .collect()
    }
}

impl ShutdownReport {
    /// Everything finished in time and nothing was given up.
    pub fn is_complete(&self) -> bool {
        self.http_finished
            && self
                .stages
                .iter()
                .all(|s| s.abandoned == 0 && s.still_running == 0)
    }

    /// The process's exit status: failure when anything was given up, so that the
    /// supervisor (systemd, an orchestrator) records an unclean stop.
    pub fn exit_code(&self) -> ExitCode {
        if self.is_complete() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }

    /// `call log: 3 calls written; alerts: 3 written calls acted on; …`
    pub fn drained(&self) -> String {
        let mut out = String::new();
        for stage in &self.stages {
            if let Some(unit) = stage.unit {
                let sep = if out.is_empty() { "" } else { "; " };
                let _ = write!(out, "{sep}{}: {} {unit}", stage.name, stage.drained);
            }
        }
        out
    }

    /// What was left undone: `call log: 2 given up; pbx: 1 task still running; …`.
    pub fn abandoned(&self) -> String {
        let mut parts = Vec::new();
        if !self.http_finished {
            parts.push("http: requests still in progress".to_owned());
        }
        for stage in &self.stages {
            if stage.abandoned > 0 {
                parts.push(format!("{}: {} given up", stage.name, stage.abandoned));
            }
            if stage.still_running > 0 {
                parts.push(format!(
                    "{}: {} task(s) still running",
                    stage.name, stage.still_running
                ));
            }
        }
        parts.join("; ")
    }

    /// Logs the one line: info when complete, error (with what was abandoned) otherwise.
    pub fn log(&self) {
        let elapsed_ms = u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX);
        if self.is_complete() {
            tracing::info!(
                elapsed_ms,
                sockets_closed = self.sockets_closed,
                "shutdown complete in {:.1} s, drained {}",
                self.elapsed.as_secs_f64(),
                self.drained()
            );
        } else {
            tracing::error!(
                elapsed_ms,
                sockets_closed = self.sockets_closed,
                "shutdown deadline of {} s passed: ABANDONED {} (drained {}); exiting with failure",
                self.timeout.as_secs(),
                self.abandoned(),
                self.drained()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(abandoned: u64, still_running: usize) -> ShutdownReport {
        ShutdownReport {
            elapsed: Duration::from_millis(1500),
            timeout: Duration::from_secs(10),
            sockets_closed: 2,
            http_finished: true,
            stages: vec![
                StageReport {
                    name: "pbx",
                    unit: None,
                    drained: 0,
                    abandoned: 0,
                    still_running,
                },
                StageReport {
                    name: "call log",
                    unit: Some("calls written"),
                    drained: 3,
                    abandoned,
                    still_running: 0,
                },
                StageReport {
                    name: "alerts",
                    unit: Some("written calls acted on"),
                    drained: 3,
                    abandoned: 0,
                    still_running: 0,
                },
            ],
        }
    }

    #[test]
    fn a_clean_stop_says_what_each_stage_drained() {
        let clean = report(0, 0);
        assert!(clean.is_complete());
        assert_eq!(clean.exit_code(), ExitCode::SUCCESS);
        assert_eq!(
            clean.drained(),
            "call log: 3 calls written; alerts: 3 written calls acted on"
        );
    }

    #[test]
    fn anything_given_up_or_still_running_is_a_failure() {
        let lost = report(2, 1);
        assert!(!lost.is_complete());
        assert_eq!(lost.exit_code(), ExitCode::FAILURE);
        assert_eq!(
            lost.abandoned(),
            "pbx: 1 task(s) still running; call log: 2 given up"
        );
    }
}
