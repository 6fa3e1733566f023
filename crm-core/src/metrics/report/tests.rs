//! Tests of the report: its figures, periods and filters.

use super::*;
use crate::domain::vocabulary::{Direction, Disposition};

/// An inbound call to the `support` queue for tests.
pub(crate) fn row(id: i64, disposition: Disposition, at: i64) -> CallRow {
    CallRow {
        queue: Some("support".into()),
        ..CallRow::fixture(id, Direction::Inbound, disposition, at)
    }
}

#[test]
fn figures_per_hour_day_queue_and_agent() {
    let settings = tehran();
    let today = 20_779; // 2026-11-22
    let period = resolve(
        &ReportQuery::default(),
        today,
        Calendar::Gregorian,
        &settings,
    )
    .unwrap();
    let start = period.scope.from_ms;
    let mut taken = row(1, Disposition::Answered, start + 9 * 3_600_000);
    taken.answered_by_extension = Some("1001".into());
    taken.wait_ms = Some(4_000);
    taken.talk_ms = Some(60_000);
    let mut lost = row(2, Disposition::Abandoned, start + 9 * 3_600_000 + 60_000);
    lost.customer_number_e164 = Some("+989350000000".into());
    lost.wait_ms = Some(45_000);
    let before = row(3, Disposition::Answered, start - 1);
    let names = HashMap::from([("1001".to_owned(), "Sara".to_owned())]);
    let report = compute(
        &[taken, lost, before],
        period,
        &names,
        start + 86_400_000,
        &settings,
    );
    assert_eq!((report.total.offered, report.total.answered), (2, 1));
    assert_eq!(report.hours.len(), 24);
    assert_eq!(report.hours[9].1.offered, 2);
    assert_eq!(report.days.len(), 7);
    assert_eq!(report.days[0].1, "2026-11-16");
    assert_eq!(report.days[0].2.offered, 2);
    assert_eq!(report.waits, [1, 0, 0, 1, 0, 0]);
    assert_eq!(report.queues.len(), 1);
    assert_eq!(report.agents.len(), 1);
    assert_eq!(report.agents[0].name.as_deref(), Some("Sara"));
    assert_eq!(report.agents[0].summary.answered, 1);
    assert_eq!(report.cases.opened, 0, "the customer called the day before");
    assert_eq!(report.queue_names, vec!["support".to_owned()]);
}

pub(crate) fn tehran() -> MetricsSettings {
    MetricsSettings {
        utc_offset_minutes: 210,
        ..MetricsSettings::default()
    }
}

#[test]
fn periods_default_to_the_last_seven_days_and_bad_dates_are_named() {
    let today = 20_779; // 2026-11-22
    let period = resolve(
        &ReportQuery::default(),
        today,
        Calendar::Gregorian,
        &tehran(),
    )
    .unwrap();
    assert_eq!((period.from_day, period.to_day), (today - 6, today));
    let jalali = ReportQuery {
        from: Some("1405-09-01".into()),
        to: Some("۱۴۰۵-۰۹-۰۲".into()),
        queue: Some(" support ".into()),
        agent: Some(String::new()),
    };
    let period = resolve(&jalali, today, Calendar::Gregorian, &tehran()).unwrap();
    assert_eq!((period.from_day, period.to_day), (today, today + 1));
    assert_eq!(period.scope.queue.as_deref(), Some("support"));
    assert_eq!(period.scope.agent, None);
    let bad = ReportQuery {
        from: Some("<b>yesterday".into()),
        ..ReportQuery::default()
    };
    assert_eq!(
        resolve(&bad, today, Calendar::Gregorian, &tehran()),
        Err(QueryError::BadDate("<b>yesterday".into()))
    );
    let reversed = ReportQuery {
        from: Some("2026-11-22".into()),
        to: Some("2026-11-21".into()),
        ..ReportQuery::default()
    };
    assert_eq!(
        resolve(&reversed, today, Calendar::Gregorian, &tehran()),
        Err(QueryError::Reversed)
    );
    let long = ReportQuery {
        from: Some("2020-01-01".into()),
        ..ReportQuery::default()
    };
    assert_eq!(
        resolve(&long, today, Calendar::Gregorian, &tehran()),
        Err(QueryError::TooLong)
    );
    let far = ReportQuery {
        from: Some("999999999-01-01".into()),
        ..ReportQuery::default()
    };
    assert!(matches!(
        resolve(&far, today, Calendar::Gregorian, &tehran()),
        Err(QueryError::BadDate(_))
    ));
    assert_eq!(iso_date(today), "2026-11-22");
}

#[test]
fn named_periods_follow_the_calendar() {
    let today = 20_779; // 2026-11-22, a Sunday; 1405-09-01
    let named = |from: &str, to: &str, calendar| {
        let query = ReportQuery {
            from: Some(from.into()),
            to: Some(to.into()),
            ..ReportQuery::default()
        };
        let period = resolve(&query, today, calendar, &tehran()).unwrap();
        (iso_date(period.from_day), iso_date(period.to_day))
    };
    let greg = Calendar::Gregorian;
    assert_eq!(
        named("last-month", "last-month", greg),
        ("2026-10-01".into(), "2026-10-31".into())
    );
    assert_eq!(
        named("this-week", "today", greg),
        ("2026-11-16".into(), "2026-11-22".into())
    );
    // Jalali: Aban 1405 (30 days), the week from Saturday.
    let jalali = Calendar::Jalali;
    assert_eq!(
        named("last-month", "last-month", jalali),
        ("2026-10-23".into(), "2026-11-21".into())
    );
    assert_eq!(
        named("this-week", "this-week", jalali),
        ("2026-11-21".into(), "2026-11-27".into())
    );
    assert_eq!(
        named("yesterday", "yesterday", jalali),
        ("2026-11-21".into(), "2026-11-21".into())
    );
}

#[test]
fn waits_fall_in_their_bins() {
    assert_eq!(wait_bin(0), 0);
    assert_eq!(wait_bin(9_999), 0);
    assert_eq!(wait_bin(10_000), 1);
    assert_eq!(wait_bin(59_000), 3);
    assert_eq!(wait_bin(119_999), 4);
    assert_eq!(wait_bin(3_600_000), 5);
}
