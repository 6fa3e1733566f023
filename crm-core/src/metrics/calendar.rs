//! Dates for reports: ISO (`2026-11-22`) or Jalali (`1405-09-01`) days to epoch times.
//!
//! Jalali conversion uses the arithmetic of the 33-year cycle rules as published by
//! Borkowski and used by the jalaali-js project, exact for years 1 to 3177 AP.

/// A day, as a count of days since 1970-01-01.
pub type DayNumber = i64;

/// Parses `YYYY-MM-DD`: a year before 1700 is read as Jalali (Solar Hijri), otherwise
/// Gregorian. Persian and Arabic-Indic digits are accepted.
pub fn parse_day(text: &str) -> Result<DayNumber, String> {
    let ascii: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            '/' => '-',
            other => other,
        })
        .collect();
    let parts: Vec<&str> = ascii.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return Err(format!("{text:?} is not a date (YYYY-MM-DD)"));
    };
    let number = |s: &str| {
        s.parse::<i64>()
            .map_err(|_| format!("{text:?} is not a date (YYYY-MM-DD)"))
    };
    let (year, month, day) = (number(year)?, number(month)?, number(day)?);
    if year < 1700 {
        if !(1..=12).contains(&month) || day < 1 || day > jalali_month_length(year, month) {
            return Err(format!("{text:?} is not a Jalali date"));
        }
        Ok(days_from_civil(jalali_to_gregorian(year, month, day)))
    } else {
        if !(1..=12).contains(&month) || day < 1 || day > gregorian_month_length(year, month) {
            return Err(format!("{text:?} is not a date"));
        }
        Ok(days_from_civil((year, month, day)))
    }
}

fn is_gregorian_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn gregorian_month_length(year: i64, month: i64) -> i64 {
    match month {
        2 if is_gregorian_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil((year, month, day): (i64, i64, i64)) -> DayNumber {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The leap-year breaks of the Jalali calendar (jalaali-js).
const BREAKS: [i64; 20] = [
    -61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262, 2324,
    2394, 2456, 3178,
];

/// (leap: years since the last leap year, gregorian year, day in March of Farvardin 1).
fn jal_cal(jy: i64) -> (i64, i64, i64) {
    let gy = jy + 621;
    let mut leap_j = -14;
    let mut jp = BREAKS[0];
    let mut jump = 0;
    for &jm in &BREAKS[1..] {
        jump = jm - jp;
        if jy < jm {
            break;
        }
        leap_j += jump / 33 * 8 + (jump % 33) / 4;
        jp = jm;
    }
    let mut n = jy - jp;
    leap_j += n / 33 * 8 + ((n % 33) + 3) / 4;
    if jump % 33 == 4 && jump - n == 4 {
        leap_j += 1;
    }
    let leap_g = gy / 4 - (gy / 100 + 1) * 3 / 4 - 150;
    let march = 20 + leap_j - leap_g;
    if jump - n < 6 {
        n = n - jump + (jump + 4) / 33 * 33;
    }
    let mut leap = ((n + 1) % 33 - 1) % 4;
    if leap == -1 {
        leap = 4;
    }
    (leap, gy, march)
}

/// Days in a Jalali month (Esfand: 30 in a leap year, else 29).
pub fn jalali_month_length(year: i64, month: i64) -> i64 {
    match month {
        1..=6 => 31,
        7..=11 => 30,
        _ if jal_cal(year).0 == 0 => 30,
        _ => 29,
    }
}

/// The Gregorian date of a Jalali date.
pub fn jalali_to_gregorian(jy: i64, jm: i64, jd: i64) -> (i64, i64, i64) {
    let (_, gy, march) = jal_cal(jy);
    let farvardin_first = days_from_civil((gy, 3, march));
    let day_of_year = if jm <= 7 {
        (jm - 1) * 31
    } else {
        186 + (jm - 7) * 30
    } + jd
        - 1;
    let (y, m, d) = super::summary::civil_from_days(farvardin_first + day_of_year);
    (y, i64::from(m), i64::from(d))
}

/// The Jalali (year, month, day) of a day.
pub fn jalali_of(day: DayNumber) -> (i64, i64, i64) {
    // Nowruz falls on 19–22 March: the Jalali year is the Gregorian year − 621 from it on.
    let (gregorian_year, _, _) = super::summary::civil_from_days(day);
    let mut year = gregorian_year - 621;
    let mut nowruz = days_from_civil(jalali_to_gregorian(year, 1, 1));
    if day < nowruz {
        year -= 1;
        nowruz = days_from_civil(jalali_to_gregorian(year, 1, 1));
    }
    let day_of_year = day - nowruz;
    if day_of_year < 186 {
        (year, day_of_year / 31 + 1, day_of_year % 31 + 1)
    } else {
        let rest = day_of_year - 186;
        (year, rest / 30 + 7, rest % 30 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jalali_and_iso_dates() {
        // 1 Azar 1405 = 22 November 2026; Nowruz 1405 = 21 March 2026.
        assert_eq!(jalali_to_gregorian(1405, 9, 1), (2026, 11, 22));
        assert_eq!(jalali_to_gregorian(1405, 1, 1), (2026, 3, 21));
        assert_eq!(
            jalali_to_gregorian(1403, 12, 30),
            (2025, 3, 20),
            "1403 is leap"
        );
        assert_eq!(parse_day("1405-09-01"), parse_day("2026-11-22"));
        assert_eq!(parse_day("۱۴۰۵/۰۹/۰۱"), parse_day("2026-11-22"));
        assert_eq!(parse_day("1970-01-01"), Ok(0));
        assert!(parse_day("1404-12-30").is_err(), "1404 is not leap");
        assert!(parse_day("2026-02-29").is_err());
        assert!(parse_day("yesterday").is_err());
    }
}
