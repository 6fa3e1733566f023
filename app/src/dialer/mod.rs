//! Click-to-call's service side: the dial plan ([`DialerSettings`]), the per-user rate
//! limit, and what happens once the PBX was asked ([`place`]): an `Originate` from the
//! agent's own phone, whose failure is told to the user and written to the call log
//! ([`FailedAttempt`]). `POST /api/calls` (web) checks the request and starts it.

mod attempt;
mod dial_plan;
mod limiter;

use std::sync::Arc;
use std::time::Duration;

use crm_core::{Store, UserId};
use cti::ami::client::{AmiClient, ClientError, Originate};

pub use attempt::FailedAttempt;
pub use dial_plan::{DialRule, DialerSettings};

use crate::hub::messages::{CallFailed, FailReason};
use crate::hub::{Audience, Event, Hub};
use limiter::RateLimiter;

/// Click-to-call's settings and per-user rate limit.
#[derive(Debug)]
pub struct Dialer {
    settings: DialerSettings,
    limiter: RateLimiter,
    /// The PBX's name in the call log (failed attempts are written under it).
    pbx: String,
}

impl Dialer {
    /// A dialer with these settings, calling through the PBX named `pbx`.
    pub fn new(settings: DialerSettings, pbx: impl Into<String>) -> Self {
        Dialer {
            limiter: RateLimiter::new(settings.per_minute),
            settings,
            pbx: pbx.into(),
        }
    }

    /// Its settings.
    pub fn settings(&self) -> &DialerSettings {
        &self.settings
    }

    /// The PBX's name in the call log.
    pub fn pbx(&self) -> &str {
        &self.pbx
    }

    /// Takes one call from `user`'s allowance; `Err` says how long until one is available.
    pub fn take(&self, user: UserId) -> Result<(), Duration> {
        self.limiter.take(user)
    }
}

impl Default for Dialer {
    fn default() -> Self {
        Dialer::new(DialerSettings::default(), "asterisk")
    }
}

/// Sends the Originate and waits for its outcome; when the call could not be placed,
/// tells the user over the hub and writes the failed attempt to the call log (a placed
/// call itself comes through the tracker).
pub async fn place(
    pbx: AmiClient,
    hub: Hub,
    store: Arc<dyn Store>,
    user: UserId,
    originate: Originate,
    failed: FailedAttempt,
    number: String,
) {
    let click_id = failed.click_id.clone();
    let reason = match pbx.originate(originate).await {
        Ok(pending) => match pending.outcome().await {
            Ok(result) if result.answered() => return,
            Ok(result) => reason_of(result.reason()),
            Err(err) => unreachable_reason(&err),
        },
        Err(err) => unreachable_reason(&err),
    };
    tracing::info!(%click_id, ?reason, "click-to-call failed");
    failed
        .record(store.as_ref(), reason, crate::clock::now_ms())
        .await;
    let event = Event::CallFailed(CallFailed {
        click_id,
        reason,
        number,
    });
    hub.publish(&Audience::users(vec![user]), &event);
}

/// Asterisk's `OriginateResponse` `Reason`: 5 busy; 3 (ring timeout) and 1 (hung up)
/// mean the agent did not take the call; anything else failed.
fn reason_of(code: Option<u32>) -> FailReason {
    match code {
        Some(5) => FailReason::Busy,
        Some(1 | 3) => FailReason::AgentNoAnswer,
        _ => FailReason::Failed,
    }
}

fn unreachable_reason(err: &ClientError) -> FailReason {
    tracing::warn!(error = %err, "click-to-call: the PBX did not take the Originate");
    match err {
        ClientError::Rejected { .. } | ClientError::Invalid(_) => FailReason::Failed,
        _ => FailReason::PbxUnreachable,
    }
}

/// A new click id: `ctc-` and 16 random hex digits.
pub fn new_click_id() -> String {
    format!("ctc-{:016x}", rand::random::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn originate_reasons() {
        assert_eq!(reason_of(Some(5)), FailReason::Busy);
        assert_eq!(reason_of(Some(3)), FailReason::AgentNoAnswer);
        assert_eq!(reason_of(Some(8)), FailReason::Failed);
        assert_eq!(reason_of(None), FailReason::Failed);
        assert_eq!(
            unreachable_reason(&ClientError::NotConnected),
            FailReason::PbxUnreachable
        );
        assert!(new_click_id().starts_with("ctc-") && new_click_id().len() == 20);
    }
}
