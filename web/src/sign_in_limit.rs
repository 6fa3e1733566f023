//! Rate limits on signing in: failed attempts are counted per client IP and per username
//! over a sliding window; past the limit, sign-in answers `429` without even checking the
//! password, until old failures leave the window.
//!
//! Failures only, not requests: an office signing in at 9:00 is not throttled, a password
//! guesser is. The username limit (5 a minute) protects each account wherever the guesses
//! come from; the IP limit is higher (20 a minute) because a whole call center often shares
//! one NAT address, and stops one client from spraying many usernames. (It also means
//! someone can lock a user out for a minute by failing on purpose: the usual trade-off.)
//! Behind a reverse proxy every client has the proxy's address, so only the username limit
//! is meaningful there; `X-Forwarded-For` is not trusted since any client can forge it.
//!
//! In memory and per process, which is enough for one node; entries expire with the
//! window and the table is bounded. A panic while the table was locked (a poisoned lock)
//! does not switch the protection off: the table is taken back as it was and counting
//! goes on (every update leaves it consistent, so there is nothing half-done to undo). `tower_governor` was considered: it limits requests
//! by a key taken from the request's head, while this counts failed attempts keyed by a
//! username that is in the body, so the small table here fits better.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Past this many tracked keys, expired ones are swept; new keys are not tracked while the
/// table is still full (the username limit keeps holding).
const MAX_KEYS: usize = 100_000;

/// Failed sign-ins per client and per username.
#[derive(Debug)]
pub struct SignInLimiter {
    per_ip: usize,
    per_username: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Default for SignInLimiter {
    /// 20 failures a minute per IP, 5 per username.
    fn default() -> Self {
        SignInLimiter::new(20, 5, Duration::from_secs(60))
    }
}

impl SignInLimiter {
    /// A limiter allowing `per_ip` and `per_username` failures within `window`.
    pub fn new(per_ip: usize, per_username: usize, window: Duration) -> Self {
        SignInLimiter {
            per_ip,
            per_username,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// The table, taken back from a poisoned lock rather than failing open.
    fn table(&self) -> MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn keys(ip: IpAddr, username: &str) -> [(String, bool); 2] {
        let username: String = username.trim().to_lowercase().chars().take(64).collect();
        [
            (format!("ip {ip}"), true),
            (format!("user {username}"), false),
        ]
    }

    /// `Ok` when `ip` may try to sign in as `username` now; otherwise how long to wait.
    pub fn check(&self, ip: IpAddr, username: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let failures = self.table();
        let mut wait = Duration::ZERO;
        for (key, is_ip) in Self::keys(ip, username) {
            let limit = if is_ip {
                self.per_ip
            } else {
                self.per_username
            };
            if let Some(times) = failures.get(&key) {
                let recent: Vec<&Instant> = times
                    .iter()
                    .filter(|at| now.duration_since(**at) < self.window)
                    .collect();
                if recent.len() >= limit {
                    // Allowed again when the oldest failure that still counts leaves.
                    let oldest = recent[recent.len() - limit];
                    wait = wait.max(self.window.saturating_sub(now.duration_since(*oldest)));
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// Counts a failed sign-in of `ip` as `username`.
    pub fn record_failure(&self, ip: IpAddr, username: &str) {
        let now = Instant::now();
        let mut failures = self.table();
        if failures.len() >= MAX_KEYS {
            let window = self.window;
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|at| now.duration_since(*at) < window)
            });
        }
        let cap = self.per_ip.max(self.per_username);
        for (key, _) in Self::keys(ip, username) {
            if failures.len() >= MAX_KEYS && !failures.contains_key(&key) {
                continue;
            }
            let times = failures.entry(key).or_default();
            while times
                .front()
                .is_some_and(|at| now.duration_since(*at) >= self.window)
            {
                times.pop_front();
            }
            times.push_back(now);
            // Only the last `cap` failures can matter.
            while times.len() > cap {
                times.pop_front();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    #[tokio::test(start_paused = true)]
    async fn five_failures_lock_the_username_for_the_rest_of_the_minute() {
        let limiter = SignInLimiter::default();
        for _ in 0..5 {
            assert!(limiter.check(A, "sara").is_ok());
            limiter.record_failure(A, "sara");
        }
        let wait = limiter.check(A, "Sara").unwrap_err();
        assert_eq!(wait, Duration::from_secs(60));
        // From another address too: the account is what is protected.
        assert!(limiter.check(B, "sara").is_err());
        assert!(
            limiter.check(A, "reza").is_ok(),
            "other users are not locked"
        );
        tokio::time::advance(Duration::from_secs(45)).await;
        assert_eq!(
            limiter.check(A, "sara").unwrap_err(),
            Duration::from_secs(15)
        );
        tokio::time::advance(Duration::from_secs(15)).await;
        assert!(limiter.check(A, "sara").is_ok(), "the window has passed");
    }

    #[tokio::test(start_paused = true)]
    async fn twenty_failures_lock_the_address_across_usernames() {
        let limiter = SignInLimiter::default();
        for i in 0..20 {
            let user = format!("user{i}");
            assert!(limiter.check(A, &user).is_ok());
            limiter.record_failure(A, &user);
        }
        assert!(limiter.check(A, "someone-new").is_err());
        assert!(limiter.check(B, "someone-new").is_ok());
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(limiter.check(A, "someone-new").is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_poisoned_lock_keeps_the_protection_on() {
        let limiter = std::sync::Arc::new(SignInLimiter::default());
        for _ in 0..5 {
            limiter.record_failure(A, "sara");
        }
        let poisoner = std::sync::Arc::clone(&limiter);
        let panicked = std::thread::spawn(move || {
            let _held = poisoner.failures.lock();
            panic!("a panic while the table is locked");
        })
        .join();
        assert!(panicked.is_err());
        assert!(limiter.failures.is_poisoned());
        assert!(limiter.check(A, "sara").is_err(), "still locked out");
        for _ in 0..5 {
            limiter.record_failure(B, "reza");
        }
        assert!(limiter.check(B, "reza").is_err(), "still counting");
        assert!(limiter.check(B, "maryam").is_ok());
    }
}
