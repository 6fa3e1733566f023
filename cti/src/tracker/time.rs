//! PBX time: AMI `Timestamp` headers (`1795342979.703424`, seconds since the epoch with
//! microseconds, from `timestampevents=yes`) parsed to integer microseconds, and durations
//! rounded to milliseconds. Integer arithmetic keeps every millisecond exact.

/// Parses a `Timestamp` value to microseconds since the epoch. Digits past the sixth
/// decimal are ignored; anything that is not `digits[.digits]` is `None`.
pub(crate) fn parse_timestamp(v: &[u8]) -> Option<i64> {
    let (int, frac) = match memchr::memchr(b'.', v) {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => (v, &b""[..]),
    };
    if int.is_empty() || int.len() > 12 {
        return None;
    }
    let mut secs: i64 = 0;
    for &b in int {
        if !b.is_ascii_digit() {
            return None;
        }
        secs = secs * 10 + i64::from(b - b'0');
    }
    let mut micros: i64 = 0;
    for i in 0..6 {
        let digit = match frac.get(i) {
            Some(b) if b.is_ascii_digit() => i64::from(b - b'0'),
            Some(_) => return None,
            None => 0,
        };
        micros = micros * 10 + digit;
    }
    if !frac.iter().skip(6).all(u8::is_ascii_digit) {
        return None;
    }
    Some(secs * 1_000_000 + micros)
}

/// Milliseconds from `from` to `to` (microseconds), rounded half up; never negative.
pub(crate) fn ms_between(from: i64, to: i64) -> u64 {
    let us = (to - from).max(0);
    // `us` is non-negative, so the conversion cannot fail.
    u64::try_from((us + 500) / 1000).unwrap_or(0)
}

/// Microseconds since the epoch to whole milliseconds since the epoch (floor).
pub(crate) fn to_ms(us: i64) -> i64 {
    us.div_euclid(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_asterisk_timestamps() {
        assert_eq!(
            parse_timestamp(b"1795342979.703424"),
            Some(1_795_342_979_703_424)
        );
        assert_eq!(
            parse_timestamp(b"1795342979.7"),
            Some(1_795_342_979_700_000)
        );
        assert_eq!(parse_timestamp(b"1795342979"), Some(1_795_342_979_000_000));
        assert_eq!(
            parse_timestamp(b"1795342979.7034249"),
            Some(1_795_342_979_703_424)
        );
        assert_eq!(parse_timestamp(b""), None);
        assert_eq!(parse_timestamp(b"17953x"), None);
        assert_eq!(parse_timestamp(b"1.2.3"), None);
        assert_eq!(parse_timestamp(b"99999999999999999999"), None);
    }

    #[test]
    fn rounds_durations() {
        // QueueCallerJoin -> AgentConnect of capture 01: 5008.510 ms.
        assert_eq!(
            ms_between(1_795_342_979_719_022, 1_795_342_984_727_532),
            5009
        );
        assert_eq!(ms_between(0, 1499), 1);
        assert_eq!(ms_between(0, 1500), 2);
        assert_eq!(ms_between(10, 0), 0);
        assert_eq!(to_ms(1_795_342_979_719_022), 1_795_342_979_719);
    }
}
