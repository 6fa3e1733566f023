//! One logged-in AMI session: the task that owns the socket writes actions with fresh
//! ActionIDs, routes every message to its waiter or to the event stream, pings the PBX, times
//! out actions, and when it ends fails every action still waiting.
//!
//! On start it sends `CoreShowChannels` and `QueueStatus` and forwards their items and
//! `…Complete` events into the stream, in the order they arrive: the tracker rebuilds the
//! live state from them after every (re)connect.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use super::connection::Connection;
use super::error::{ClientError, ConnectError};
use super::login::ActionIds;
use super::pending::{ListSink, Pending, PendingActions, Route, Waiter, fail};
use super::settings::AmiClientSettings;
use super::{AmiEvent, Request};
use crate::ami::{Action, Frame, Message};

/// The list actions sent on every (re)connect, their answers forwarded to the stream.
pub(crate) const RESYNC_ACTIONS: [&str; 2] = ["CoreShowChannels", "QueueStatus"];

/// Why a session ended.
#[derive(Debug)]
pub(crate) enum SessionEnd {
    /// The client was shut down (or every handle dropped); whether the PBX answered the
    /// `Logoff`.
    Shutdown {
        /// The PBX answered `Logoff` (`Response: Goodbye`).
        logged_off: bool,
    },
    /// The connection broke; the reason is for logs and for failed actions.
    Lost(String),
}

/// The state of one session.
pub(crate) struct Session<'a> {
    conn: Connection,
    ids: ActionIds,
    pending: PendingActions,
    settings: &'a AmiClientSettings,
    events: &'a mpsc::Sender<AmiEvent>,
    next_ping: Instant,
    /// The ActionID of the unanswered `Ping` and when it times out.
    ping: Option<(String, Instant)>,
}

impl<'a> Session<'a> {
    pub(crate) fn new(
        conn: Connection,
        ids: ActionIds,
        settings: &'a AmiClientSettings,
        events: &'a mpsc::Sender<AmiEvent>,
    ) -> Self {
        Session {
            conn,
            ids,
            pending: PendingActions::default(),
            settings,
            events,
            next_ping: Instant::now() + settings.ping_interval,
            ping: None,
        }
    }

    /// Runs the session until the connection breaks or the client shuts down; every action
    /// still waiting then fails.
    pub(crate) async fn run(
        mut self,
        requests: &mut mpsc::Receiver<Request>,
        shutdown: &CancellationToken,
    ) -> SessionEnd {
        let end = self.serve(requests, shutdown).await;
        let reason = match &end {
            SessionEnd::Shutdown { .. } => "the AMI client shut down",
            SessionEnd::Lost(reason) => reason.as_str(),
        };
        self.pending.fail_all(reason);
        end
    }

    async fn serve(
        &mut self,
        requests: &mut mpsc::Receiver<Request>,
        shutdown: &CancellationToken,
    ) -> SessionEnd {
        for name in RESYNC_ACTIONS {
            let resync = Request {
                action: Action::new(name),
                waiter: Waiter::List {
                    sink: ListSink::Stream,
                    response: None,
                    items: Vec::new(),
                },
            };
            if let Err(end) = self.start(resync).await {
                return end;
            }
        }
        loop {
            let timer = self.next_timer();
            tokio::select! {
                frame = self.conn.read_frame() => match frame {
                    Ok(Some(Frame::Message(msg))) => self.on_message(msg).await,
                    Ok(Some(Frame::Banner(_))) => {}
                    Ok(None) => return lost("the PBX closed the connection"),
                    Err(e) => return lost(&format!("reading from the PBX failed: {e}")),
                },
                request = requests.recv() => match request {
                    Some(request) => {
                        if let Err(end) = self.start(request).await {
                            return end;
                        }
                    }
                    None => {
                        let logged_off = self.log_off().await;
                        return SessionEnd::Shutdown { logged_off };
                    }
                },
                () = sleep_until(timer) => {
                    if let Err(end) = self.on_timer().await {
                        return end;
                    }
                }
                () = shutdown.cancelled() => {
                    let logged_off = self.log_off().await;
                    return SessionEnd::Shutdown { logged_off };
                }
            }
        }
    }

    fn next_timer(&self) -> Instant {
        let mut timer = self.next_ping;
        if let Some((_, deadline)) = &self.ping {
            timer = timer.min(*deadline);
        }
        if let Some(deadline) = self.pending.next_deadline() {
            timer = timer.min(deadline);
        }
        timer
    }

    /// Writes `request`'s action with a fresh ActionID and registers its waiter.
    async fn start(&mut self, request: Request) -> Result<(), SessionEnd> {
        let id = self.ids.next_id();
        let Request { action, waiter } = request;
        let name = action.name().to_owned();
        let action = action.action_id(id.as_str());
        let timeout = self.settings.action_timeout;
        let pending = Pending {
            action: name,
            waiter,
            timeout,
            deadline: Instant::now() + timeout,
        };
        match self.conn.write_action(&action).await {
            Ok(()) => {
                tracing::trace!(action_id = %id, action = %pending.action, "AMI action sent");
                self.pending.insert(id, pending);
                Ok(())
            }
            Err(ConnectError::Codec(e)) => {
                // Checked by the client handle already; refuse it without dropping the session.
                fail(pending.waiter, ClientError::from(e));
                Ok(())
            }
            Err(e) => {
                let reason = format!("writing to the PBX failed: {e}");
                self.pending.insert(id, pending);
                Err(SessionEnd::Lost(reason))
            }
        }
    }

    async fn on_message(&mut self, msg: Message) {
        match self.pending.route(msg, Instant::now()) {
            Route::Forward(msg) => {
                // Waits while the consumer is behind: backpressure onto the socket. An error
                // only means nobody consumes events any more.
                let _ = self.events.send(AmiEvent::Message(msg)).await;
            }
            Route::Pong => self.ping = None,
            Route::Done => {}
        }
    }

    async fn on_timer(&mut self) -> Result<(), SessionEnd> {
        let now = Instant::now();
        if let Some((id, deadline)) = &self.ping
            && *deadline <= now
        {
            if !self.conn.has_unread_bytes() {
                let timeout = self.settings.ping_timeout;
                return Err(lost(&format!("no answer to Ping within {timeout:?}")));
            }
            // The answer is among bytes not read yet (the consumer is slow): alive.
            let id = id.clone();
            self.pending.remove(&id);
            self.ping = None;
        }
        for action in self.pending.expire(now) {
            tracing::warn!(%action, timeout = ?self.settings.action_timeout, "AMI action timed out");
        }
        if self.next_ping <= now {
            self.next_ping = now + self.settings.ping_interval;
            if self.ping.is_none() {
                let id = self.send_ping().await?;
                self.ping = Some((id, now + self.settings.ping_timeout));
            }
        }
        Ok(())
    }

    async fn send_ping(&mut self) -> Result<String, SessionEnd> {
        let id = self.ids.next_id();
        let ping = Action::new("Ping").action_id(id.as_str());
        if let Err(e) = self.conn.write_action(&ping).await {
            return Err(lost(&format!("writing to the PBX failed: {e}")));
        }
        self.pending.insert_ping(id.clone());
        Ok(id)
    }

    /// Says goodbye politely (`Logoff`) and waits briefly for the answer; returns whether
    /// it came. Events read meanwhile still go to the stream: the PBX sent them before it
    /// read the `Logoff`, so a call that ended just before a shutdown is not lost.
    async fn log_off(&mut self) -> bool {
        let id = self.ids.next_id();
        let logoff = Action::new("Logoff").action_id(id.as_str());
        if self.conn.write_action(&logoff).await.is_err() {
            return false;
        }
        let wait = self.settings.action_timeout.min(Duration::from_secs(2));
        tokio::time::timeout(wait, async {
            loop {
                match self.conn.read_frame().await {
                    Ok(Some(Frame::Message(msg))) => {
                        if msg.action_id() == Some(id.as_str()) {
                            return true;
                        }
                        self.on_message(msg).await;
                    }
                    Ok(Some(Frame::Banner(_))) => {}
                    Ok(None) | Err(_) => return false,
                }
            }
        })
        .await
        .unwrap_or(false)
    }
}

fn lost(reason: &str) -> SessionEnd {
    SessionEnd::Lost(reason.to_owned())
}
