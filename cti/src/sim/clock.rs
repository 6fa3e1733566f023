//! The simulated PBX's clock: wall-clock epoch at start plus Tokio's (pausable) elapsed time,
//! in microseconds, and the ways Asterisk writes time (`Timestamp`, `EventTV`, CDR dates).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::macros::format_description;
use tokio::time::Instant;

/// Microseconds since the Unix epoch, as in AMI's `Timestamp: 1795342979.703424`.
pub(crate) type EpochMicros = i64;

/// Sim time: tests pause Tokio's clock and every timestamp follows it exactly.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SimClock {
    start_epoch: EpochMicros,
    start: Instant,
}

impl SimClock {
    /// A clock starting now (wall clock), advancing with Tokio time.
    pub(crate) fn start() -> Self {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        SimClock {
            start_epoch: i64::try_from(since_epoch.as_micros()).unwrap_or(i64::MAX),
            start: Instant::now(),
        }
    }

    /// Now, in epoch microseconds.
    pub(crate) fn now(&self) -> EpochMicros {
        let elapsed = i64::try_from(self.start.elapsed().as_micros()).unwrap_or(i64::MAX);
        self.start_epoch.saturating_add(elapsed)
    }

    /// Whole epoch seconds when the PBX "booted" (the prefix of its Uniqueids): the second
    /// after the one it started in. No call starts before it ([`booted_at`](Self::booted_at)),
    /// so a simulator started again after being killed, even within the same second, never
    /// reuses a Uniqueid of the previous run: Asterisk's Uniqueids are
    /// `<epoch of its start>.<counter from 0>`, and a real restart takes seconds.
    pub(crate) fn boot_seconds(&self) -> i64 {
        self.start_epoch.div_euclid(1_000_000) + 1
    }

    /// The moment of [`boot_seconds`](Self::boot_seconds), in epoch microseconds.
    pub(crate) fn booted_at(&self) -> EpochMicros {
        self.boot_seconds().saturating_mul(1_000_000)
    }

    /// Seconds since the PBX "booted" (`Uptime`).
    pub(crate) fn uptime_seconds(&self) -> u64 {
        self.start.elapsed().as_secs()
    }

    /// The Tokio instant at which the sim time is `at`.
    pub(crate) fn instant_of(&self, at: EpochMicros) -> Instant {
        let after = u64::try_from(at.saturating_sub(self.start_epoch)).unwrap_or(0);
        self.start + Duration::from_micros(after)
    }
}

/// `1795342979.703424`
pub(crate) fn timestamp(at: EpochMicros) -> String {
    format!(
        "{}.{:06}",
        at.div_euclid(1_000_000),
        at.rem_euclid(1_000_000)
    )
}

/// `2026-11-22T10:22:58.587+0000` (security events' `EventTV`).
pub(crate) fn event_tv(at: EpochMicros) -> String {
    let Some(dt) = datetime(at) else {
        return String::new();
    };
    let format = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+0000"
    );
    dt.format(&format).unwrap_or_default()
}

/// `2026-11-22 10:28:18` (CDR start/answer/end, PBX local time = UTC).
pub(crate) fn cdr_time(epoch_seconds: i64) -> String {
    let Some(dt) = datetime(epoch_seconds.saturating_mul(1_000_000)) else {
        return String::new();
    };
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    dt.format(&format).unwrap_or_default()
}

/// Parses a CDR time back into epoch seconds.
pub(crate) fn parse_cdr_time(text: &str) -> Option<i64> {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let dt = time::PrimitiveDateTime::parse(text, &format).ok()?;
    Some(dt.assume_utc().unix_timestamp())
}

/// `00:01:05` (`Duration` of `CoreShowChannel`).
pub(crate) fn hms(seconds: i64) -> String {
    let s = seconds.max(0);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn datetime(at: EpochMicros) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_asterisk() {
        assert_eq!(timestamp(1_795_342_979_703_424), "1795342979.703424");
        assert_eq!(timestamp(1_795_342_979_000_007), "1795342979.000007");
        assert_eq!(
            event_tv(1_795_342_978_587_217),
            "2026-11-22T10:22:58.587+0000"
        );
        assert_eq!(cdr_time(1_795_343_298), "2026-11-22 10:28:18");
        assert_eq!(parse_cdr_time("2026-11-22 10:28:18"), Some(1_795_343_298));
        assert_eq!(parse_cdr_time(""), None);
        assert_eq!(hms(65), "00:01:05");
        assert_eq!(hms(3_725), "01:02:05");
    }

    #[tokio::test(start_paused = true)]
    async fn follows_tokio_time() {
        let clock = SimClock::start();
        let t0 = clock.now();
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        assert_eq!(clock.now() - t0, 1_500_000);
        assert_eq!(
            clock.instant_of(t0 + 500_000) - clock.instant_of(t0),
            Duration::from_millis(500)
        );
    }
}
