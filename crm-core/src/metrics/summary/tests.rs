//! Tests of the queue figures: service level, local-time buckets, transferred calls.

use super::*;
use crate::domain::vocabulary::{Direction, Disposition};
use crate::metrics::fcr::tests::row;

#[test]
fn service_level_leaves_short_abandons_out_of_the_denominator() {
    let mut calls = vec![
        row(
            1,
            Direction::Inbound,
            Some("support"),
            Disposition::Answered,
            Some(5_000),
            0,
        ),
        row(
            2,
            Direction::Inbound,
            Some("support"),
            Disposition::Answered,
            Some(25_000),
            0,
        ),
        row(
            3,
            Direction::Inbound,
            Some("support"),
            Disposition::Abandoned,
            Some(3_000),
            0,
        ),
        row(
            4,
            Direction::Inbound,
            Some("support"),
            Disposition::Abandoned,
            Some(16_000),
            0,
        ),
        row(5, Direction::Outbound, None, Disposition::Answered, None, 0),
    ];
    calls[0].talk_ms = Some(60_000);
    calls[1].talk_ms = Some(120_000);
    calls[1].hold_ms = Some(10_000);
    let s = summarize(
        &crate::metrics::fcr::tests::facts(&calls),
        &MetricsSettings::default(),
    );
    assert_eq!(
        (s.offered, s.answered, s.abandoned, s.short_abandoned),
        (4, 2, 2, 1)
    );
    assert_eq!(s.service_level_denominator, 3);
    assert_eq!(s.answered_within_threshold, 1);
    assert_eq!(s.service_level, Some(1.0 / 3.0));
    assert_eq!(s.abandon_rate, Some(0.5));
    assert_eq!(s.asa_ms, Some(15_000));
    assert_eq!(s.aht_ms, Some(95_000));
    assert_eq!(s.wait_median_ms, Some(5_000));
    assert_eq!(s.wait_p90_ms, Some(25_000));
    assert_eq!(s.wait_max_ms, Some(25_000));
    assert_eq!(
        summarize(&[], &MetricsSettings::default()).service_level,
        None
    );
}

#[test]
fn buckets_follow_local_time() {
    // 2026-11-22 21:00 UTC is 00:30 on the 23rd in Tehran (+03:30).
    let at = 1_795_381_200_000;
    let call = row(
        1,
        Direction::Inbound,
        Some("sales"),
        Disposition::Answered,
        Some(1),
        at,
    );
    let tehran = MetricsSettings {
        utc_offset_minutes: 210,
        ..MetricsSettings::default()
    };
    let days = group(std::slice::from_ref(&call), Bucket::Day, &tehran);
    assert_eq!(days.keys().collect::<Vec<_>>(), vec!["2026-11-23"]);
    let utc = group(
        std::slice::from_ref(&call),
        Bucket::Hour,
        &MetricsSettings::default(),
    );
    assert_eq!(utc.keys().collect::<Vec<_>>(), vec!["2026-11-22T21"]);
    let hours = group(std::slice::from_ref(&call), Bucket::HourOfDay, &tehran);
    assert_eq!(hours.keys().collect::<Vec<_>>(), vec!["00"]);
    let no_queue = CallRow {
        queue: None,
        ..call.clone()
    };
    let calls = [call, no_queue];
    let queues = group(&calls, Bucket::Queue, &tehran);
    assert_eq!(queues["sales"].answered, 1);
    assert_eq!(queues.len(), 1, "no pseudo-queue for calls without one");
    assert_eq!(
        by_queue(&crate::metrics::fcr::tests::facts(&calls), &tehran),
        queues
    );
    assert_eq!(civil_from_days(0), (1970, 1, 1));
}

/// Capture 05-attended-transfer: 1001 answers after 2,013 ms, consults on hold, 1003
/// talks last; each is an agent row of their own with their own talk.
#[test]
fn a_transferred_call_counts_for_each_agent_with_their_talk() {
    use crate::domain::call::CallSegment;
    let mut call = row(
        1,
        Direction::Inbound,
        Some("support"),
        Disposition::Answered,
        Some(2_013),
        0,
    );
    call.answered_by_extension = Some("1001".into());
    call.talk_ms = Some(19_452);
    call.hold_ms = Some(6_000);
    call.wrapup_ms = Some(30_000);
    call.agent_segments = vec![
        CallSegment {
            extension: "1001".into(),
            connected_at_ms: 10,
            talk_ms: Some(14_010),
        },
        CallSegment {
            extension: "1003".into(),
            connected_at_ms: 20,
            talk_ms: Some(12_008),
        },
    ];
    let agents = group(&[call], Bucket::Agent, &MetricsSettings::default());
    assert_eq!(agents.keys().collect::<Vec<_>>(), ["1001", "1003"]);
    let (sara, maryam) = (&agents["1001"], &agents["1003"]);
    assert_eq!((sara.answered, maryam.answered), (1, 1), "both handled it");
    assert_eq!(sara.aht_ms, Some(14_010 + 6_000), "own talk and the hold");
    assert_eq!(
        maryam.aht_ms,
        Some(12_008 + 30_000),
        "own talk and the wrap-up"
    );
    assert_eq!((sara.asa_ms, maryam.asa_ms), (Some(2_013), None));
    // The target did not take it from the queue: out of their service level.
    assert_eq!(
        (
            sara.service_level_denominator,
            maryam.service_level_denominator
        ),
        (1, 0)
    );
    assert_eq!(
        (sara.service_level, maryam.service_level),
        (Some(1.0), None)
    );
    assert_eq!(maryam.answered_within_threshold, 0);
}
