//! The client task: connect, log in, run a session, and when it ends wait (capped
//! exponential backoff with jitter; about the maximum after a refused login) and start again,
//! until the client shuts down. Actions sent while no session is up fail at once with
//! [`ClientError::NotConnected`].

use std::ops::ControlFlow;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::backoff::Backoff;
use super::connection::Connection;
use super::error::{ClientError, ConnectError};
use super::login::{ActionIds, log_in};
use super::pending::fail;
use super::session::{Session, SessionEnd};
use super::settings::AmiClientSettings;
use super::{AmiEvent, Request};
use crate::ami::Banner;

/// Runs connections one after the other until `shutdown` is cancelled or every client
/// handle is dropped; the last event is then [`AmiEvent::Stopped`], never a
/// `Disconnected` (which announces a reconnection).
pub(crate) async fn supervise(
    settings: AmiClientSettings,
    mut requests: mpsc::Receiver<Request>,
    events: mpsc::Sender<AmiEvent>,
    shutdown: CancellationToken,
) {
    let address = settings.address();
    let mut backoff = Backoff::new(settings.backoff);
    loop {
        let attempt = tokio::select! {
            attempt = open(&settings) => attempt,
            () = shutdown.cancelled() => return stopped(&events).await,
        };
        let delay = match attempt {
            Ok((conn, ids, banner)) => {
                let banner = String::from_utf8_lossy(banner.line()).into_owned();
                tracing::info!(%address, %banner, "AMI connected");
                let _ = events.send(AmiEvent::Connected { banner }).await;
                let started = Instant::now();
                let session = Session::new(conn, ids, &settings, &events);
                match session.run(&mut requests, &shutdown).await {
                    SessionEnd::Shutdown { logged_off } => {
                        tracing::info!(%address, logged_off, "AMI client shut down");
                        let _ = events.send(AmiEvent::Stopped { logged_off }).await;
                        return;
                    }
                    SessionEnd::Lost(reason) => {
                        tracing::warn!(%address, %reason, "AMI connection lost");
                        let _ = events.send(AmiEvent::Disconnected { reason }).await;
                    }
                }
                if started.elapsed() >= settings.backoff.max {
                    backoff.reset();
                }
                backoff.next_delay(&mut rand::rng())
            }
            Err(ConnectError::LoginFailed(message)) => {
                let delay = backoff.slow(&mut rand::rng());
                tracing::error!(
                    %address, username = %settings.username, %message, retry_in = ?delay,
                    "AMI login refused; check the username and secret"
                );
                let _ = events.send(AmiEvent::LoginFailed { message }).await;
                delay
            }
            Err(error) => {
                let delay = backoff.next_delay(&mut rand::rng());
                tracing::warn!(%address, %error, retry_in = ?delay, "AMI connection failed");
                let reason = error.to_string();
                let _ = events.send(AmiEvent::ConnectFailed { reason }).await;
                delay
            }
        };
        tracing::debug!(%address, ?delay, "AMI reconnecting after a delay");
        if wait_refusing(delay, &mut requests, &shutdown)
            .await
            .is_break()
        {
            return stopped(&events).await;
        }
    }
}

/// Tells the consumer the client stopped while no session was up (nothing to log off).
async fn stopped(events: &mpsc::Sender<AmiEvent>) {
    let _ = events.send(AmiEvent::Stopped { logged_off: false }).await;
}

/// TCP connect, banner and login, bounded by the action timeout.
async fn open(
    settings: &AmiClientSettings,
) -> Result<(Connection, ActionIds, Banner), ConnectError> {
    let timeout = settings.action_timeout;
    let mut conn = Connection::open(&settings.address(), timeout).await?;
    let mut ids = ActionIds::default();
    // A refused login answers after about a second, so the login gets its own timeout.
    let banner = tokio::time::timeout(timeout, log_in(&mut conn, settings, &mut ids))
        .await
        .map_err(|_| ConnectError::Timeout(timeout, "logging in"))??;
    Ok((conn, ids, banner))
}

/// Waits `delay`, failing every action sent meanwhile; breaks on shutdown.
async fn wait_refusing(
    delay: Duration,
    requests: &mut mpsc::Receiver<Request>,
    shutdown: &CancellationToken,
) -> ControlFlow<()> {
    let until = Instant::now() + delay;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(until) => return ControlFlow::Continue(()),
            () = shutdown.cancelled() => return ControlFlow::Break(()),
            request = requests.recv() => match request {
                Some(request) => fail(request.waiter, ClientError::NotConnected),
                None => return ControlFlow::Break(()),
            },
        }
    }
}
