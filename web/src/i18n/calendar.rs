//! Dates, times, durations and digits as a reader of the page expects them.
//!
//! English pages show Gregorian dates (`22 Nov 2026, 14:30`); Persian pages show Jalali
//! dates (`۱ آذر ۱۴۰۵، ۱۴:۳۰`) with Persian digits. Times are local: the contact center's
//! UTC offset (`metrics.utc_offset_minutes`, +03:30 for Iran, which no longer has daylight
//! saving time). The Jalali date comes from `icu_calendar`'s Persian calendar; its
//! dependencies are already in the build through `url`, so it adds two small crates.

use crm_core::Locale;
use icu_calendar::Date;
use icu_calendar::cal::Persian;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use super::catalog::t;

/// Writes `text`'s ASCII digits as Persian digits for Persian pages; unchanged for English.
pub fn localize_digits(text: &str, locale: Locale) -> String {
    match locale {
        Locale::En => text.to_owned(),
        Locale::Fa => text
            .chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32(0x06F0 + (c as u32 - '0' as u32)).unwrap_or(c),
                other => other,
            })
            .collect(),
    }
}

/// A day in the reader's calendar: (year, month 1–12, day).
fn calendar_day(locale: Locale, date: time::Date) -> (i32, u8, u8) {
    let gregorian = (date.year(), u8::from(date.month()), date.day());
    match locale {
        Locale::En => gregorian,
        Locale::Fa => match Date::try_new_iso(gregorian.0, gregorian.1, gregorian.2) {
            Ok(iso) => {
                let jalali = iso.to_calendar(Persian);
                (
                    jalali.year().extended_year(),
                    jalali.month().ordinal,
                    jalali.day_of_month().0,
                )
            }
            // Only for years out of ICU's range; shown in the Gregorian calendar.
            Err(_) => gregorian,
        },
    }
}

/// Formats times for one reader: their language and the contact center's local time.
#[derive(Clone, Copy, Debug)]
pub struct LocalClock {
    /// The reader's language (and so calendar and digits).
    pub locale: Locale,
    /// The local time's offset from UTC, in minutes.
    pub utc_offset_minutes: i32,
}

impl LocalClock {
    fn offset(&self) -> UtcOffset {
        UtcOffset::from_whole_seconds(self.utc_offset_minutes.saturating_mul(60))
            .unwrap_or(UtcOffset::UTC)
    }

    fn local(&self, ms: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
            .to_offset(self.offset())
    }

    /// The local date of `ms` (ms since the epoch): `22 Nov 2026` / `۱ آذر ۱۴۰۵`.
    pub fn date(&self, ms: i64) -> String {
        let (year, month, day) = calendar_day(self.locale, self.local(ms).date());
        let month_name = t(self.locale, &format!("month-{month}"));
        localize_digits(&format!("{day} {month_name} {year}"), self.locale)
    }

    /// The local time of day of `ms`: `14:30`.
    pub fn time(&self, ms: i64) -> String {
        let local = self.local(ms);
        localize_digits(
            &format!("{:02}:{:02}", local.hour(), local.minute()),
            self.locale,
        )
    }

    /// Date and time of `ms`: `22 Nov 2026, 14:30` / `۱ آذر ۱۴۰۵، ۱۴:۳۰`.
    pub fn date_time(&self, ms: i64) -> String {
        let separator = match self.locale {
            Locale::En => ", ",
            Locale::Fa => "، ",
        };
        format!("{}{separator}{}", self.date(ms), self.time(ms))
    }

    /// The value of an `<input type="datetime-local">` for `ms` (HTML wants ASCII digits
    /// and the Gregorian calendar whatever the page's language).
    pub fn input_value(&self, ms: i64) -> String {
        let local = self.local(ms);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}",
            local.year(),
            u8::from(local.month()),
            local.day(),
            local.hour(),
            local.minute()
        )
    }

    /// Reads an `<input type="datetime-local">` value (`2026-11-22T14:30`, local time) as
    /// ms since the epoch.
    pub fn parse_input(&self, value: &str) -> Option<i64> {
        let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
        let with_seconds =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        let value = value.trim();
        let local = PrimitiveDateTime::parse(value, &format)
            .or_else(|_| PrimitiveDateTime::parse(value, &with_seconds))
            .ok()?;
        let nanos = local.assume_offset(self.offset()).unix_timestamp_nanos();
        i64::try_from(nanos / 1_000_000).ok()
    }

    /// A day (days since 1970-01-01) as `YYYY-MM-DD` in the reader's calendar and digits:
    /// `2026-11-22` / `۱۴۰۵-۰۹-۰۱`, what report forms show and read back.
    pub fn day_input(&self, day: i64) -> String {
        let (year, month, day) = self.calendar_date(day);
        localize_digits(&format!("{year:04}-{month:02}-{day:02}"), self.locale)
    }

    /// A day (days since 1970-01-01) as (year, month, day) in the reader's calendar.
    pub fn calendar_date(&self, day: i64) -> (i32, u8, u8) {
        let date = i32::try_from(day + 2_440_588)
            .ok()
            .and_then(|julian| time::Date::from_julian_day(julian).ok())
            .unwrap_or(time::Date::MIN);
        calendar_day(self.locale, date)
    }

    /// The start of the local day containing `ms`, in ms since the epoch.
    pub fn start_of_day(&self, ms: i64) -> i64 {
        let offset_ms = i64::from(self.utc_offset_minutes) * 60_000;
        (ms + offset_ms).div_euclid(86_400_000) * 86_400_000 - offset_ms
    }

    /// A duration as `m:ss`, or `h:mm:ss` from an hour on; `—` when unknown.
    pub fn duration(&self, ms: Option<i64>) -> String {
        let Some(ms) = ms else {
            return "—".to_owned();
        };
        let total = ms.max(0) / 1000;
        let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60);
        let text = if hours > 0 {
            format!("{hours}:{minutes:02}:{seconds:02}")
        } else {
            format!("{minutes}:{seconds:02}")
        };
        localize_digits(&text, self.locale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IRAN: i32 = 210;

    fn ms(year: i32, month: u8, day: u8, hour: u8, minute: u8) -> i64 {
        let date = time::Date::from_calendar_date(year, time::Month::try_from(month).unwrap(), day)
            .unwrap();
        let at = PrimitiveDateTime::new(date, time::Time::from_hms(hour, minute, 0).unwrap());
        let offset = UtcOffset::from_whole_seconds(IRAN * 60).unwrap();
        (at.assume_offset(offset).unix_timestamp_nanos() / 1_000_000) as i64
    }

    #[test]
    fn jalali_dates_for_persian_gregorian_for_english() {
        let fa = LocalClock {
            locale: Locale::Fa,
            utc_offset_minutes: IRAN,
        };
        let en = LocalClock {
            locale: Locale::En,
            utc_offset_minutes: IRAN,
        };
        // 1 Azar 1405 is 22 November 2026.
        let at = ms(2026, 11, 22, 14, 30);
        assert_eq!(en.date_time(at), "22 Nov 2026, 14:30");
        assert_eq!(fa.date_time(at), "۱ آذر ۱۴۰۵، ۱۴:۳۰");
        // Nowruz and the last day of a leap year.
        assert_eq!(fa.date(ms(2025, 3, 21, 0, 0)), "۱ فروردین ۱۴۰۴");
        assert_eq!(fa.date(ms(2025, 3, 20, 23, 59)), "۳۰ اسفند ۱۴۰۳");
        assert_eq!(fa.date(ms(2020, 3, 20, 12, 0)), "۱ فروردین ۱۳۹۹");
    }

    #[test]
    fn local_midnight_and_inputs_use_the_offset() {
        let clock = LocalClock {
            locale: Locale::Fa,
            utc_offset_minutes: IRAN,
        };
        // 00:10 in Tehran is still the previous day in UTC: the local date wins.
        let just_after_midnight = ms(2026, 11, 22, 0, 10);
        assert_eq!(clock.date(just_after_midnight), "۱ آذر ۱۴۰۵");
        assert_eq!(
            clock.start_of_day(just_after_midnight),
            ms(2026, 11, 22, 0, 0)
        );
        assert_eq!(clock.input_value(just_after_midnight), "2026-11-22T00:10");
        assert_eq!(
            clock.parse_input("2026-11-22T00:10"),
            Some(just_after_midnight)
        );
        assert_eq!(clock.parse_input("tomorrow"), None);
        // 22 November 2026 is day 20,779 since 1970-01-01.
        assert_eq!(clock.day_input(20_779), "۱۴۰۵-۰۹-۰۱");
        let en = LocalClock {
            locale: Locale::En,
            ..clock
        };
        assert_eq!(en.day_input(20_779), "2026-11-22");
        assert_eq!(en.day_input(0), "1970-01-01");
    }

    #[test]
    fn durations_and_digits() {
        let en = LocalClock {
            locale: Locale::En,
            utc_offset_minutes: 0,
        };
        let fa = LocalClock {
            locale: Locale::Fa,
            utc_offset_minutes: 0,
        };
        assert_eq!(en.duration(Some(65_400)), "1:05");
        assert_eq!(en.duration(Some(3_723_000)), "1:02:03");
        assert_eq!(fa.duration(Some(65_400)), "۱:۰۵");
        assert_eq!(en.duration(None), "—");
        assert_eq!(localize_digits("+98 912", Locale::Fa), "+۹۸ ۹۱۲");
    }
}
