//! Accepting connections under the cap: [`Accepter::next`] takes a place under
//! `max_connections` first (waiting for one when all are taken: new connections then wait
//! in the kernel's backlog), then accepts. Failed accepts (out of file descriptors, say)
//! back off instead of spinning. Both conditions are logged at most once a minute, with
//! how many times they happened meanwhile.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::HttpLimits;

/// How often a repeated condition is logged.
const LOG_EVERY: Duration = Duration::from_secs(60);
/// First and longest pause after a failed accept.
const BACKOFF_MIN: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// A warning logged at most once per [`LOG_EVERY`], counting the times it was held back.
#[derive(Debug, Default)]
struct RateLimitedLog {
    last: Option<Instant>,
    held_back: u64,
}

impl RateLimitedLog {
    /// Whether to log now, and how many occurrences were held back since the last line.
    fn due(&mut self) -> Option<u64> {
        if self.last.is_some_and(|last| last.elapsed() < LOG_EVERY) {
            self.held_back += 1;
            return None;
        }
        self.last = Some(Instant::now());
        Some(std::mem::take(&mut self.held_back))
    }
}

/// The listener, the cap and what is logged about them.
#[derive(Debug)]
pub struct Accepter {
    listener: TcpListener,
    permits: Arc<Semaphore>,
    max_connections: usize,
    cap_log: RateLimitedLog,
    error_log: RateLimitedLog,
    backoff: Duration,
}

impl Accepter {
    /// Accepts from `listener`, at most `limits.max_connections` held at once.
    pub fn new(listener: TcpListener, permits: Arc<Semaphore>, limits: HttpLimits) -> Self {
        Accepter {
            listener,
            permits,
            max_connections: limits.max_connections,
            cap_log: RateLimitedLog::default(),
            error_log: RateLimitedLog::default(),
            backoff: BACKOFF_MIN,
        }
    }

    /// The next connection with its peer and its place under the cap.
    pub async fn next(&mut self) -> (TcpStream, SocketAddr, OwnedSemaphorePermit) {
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if let Some(held_back) = self.cap_log.due() {
                    tracing::warn!(
                        max_connections = self.max_connections,
                        held_back,
                        "connection cap reached: {} connections open ([http] max_connections); \
                         new connections wait until one closes (logged at most once a minute)",
                        self.max_connections
                    );
                }
                match Arc::clone(&self.permits).acquire_owned().await {
                    Ok(permit) => permit,
                    // The semaphore is never closed; wait for the shutdown if it were.
                    Err(_) => std::future::pending().await,
                }
            }
        };
        loop {
            match self.listener.accept().await {
                Ok((stream, peer)) => {
                    self.backoff = BACKOFF_MIN;
                    return (stream, peer, permit);
                }
                Err(err) if is_connection_error(&err) => {}
                Err(err) => {
                    if let Some(held_back) = self.error_log.due() {
                        tracing::error!(
                            error = %err,
                            held_back,
                            "cannot accept connections (out of file descriptors?); backing off \
                             (logged at most once a minute)"
                        );
                    }
                    tokio::time::sleep(self.backoff).await;
                    self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
                }
            }
        }
    }
}

/// Errors of one connection (the peer gave up before the accept): the next accept works.
fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn logs_once_a_minute_with_the_count() {
        let mut log = RateLimitedLog::default();
        assert_eq!(log.due(), Some(0));
        assert_eq!(log.due(), None);
        assert_eq!(log.due(), None);
        tokio::time::advance(LOG_EVERY).await;
        assert_eq!(log.due(), Some(2));
    }
}
