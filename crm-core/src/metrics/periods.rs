//! Named report periods: `today`, `yesterday`, `this-week`, `last-week`, `this-month` and
//! `last-month`, as days of the contact center's local calendar.
//!
//! In the Gregorian calendar weeks start on Monday; in the Jalali calendar months are
//! Jalali months and weeks start on Saturday.

use super::calendar::{
    DayNumber, days_from_civil, jalali_month_length, jalali_of, jalali_to_gregorian,
};
use super::summary::civil_from_days;

/// Which calendar months and weeks follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Calendar {
    /// Gregorian months, weeks from Monday.
    Gregorian,
    /// Jalali (Solar Hijri) months, weeks from Saturday.
    Jalali,
}

/// A period named relative to today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedPeriod {
    /// Today.
    Today,
    /// The day before today.
    Yesterday,
    /// The week holding today.
    ThisWeek,
    /// The week before this one.
    LastWeek,
    /// The month holding today.
    ThisMonth,
    /// The month before this one.
    LastMonth,
}

impl NamedPeriod {
    /// Every named period, in the order choices show them.
    pub const ALL: [NamedPeriod; 6] = [
        NamedPeriod::Today,
        NamedPeriod::Yesterday,
        NamedPeriod::ThisWeek,
        NamedPeriod::LastWeek,
        NamedPeriod::ThisMonth,
        NamedPeriod::LastMonth,
    ];

    /// The name as typed (`this-week`).
    pub fn as_str(self) -> &'static str {
        match self {
            NamedPeriod::Today => "today",
            NamedPeriod::Yesterday => "yesterday",
            NamedPeriod::ThisWeek => "this-week",
            NamedPeriod::LastWeek => "last-week",
            NamedPeriod::ThisMonth => "this-month",
            NamedPeriod::LastMonth => "last-month",
        }
    }

    /// The period a name stands for, if it is one.
    pub fn parse(text: &str) -> Option<NamedPeriod> {
        let text = text.trim();
        NamedPeriod::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(text))
    }

    /// Its first and last day (inclusive), `today` being the local day.
    pub fn days(self, today: DayNumber, calendar: Calendar) -> (DayNumber, DayNumber) {
        match self {
            NamedPeriod::Today => (today, today),
            NamedPeriod::Yesterday => (today - 1, today - 1),
            NamedPeriod::ThisWeek => {
                let start = week_start(today, calendar);
                (start, start + 6)
            }
            NamedPeriod::LastWeek => {
                let start = week_start(today, calendar) - 7;
                (start, start + 6)
            }
            NamedPeriod::ThisMonth => month_of(today, calendar),
            NamedPeriod::LastMonth => month_of(month_of(today, calendar).0 - 1, calendar),
        }
    }
}

/// A day as `--from`/`--to` take it: a named period (its first day for `from`, its last
/// for `to`), else a date as [`super::calendar::parse_day`] reads it.
pub fn resolve_day(
    text: &str,
    today: DayNumber,
    calendar: Calendar,
    end: bool,
) -> Result<DayNumber, String> {
    match NamedPeriod::parse(text) {
        Some(period) => {
            let (first, last) = period.days(today, calendar);
            Ok(if end { last } else { first })
        }
        None => super::calendar::parse_day(text).map_err(|err| {
            format!(
                "{err}; or one of today, yesterday, this-week, last-week, this-month, last-month"
            )
        }),
    }
}

/// The local day of `now_ms` (ms since the epoch) at `utc_offset_minutes`.
pub fn local_day(now_ms: i64, utc_offset_minutes: i32) -> DayNumber {
    (now_ms + i64::from(utc_offset_minutes) * 60_000).div_euclid(86_400_000)
}

/// A day as an ISO date (`2026-11-22`).
pub fn iso_date(day: DayNumber) -> String {
    let (year, month, day) = civil_from_days(day);
    format!("{year:04}-{month:02}-{day:02}")
}

fn week_start(day: DayNumber, calendar: Calendar) -> DayNumber {
    // 1970-01-01 was a Thursday: 3 days after a Monday, 5 after a Saturday.
    let since_start = match calendar {
        Calendar::Gregorian => (day + 3).rem_euclid(7),
        Calendar::Jalali => (day + 5).rem_euclid(7),
    };
    day - since_start
}

/// First and last day of the month holding `day`.
fn month_of(day: DayNumber, calendar: Calendar) -> (DayNumber, DayNumber) {
    match calendar {
        Calendar::Gregorian => {
            let (year, month, _) = civil_from_days(day);
            let first = days_from_civil((year, i64::from(month), 1));
            let (next_year, next_month) = if month == 12 {
                (year + 1, 1)
            } else {
                (year, i64::from(month) + 1)
            };
            (first, days_from_civil((next_year, next_month, 1)) - 1)
        }
        Calendar::Jalali => {
            let (year, month, _) = jalali_of(day);
            let first = days_from_civil(jalali_to_gregorian(year, month, 1));
            (first, first + jalali_month_length(year, month) - 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> DayNumber {
        super::super::calendar::parse_day(text).unwrap()
    }

    fn range(period: NamedPeriod, today: &str, calendar: Calendar) -> (DayNumber, DayNumber) {
        period.days(day(today), calendar)
    }

    #[test]
    fn names_parse_and_others_do_not() {
        for period in NamedPeriod::ALL {
            assert_eq!(NamedPeriod::parse(period.as_str()), Some(period));
        }
        assert_eq!(
            NamedPeriod::parse(" Last-Month "),
            Some(NamedPeriod::LastMonth)
        );
        assert_eq!(NamedPeriod::parse("2026-11-22"), None);
        assert!(
            resolve_day("tomorrow", 0, Calendar::Gregorian, false)
                .unwrap_err()
                .contains("last-month")
        );
    }

    #[test]
    fn gregorian_days_weeks_and_months() {
        use Calendar::Gregorian as G;
        // 2026-03-01 is a Sunday: its week began Monday 23 February.
        assert_eq!(
            range(NamedPeriod::Today, "2026-03-01", G),
            (day("2026-03-01"), day("2026-03-01"))
        );
        assert_eq!(
            range(NamedPeriod::Yesterday, "2026-03-01", G),
            (day("2026-02-28"), day("2026-02-28"))
        );
        assert_eq!(
            range(NamedPeriod::ThisWeek, "2026-03-01", G),
            (day("2026-02-23"), day("2026-03-01"))
        );
        assert_eq!(
            range(NamedPeriod::LastWeek, "2026-03-01", G),
            (day("2026-02-16"), day("2026-02-22"))
        );
        // A Monday starts its own week.
        assert_eq!(
            range(NamedPeriod::ThisWeek, "2026-03-02", G).0,
            day("2026-03-02")
        );
        assert_eq!(
            range(NamedPeriod::ThisMonth, "2026-03-01", G),
            (day("2026-03-01"), day("2026-03-31"))
        );
        assert_eq!(
            range(NamedPeriod::LastMonth, "2026-03-01", G),
            (day("2026-02-01"), day("2026-02-28"))
        );
        assert_eq!(
            range(NamedPeriod::LastMonth, "2024-03-31", G),
            (day("2024-02-01"), day("2024-02-29")),
            "leap February"
        );
        // Across a year's end.
        assert_eq!(
            range(NamedPeriod::LastMonth, "2026-01-15", G),
            (day("2025-12-01"), day("2025-12-31"))
        );
        assert_eq!(
            range(NamedPeriod::ThisMonth, "2026-12-31", G),
            (day("2026-12-01"), day("2026-12-31"))
        );
        assert_eq!(
            range(NamedPeriod::LastWeek, "2026-01-01", G),
            (day("2025-12-22"), day("2025-12-28"))
        );
    }

    #[test]
    fn jalali_months_and_saturday_weeks() {
        use Calendar::Jalali as J;
        // 1405-09-01 (22 Nov 2026) is a Sunday: its week began on Saturday 1405-08-30.
        assert_eq!(
            range(NamedPeriod::ThisWeek, "1405-09-01", J),
            (day("1405-08-30"), day("1405-09-06"))
        );
        assert_eq!(
            range(NamedPeriod::LastWeek, "1405-09-01", J),
            (day("1405-08-23"), day("1405-08-29"))
        );
        // A Saturday starts its own week; a Friday ends it.
        assert_eq!(
            range(NamedPeriod::ThisWeek, "1405-08-30", J).0,
            day("1405-08-30")
        );
        assert_eq!(
            range(NamedPeriod::ThisWeek, "1405-09-06", J).0,
            day("1405-08-30")
        );
        assert_eq!(
            range(NamedPeriod::ThisMonth, "1405-09-01", J),
            (day("1405-09-01"), day("1405-09-30"))
        );
        assert_eq!(
            range(NamedPeriod::LastMonth, "1405-09-01", J),
            (day("1405-08-01"), day("1405-08-30"))
        );
        // The first half of the year has 31-day months.
        assert_eq!(
            range(NamedPeriod::LastMonth, "1405-07-10", J),
            (day("1405-06-01"), day("1405-06-31"))
        );
        // Esfand: 30 days in a leap year (1403), 29 otherwise (1404); across Nowruz.
        assert_eq!(
            range(NamedPeriod::LastMonth, "1404-01-01", J),
            (day("1403-12-01"), day("1403-12-30"))
        );
        assert_eq!(
            range(NamedPeriod::ThisMonth, "1404-12-29", J),
            (day("1404-12-01"), day("1404-12-29"))
        );
        assert_eq!(
            range(NamedPeriod::LastMonth, "1405-01-15", J),
            (day("1404-12-01"), day("1404-12-29"))
        );
        assert_eq!(
            range(NamedPeriod::Yesterday, "1405-01-01", J).0,
            day("1404-12-29")
        );
    }

    #[test]
    fn jalali_dates_of_days() {
        for (iso, jalali) in [
            ("2026-11-22", (1405, 9, 1)),
            ("2026-03-21", (1405, 1, 1)),
            ("2026-03-20", (1404, 12, 29)),
            ("2025-03-20", (1403, 12, 30)),
            ("2025-01-01", (1403, 10, 12)),
            ("2026-09-22", (1405, 6, 31)),
            ("2026-09-23", (1405, 7, 1)),
        ] {
            assert_eq!(jalali_of(day(iso)), jalali, "{iso}");
        }
    }

    #[test]
    fn the_local_day_follows_the_offset() {
        // 2026-11-22 21:00 UTC is 00:30 on the 23rd in Tehran (+03:30).
        let at = (day("2026-11-22") * 86_400 + 21 * 3600) * 1000;
        assert_eq!(local_day(at, 210), day("2026-11-23"));
        assert_eq!(local_day(at, 0), day("2026-11-22"));
    }
}
