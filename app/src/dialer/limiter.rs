//! A token bucket per user: a burst of up to `per_minute` calls, refilled evenly over a
//! minute. Kept in memory (a restart forgets it), bounded by the users who called lately.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crm_core::UserId;
use tokio::time::Instant;

/// Buckets kept at most; past this, full buckets are forgotten.
const MAX_BUCKETS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Per-user rate limit.
#[derive(Debug)]
pub(super) struct RateLimiter {
    per_minute: f64,
    buckets: Mutex<HashMap<UserId, Bucket>>,
}

impl RateLimiter {
    pub(super) fn new(per_minute: u32) -> Self {
        RateLimiter {
            per_minute: f64::from(per_minute.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refill(&self, bucket: &mut Bucket, now: Instant) {
        let minutes = now.saturating_duration_since(bucket.at).as_secs_f64() / 60.0;
        bucket.tokens = (bucket.tokens + minutes * self.per_minute).min(self.per_minute);
        bucket.at = now;
    }

    /// Takes one call from `user`'s bucket; `Err` says how long until one is available.
    pub(super) fn take(&self, user: UserId) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_BUCKETS {
            buckets.retain(|_, b| {
                let minutes = now.saturating_duration_since(b.at).as_secs_f64() / 60.0;
                b.tokens + minutes * self.per_minute < self.per_minute
            });
        }
        let bucket = buckets.entry(user).or_insert(Bucket {
            tokens: self.per_minute,
            at: now,
        });
        self.refill(bucket, now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - bucket.tokens;
            Err(Duration::from_secs_f64(missing * 60.0 / self.per_minute))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_then_one_every_interval() {
        let limiter = RateLimiter::new(3);
        let sara = UserId(1);
        for _ in 0..3 {
            assert!(limiter.take(sara).is_ok());
        }
        let wait = limiter.take(sara).unwrap_err();
        assert!(wait <= Duration::from_secs(20) && wait > Duration::from_secs(19));
        assert!(limiter.take(UserId(2)).is_ok(), "each user has a bucket");
        tokio::time::advance(Duration::from_secs(20)).await;
        assert!(limiter.take(sara).is_ok());
        assert!(limiter.take(sara).is_err());
    }
}
