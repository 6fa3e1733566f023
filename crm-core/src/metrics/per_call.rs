//! The figures stored on each call: whether an offered call met the service level, and
//! for an answered inbound call whether it was a first contact and its FCR status (from
//! [`super::classify_fcr`] over the customer's history).

use super::MetricsSettings;
use super::fcr::FcrStatus;
use crate::domain::call::CallMetrics;
use crate::domain::call_facts::CallFacts;
use crate::domain::vocabulary::{Direction, Disposition};

/// The per-call figures of `call` at `now_ms`, given its FCR status (`None` when it is no
/// answered inbound call).
pub fn call_metrics(
    call: &CallFacts,
    fcr: Option<FcrStatus>,
    settings: &MetricsSettings,
    now_ms: i64,
) -> CallMetrics {
    let offered = call.direction == Direction::Inbound && call.queue.is_some();
    CallMetrics {
        service_level_met: offered.then(|| {
            call.disposition == Disposition::Answered
                && call
                    .wait_ms
                    .is_some_and(|w| w <= settings.service_level_threshold_ms)
        }),
        first_contact: fcr.map(|status| status != FcrStatus::FollowUp),
        fcr_status: fcr,
        computed_at_ms: Some(now_ms),
    }
}

/// Whether two sets of figures say the same (the time they were computed aside).
pub fn same_figures(a: &CallMetrics, b: &CallMetrics) -> bool {
    a.service_level_met == b.service_level_met
        && a.first_contact == b.first_contact
        && a.fcr_status == b.fcr_status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::vocabulary::{Direction, Disposition};
    use crate::metrics::fcr::tests::row;

    #[test]
    fn offered_calls_get_a_service_level_flag_and_answered_inbound_an_fcr_status() {
        let settings = MetricsSettings::default();
        let quick = row(
            1,
            Direction::Inbound,
            Some("support"),
            Disposition::Answered,
            Some(20_000),
            0,
        );
        let metrics = call_metrics(&quick.facts(), Some(FcrStatus::Pending), &settings, 5);
        assert_eq!(metrics.service_level_met, Some(true), "20 s is within 20 s");
        assert_eq!(metrics.first_contact, Some(true));
        assert_eq!(metrics.fcr_status, Some(FcrStatus::Pending));
        assert_eq!(metrics.computed_at_ms, Some(5));

        let slow = row(
            2,
            Direction::Inbound,
            Some("support"),
            Disposition::Answered,
            Some(20_001),
            0,
        );
        let metrics = call_metrics(&slow.facts(), Some(FcrStatus::FollowUp), &settings, 5);
        assert_eq!(metrics.service_level_met, Some(false));
        assert_eq!(metrics.first_contact, Some(false));

        let abandoned = row(
            3,
            Direction::Inbound,
            Some("support"),
            Disposition::Abandoned,
            Some(3_000),
            0,
        );
        let metrics = call_metrics(&abandoned.facts(), None, &settings, 5);
        assert_eq!(metrics.service_level_met, Some(false));
        assert_eq!(metrics.first_contact, None);

        let outbound = row(4, Direction::Outbound, None, Disposition::Answered, None, 0);
        let metrics = call_metrics(&outbound.facts(), None, &settings, 5);
        assert_eq!(metrics.service_level_met, None, "not offered to a queue");
        assert!(same_figures(
            &metrics,
            &CallMetrics {
                computed_at_ms: Some(9),
                ..metrics.clone()
            }
        ));
    }
}
