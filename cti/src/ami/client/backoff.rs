//! Capped exponential backoff with jitter between connection attempts.
//!
//! Attempt `n` waits a random time in `[d/2, d]` where `d = min(max, min · 2ⁿ)` (never less
//! than `min`): quick retries after a blip, slow ones during an outage, and clients started
//! together do not hammer the PBX in step. A refused login waits [`Backoff::slow`], about
//! `max`, whatever the attempt count: retrying a wrong secret fast only fills the PBX's log.

use std::time::Duration;

use rand::{Rng, RngExt};

use super::settings::BackoffSettings;

/// Doubling delays, reset once a connection has proved stable.
#[derive(Clone, Debug)]
pub(crate) struct Backoff {
    settings: BackoffSettings,
    attempt: u32,
}

impl Backoff {
    pub(crate) fn new(settings: BackoffSettings) -> Self {
        Backoff {
            settings,
            attempt: 0,
        }
    }

    /// Forgets past failures: the next delay is about `min` again.
    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The delay before the next attempt; each call doubles the following one.
    pub(crate) fn next_delay(&mut self, rng: &mut impl Rng) -> Duration {
        let BackoffSettings { min, max } = self.settings;
        let max = max.max(min);
        let factor = 1u32.checked_shl(self.attempt.min(31)).unwrap_or(u32::MAX);
        let ceiling = min.checked_mul(factor).unwrap_or(max).min(max);
        self.attempt = self.attempt.saturating_add(1);
        jitter(ceiling, min, rng)
    }

    /// The delay after a refused login: about `max`, never a quick retry.
    pub(crate) fn slow(&mut self, rng: &mut impl Rng) -> Duration {
        let max = self.settings.max.max(self.settings.min);
        self.attempt = self.attempt.saturating_add(1);
        jitter(max, max.mul_f64(0.75), rng)
    }
}

/// A random delay in `[ceiling/2, ceiling]`, but not below `floor` (nor above `ceiling`).
fn jitter(ceiling: Duration, floor: Duration, rng: &mut impl Rng) -> Duration {
    let low = (ceiling / 2).max(floor).min(ceiling);
    if low >= ceiling {
        return ceiling;
    }
    let span = (ceiling - low).as_micros().min(u128::from(u64::MAX)) as u64;
    low + Duration::from_micros(rng.random_range(0..=span))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    use super::*;

    fn settings(min_ms: u64, max_ms: u64) -> BackoffSettings {
        BackoffSettings {
            min: Duration::from_millis(min_ms),
            max: Duration::from_millis(max_ms),
        }
    }

    #[test]
    fn doubles_with_jitter_up_to_the_cap() {
        let mut rng = SmallRng::seed_from_u64(7);
        let mut backoff = Backoff::new(settings(100, 1_000));
        let ceilings = [100, 200, 400, 800, 1_000, 1_000, 1_000];
        for ceiling in ceilings {
            let d = backoff.next_delay(&mut rng);
            let ceiling = Duration::from_millis(ceiling);
            assert!(d <= ceiling, "{d:?} > {ceiling:?}");
            assert!(d >= (ceiling / 2).max(Duration::from_millis(100)), "{d:?}");
        }
        backoff.reset();
        assert!(backoff.next_delay(&mut rng) <= Duration::from_millis(100));
    }

    #[test]
    fn jitter_spreads_the_delays() {
        let mut rng = SmallRng::seed_from_u64(1);
        let delays: std::collections::HashSet<Duration> = (0..20)
            .map(|_| Backoff::new(settings(100, 10_000)).next_delay(&mut rng))
            .collect();
        assert_eq!(delays.len(), 1, "attempt 0 is exactly min");
        let delays: std::collections::HashSet<Duration> = (0..20)
            .map(|_| {
                let mut b = Backoff::new(settings(100, 10_000));
                b.next_delay(&mut rng);
                b.next_delay(&mut rng);
                b.next_delay(&mut rng)
            })
            .collect();
        assert!(delays.len() > 10, "{delays:?}");
    }

    #[test]
    fn a_refused_login_waits_about_max() {
        let mut rng = SmallRng::seed_from_u64(3);
        let mut backoff = Backoff::new(settings(100, 8_000));
        for _ in 0..10 {
            let d = backoff.slow(&mut rng);
            assert!(d >= Duration::from_millis(6_000) && d <= Duration::from_millis(8_000));
        }
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        let mut rng = SmallRng::seed_from_u64(3);
        let mut backoff = Backoff::new(settings(1, 5));
        backoff.attempt = u32::MAX;
        assert!(backoff.next_delay(&mut rng) <= Duration::from_millis(5));
        let mut inverted = Backoff::new(settings(50, 10));
        assert_eq!(inverted.next_delay(&mut rng), Duration::from_millis(50));
    }
}
