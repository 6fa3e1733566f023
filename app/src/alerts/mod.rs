//! Alerts and callbacks ("management by exception", ARCHITECTURE.md "Alerts").
//!
//! - [`callbacks`], [`assignment`], [`leads`], [`service_level`]: the rules as pure
//!   functions of their inputs, tested without I/O.
//! - [`staffing`]: a queue's members from the live queue board, mapped to users.
//! - [`engine`]: the task that runs the rules (its lead and service-level checks in
//!   `engine/conditions.rs`) — on every finished call (an abandoned call
//!   creates or reuses a callback; an answered one may close it) and every
//!   [`AlertRules::check_every`] (reassignment, closing, leads, service level) — and
//!   pushes new and changed alerts to supervisors over the hub. Without a PBX only the
//!   periodic checks run.

pub mod assignment;
pub mod callbacks;
pub mod engine;
pub mod leads;
pub mod service_level;
pub mod staffing;

use std::time::Duration;

pub use engine::AlertEngine;

/// The thresholds of the rules (`[alerts]` in the settings).
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRules {
    /// A callback not done this long after it was assigned goes to another agent.
    pub callback_reassign_ms: i64,
    /// A lead not called this long after it was created raises an alert.
    pub lead_first_contact_ms: i64,
    /// Fewer call attempts than this…
    pub lead_min_attempts: usize,
    /// …in this long after a lead was created raises an alert.
    pub lead_attempt_window_ms: i64,
    /// A queue's service level today under this (0-1) raises an alert…
    pub service_level_target: f64,
    /// …once at least this many calls were offered to it today.
    pub service_level_min_offered: u64,
    /// How often the time-based rules run.
    pub check_every: Duration,
}

impl Default for AlertRules {
    fn default() -> Self {
        AlertRules {
            callback_reassign_ms: 15 * 60_000,
            lead_first_contact_ms: 24 * 3_600_000,
            lead_min_attempts: 5,
            lead_attempt_window_ms: 14 * 86_400_000,
            service_level_target: 0.8,
            service_level_min_offered: 10,
            check_every: Duration::from_secs(60),
        }
    }
}
