//! The AMI client: one task owns the TCP connection to the PBX; cloneable [`AmiClient`]
//! handles send actions to it and get their answers; the consumer (the tracker) reads
//! [`AmiEvent`]s from a bounded channel.
//!
//! - [`settings`](AmiClientSettings): address, credentials, timeouts, backoff.
//! - `connection`: the socket, its buffer and the codec; `login`: banner and `Login` (plain
//!   or MD5 challenge); `session`: one logged-in session (ActionIDs, routing, `Ping`,
//!   timeouts, the resync); `pending`: actions waiting for answers; `supervisor`: reconnects
//!   with backoff; `actions`: typed `Originate`, `QueuePause` and list answers.
//!
//! The event channel is bounded: when the consumer falls behind, the session stops reading
//! the socket and TCP pushes back on the PBX. No event is ever dropped.

mod actions;
mod backoff;
mod connection;
mod error;
mod login;
mod pending;
mod session;
mod settings;
mod supervisor;

pub use actions::{ListResponse, Originate, OriginateResult, PendingOriginate, QueuePause};
pub use error::ClientError;
pub(crate) use login::challenge_key;
pub use settings::{AmiClientSettings, AuthMethod, BackoffSettings, EventMask};

use bytes::BytesMut;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use self::pending::{ListSink, Waiter};
use crate::ami::{Action, Message};

/// How many actions may wait to be written before `send` itself waits.
const REQUEST_BUFFER: usize = 64;

/// What the client tells its consumer, in order.
#[derive(Clone, Debug)]
pub enum AmiEvent {
    /// A session is up (logged in). The resync answers follow: `CoreShowChannel` items then
    /// `CoreShowChannelsComplete`, and the `QueueStatus` items then `QueueStatusComplete`.
    Connected {
        /// The PBX's banner line, e.g. `Asterisk Call Manager/11.0.0`.
        banner: String,
    },
    /// An event (including resync items and `OriginateResponse`s).
    Message(Message),
    /// The session ended against the client's will; it reconnects.
    Disconnected {
        /// Why, for logs and status pages.
        reason: String,
    },
    /// The client was shut down ([`AmiClient::shutdown`], its token cancelled, or every
    /// handle dropped): it logged off if a session was up, and will not reconnect. The
    /// last event; the stream ends after it.
    Stopped {
        /// The PBX answered the `Logoff` (`Response: Goodbye`); false when no session was
        /// up or the PBX did not answer in time.
        logged_off: bool,
    },
    /// The PBX refused the login (wrong username or secret); retried slowly.
    LoginFailed {
        /// The PBX's `Message`, e.g. `Authentication failed`.
        message: String,
    },
    /// The PBX could not be reached (or did not speak AMI); retried with backoff.
    ConnectFailed {
        /// Why.
        reason: String,
    },
}

/// The receiving end of the client's events (bounded: a slow reader slows the socket).
#[derive(Debug)]
pub struct AmiEvents {
    rx: mpsc::Receiver<AmiEvent>,
}

impl AmiEvents {
    /// The next event; `None` once the client has shut down and every event was read.
    pub async fn recv(&mut self) -> Option<AmiEvent> {
        self.rx.recv().await
    }

    /// How many events wait to be read (for a backlog metric).
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    /// Whether no event waits to be read.
    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }
}

/// One action on its way to the session task.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) action: Action,
    pub(crate) waiter: Waiter,
}

/// A handle on the AMI connection; cheap to clone.
///
/// The connection task runs until [`shutdown`](Self::shutdown) or until every handle is
/// dropped. Actions get a fresh `ActionID` (`tamas-<n>`, per connection): one set by the
/// caller is replaced.
#[derive(Clone, Debug)]
pub struct AmiClient {
    requests: mpsc::Sender<Request>,
    shutdown: CancellationToken,
    stopped: CancellationToken,
    action_timeout: std::time::Duration,
}

impl AmiClient {
    /// Starts the connection task (on the current Tokio runtime) and returns the handle and
    /// the event stream. Connecting, logging in and reconnecting happen in the background.
    pub fn connect(settings: AmiClientSettings) -> (AmiClient, AmiEvents) {
        Self::connect_in(settings, &TaskTracker::new(), CancellationToken::new())
    }

    /// As [`connect`](Self::connect), with the connection task owned by `tasks` (its
    /// owner can wait for it) and stopped — logged off, never reconnecting — when
    /// `shutdown` is cancelled, as by [`shutdown`](Self::shutdown).
    pub fn connect_in(
        settings: AmiClientSettings,
        tasks: &TaskTracker,
        shutdown: CancellationToken,
    ) -> (AmiClient, AmiEvents) {
        let (requests, requests_rx) = mpsc::channel(REQUEST_BUFFER);
        let (events_tx, rx) = mpsc::channel(settings.event_buffer.max(1));
        let stopped = CancellationToken::new();
        let client = AmiClient {
            requests,
            shutdown: shutdown.clone(),
            stopped: stopped.clone(),
            action_timeout: settings.action_timeout,
        };
        tasks.spawn(async move {
            let _stopped = stopped.drop_guard();
            supervisor::supervise(settings, requests_rx, events_tx, shutdown).await;
        });
        (client, AmiEvents { rx })
    }

    async fn submit(&self, action: Action, waiter: Waiter) -> Result<(), ClientError> {
        action.encode(&mut BytesMut::new())?;
        self.requests
            .send(Request { action, waiter })
            .await
            .map_err(|_| ClientError::Closed)
    }

    /// Sends an action and waits for its response; `Response: Error` is
    /// [`ClientError::Rejected`].
    #[tracing::instrument(skip_all, fields(action = %action.name()))]
    pub async fn send(&self, action: Action) -> Result<Message, ClientError> {
        let (tx, rx) = oneshot::channel();
        self.submit(action, Waiter::Response(tx)).await?;
        rx.await.unwrap_or(Err(ClientError::Closed))
    }

    /// Sends a list action (`CoreShowChannels`, `QueueStatus`, `QueueSummary` …) and waits
    /// for the whole list.
    #[tracing::instrument(skip_all, fields(action = %action.name()))]
    pub async fn send_list(&self, action: Action) -> Result<ListResponse, ClientError> {
        let (tx, rx) = oneshot::channel();
        let waiter = Waiter::List {
            sink: ListSink::Caller(tx),
            response: None,
            items: Vec::new(),
        };
        self.submit(action, waiter).await?;
        rx.await.unwrap_or(Err(ClientError::Closed))
    }

    /// Sends an `Async: true` Originate and waits until the PBX has queued it; the returned
    /// [`PendingOriginate`] then waits for the `OriginateResponse` (which also goes to the
    /// event stream).
    #[tracing::instrument(skip_all, fields(channel = %originate.channel))]
    pub async fn originate(&self, originate: Originate) -> Result<PendingOriginate, ClientError> {
        let (queued_tx, queued_rx) = oneshot::channel();
        let (outcome_tx, outcome) = oneshot::channel();
        let waiter = Waiter::Originate {
            queued: Some(queued_tx),
            outcome: outcome_tx,
            outcome_timeout: originate.ring_timeout + self.action_timeout,
        };
        self.submit(originate.to_action(), waiter).await?;
        let queued = queued_rx.await.unwrap_or(Err(ClientError::Closed))?;
        Ok(PendingOriginate { queued, outcome })
    }

    /// Pauses or unpauses a queue member (`QueuePause`; the PBX then sends a
    /// `QueueMemberPause` event).
    #[tracing::instrument(skip_all, fields(interface = %pause.interface, paused = pause.paused))]
    pub async fn queue_member_pause(&self, pause: QueuePause) -> Result<Message, ClientError> {
        self.send(pause.to_action()).await
    }

    /// Logs off, closes the connection and stops the task; every action still waiting
    /// fails. Returns once the task has ended.
    pub async fn shutdown(&self) {
        self.shutdown.cancel();
        self.stopped.cancelled().await;
    }
}
