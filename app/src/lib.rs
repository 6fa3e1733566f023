//! The application services of Tamas: what it does with calls, users and recordings,
//! whatever carries the requests. The web crate is HTTP, pages and the socket protocol
//! on top of these; the binary reads the settings and starts them.
//!
//! - [`lifecycle`]: [`lifecycle::Lifecycle`], which owns every background task in stages
//!   and stops them in order, within a deadline, on SIGTERM or Ctrl-C.
//! - [`bridge`]: the PBX side wired to the CRM core and the hub (tracker, call log,
//!   popups, live view); its `[pbx]` and `[phone]` settings.
//! - [`alerts`]: alerts and callbacks, the rules and the task that runs them.
//! - [`metrics_job`]: the per-call figures (service level, first contact, FCR) stored
//!   on each call.
//! - [`recording_jobs`]: the spool-folder watcher and the daily recording retention;
//!   [`recording_desk`]: the one way a recording comes in (upload or spool folder).
//! - [`access`]: what agents see of a contact's history (one rule for the popup card,
//!   the contact page and the API).
//! - [`hub`]: who is connected and what each user is sent: call events and popups,
//!   numbered per user and kept in a short backlog for `resume`; the wallboard snapshot.
//! - [`wallboard`]: the supervisors' live board (queues, agents, today's figures), built
//!   from the PBX's queues and the call log and pushed through the hub.
//! - [`alert_feed`]: alerts described for people and pushed live.
//! - [`dialer`]: click-to-call's dial plan, rate limit and the Originate's outcome.
//! - [`contact_picks`]: answered calls linked to a contact by hand, for the alert engine.
//! - [`clock`]: the time now; [`DisplayChain`]: an error with its causes, for logs.

pub mod access;
pub mod alert_feed;
pub mod alerts;
pub mod bridge;
pub mod clock;
pub mod contact_picks;
pub mod dialer;
pub mod hub;
pub mod lifecycle;
pub mod metrics_job;
pub mod recording_desk;
pub mod recording_jobs;
pub mod wallboard;

/// Shows an error with its chain of sources (`a: b: c`), for logs.
pub struct DisplayChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for DisplayChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(err) = source {
            write!(f, ": {err}")?;
            source = err.source();
        }
        Ok(())
    }
}
