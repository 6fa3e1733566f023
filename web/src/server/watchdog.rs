//! What a connection is doing, and when it has waited too long: [`TrackedIo`] notes every
//! byte read, the service notes every request in progress ([`Activity::request_started`]),
//! and [`watch`] completes when the connection should be cut:
//!
//! - waiting for a request (just accepted, or kept alive after one) with nothing of it
//!   received: `header_read_timeout` after the accept, `idle_timeout` after the last
//!   request ended;
//! - part of a request's head received: `header_read_timeout` after its first byte;
//! - a request in progress: never (its body has `body_timeout`, its handler its own).
//!
//! The watchdog sleeps until the next deadline, or until the connection's state changes
//! (a request starts or ends, a request's first byte arrives); it never polls.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit};
use tokio::time::Instant;

use super::HttpLimits;

/// "Not set" in the millisecond fields of [`Activity`].
const UNSET: u64 = u64::MAX;

/// What one connection is doing; shared by its socket, its service and its watchdog.
#[derive(Debug)]
pub struct Activity {
    /// When the connection was accepted: the origin of the millisecond fields.
    accepted: Instant,
    /// Requests being handled.
    in_flight: AtomicUsize,
    /// When the last request ended (ms after `accepted`); `UNSET` before the first.
    idle_since_ms: AtomicU64,
    /// When the first byte after the last request (or the accept) arrived; `UNSET` if none.
    head_since_ms: AtomicU64,
    /// Wakes the watchdog when the deadline may have moved.
    changed: Notify,
}

impl Activity {
    /// A connection accepted now.
    pub fn new() -> Self {
        Activity {
            accepted: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(UNSET),
            head_since_ms: AtomicU64::new(UNSET),
            changed: Notify::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.accepted.elapsed().as_millis()).unwrap_or(UNSET - 1)
    }

    fn at(&self, ms: u64) -> Instant {
        self.accepted + Duration::from_millis(ms)
    }

    /// A request's head has arrived: the connection is busy until the guard is dropped.
    pub fn request_started(self: &Arc<Self>) -> RequestGuard {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.head_since_ms.store(UNSET, Ordering::SeqCst);
        self.changed.notify_one();
        RequestGuard(Arc::clone(self))
    }

    fn bytes_read(&self) {
        if self.in_flight.load(Ordering::SeqCst) == 0 {
            let now = self.now_ms();
            let first =
                self.head_since_ms
                    .compare_exchange(UNSET, now, Ordering::SeqCst, Ordering::SeqCst);
            if first.is_ok() {
                self.changed.notify_one();
            }
        }
    }

    /// When the connection is to be cut if nothing changes, and why; `None` while busy.
    fn deadline(&self, limits: &HttpLimits) -> Option<(Instant, &'static str)> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let head = self.head_since_ms.load(Ordering::SeqCst);
        if head != UNSET {
            return Some((
                self.at(head) + limits.header_read_timeout,
                "request head too slow",
            ));
        }
        match self.idle_since_ms.load(Ordering::SeqCst) {
            UNSET => Some((
                self.accepted + limits.header_read_timeout,
                "no request after connecting",
            )),
            idle => Some((self.at(idle) + limits.idle_timeout, "idle")),
        }
    }
}

/// A request in progress; dropping it makes the connection idle again (when it was the
/// last one).
#[derive(Debug)]
pub struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let activity = &self.0;
        activity
            .idle_since_ms
            .store(activity.now_ms(), Ordering::SeqCst);
        activity.in_flight.fetch_sub(1, Ordering::SeqCst);
        activity.changed.notify_one();
    }
}

/// Completes (with the reason) once the connection has waited past its deadline.
pub async fn watch(activity: &Activity, limits: HttpLimits) -> &'static str {
    loop {
        match activity.deadline(&limits) {
            Some((deadline, reason)) if deadline <= Instant::now() => return reason,
            Some((deadline, _)) => {
                tokio::select! {
                    () = tokio::time::sleep_until(deadline) => {}
                    () = activity.changed.notified() => {}
                }
            }
            None => activity.changed.notified().await,
        }
    }
}

/// The connection's socket, noting reads in its [`Activity`] and holding its place under
/// the connection cap for as long as it is open (after a WebSocket upgrade too).
#[derive(Debug)]
pub struct TrackedIo {
    stream: TcpStream,
    activity: Arc<Activity>,
    _permit: OwnedSemaphorePermit,
}

impl TrackedIo {
    /// `stream`, noting into `activity`, holding `permit`.
    pub fn new(stream: TcpStream, activity: Arc<Activity>, permit: OwnedSemaphorePermit) -> Self {
        TrackedIo {
            stream,
            activity,
            _permit: permit,
        }
    }
}

impl AsyncRead for TrackedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for TrackedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> HttpLimits {
        HttpLimits {
            header_read_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(20),
            ..HttpLimits::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn deadlines_follow_the_connection() {
        let activity = Arc::new(Activity::new());
        let start = activity.accepted;
        assert_eq!(
            activity.deadline(&limits()).map(|d| d.0),
            Some(start + Duration::from_secs(5))
        );
        let guard = activity.request_started();
        assert_eq!(activity.deadline(&limits()), None);
        tokio::time::advance(Duration::from_secs(60)).await;
        drop(guard);
        let idle = activity.deadline(&limits()).map(|d| d.0);
        assert_eq!(idle, Some(start + Duration::from_secs(80)));
        tokio::time::advance(Duration::from_secs(3)).await;
        activity.bytes_read();
        let head = activity.deadline(&limits()).map(|d| d.0);
        assert_eq!(head, Some(start + Duration::from_secs(68)));
    }

    #[tokio::test(start_paused = true)]
    async fn watch_completes_at_the_deadline_only() {
        let activity = Arc::new(Activity::new());
        let guard = activity.request_started();
        let watching = watch(&activity, limits());
        tokio::pin!(watching);
        assert!(
            tokio::time::timeout(Duration::from_secs(100), &mut watching)
                .await
                .is_err()
        );
        drop(guard);
        let cut = tokio::time::timeout(Duration::from_secs(25), &mut watching).await;
        assert_eq!(cut, Ok("idle"));
    }

    #[tokio::test(start_paused = true)]
    async fn an_earlier_deadline_wakes_the_watch() {
        let limits = HttpLimits {
            header_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(2),
            ..HttpLimits::default()
        };
        let activity = Arc::new(Activity::new());
        let watching = watch(&activity, limits);
        tokio::pin!(watching);
        // Sleeping towards the accept's deadline (30 s) when a request comes and goes.
        assert!(
            tokio::time::timeout(Duration::from_secs(1), &mut watching)
                .await
                .is_err()
        );
        drop(activity.request_started());
        let cut = tokio::time::timeout(Duration::from_secs(3), &mut watching).await;
        assert_eq!(cut, Ok("idle"));
    }
}
