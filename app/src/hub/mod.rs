//! The hub: who is connected and what each user is sent — call events and popups for
//! agents' consoles, supervisors' wallboards and external CRMs. The web crate carries
//! them over `/ws` (the protocol is docs/websocket.md); the hub knows nothing of sockets'
//! transport, only of the queues it feeds.
//!
//! - [`Hub`]: publish an [`Event`] to an [`Audience`]; every message gets the user's next
//!   `seq`, is serialised once per user and the same bytes go to the backlog and to each of
//!   the user's sockets.
//! - `registry`: the users known (seq, backlog, sockets, all-calls subscription);
//!   `backlog`: the last messages per user, for `resume`.
//! - The wallboard's `queue.snapshot`: state, not an event, so it is neither numbered nor
//!   kept; [`Hub::publish_board`] keeps only the latest, and each socket subscribed to the
//!   queues gets it at once and then every change (a slow socket skips to the newest).
//! - [`messages`]: the protocol's messages; [`popup`]: the `call.ringing` payload.
//! - The socket side ([`Hub::register`], [`Hub::replay`], [`Hub::board`] and the rest of
//!   the methods for a socket's task) is what `web::ws` drives for each connection.
//!
//! Sockets end with their connection, when the hub closes ([`Hub::close`], at
//! shutdown: each is closed with 1001 "server going away" and new ones are refused), or
//! when the credential they were opened with ends ([`Hub::end_access`], fed by
//! [`revocations`]: sign-out, a revoked token, a password or role change, a disabled user,
//! in this process or another; closed with 1008 and the reason); each
//! socket's task is counted by the hub ([`Hub::socket_token`]), so its owner can
//! wait for the last one to close.
//!
//! Memory is bounded: each socket's queue holds at most [`HubSettings::socket_queue`]
//! frames (a socket that stops reading is closed with 1008), each backlog at most
//! [`HubSettings::backlog_messages`] frames for [`HubSettings::backlog_age`].

mod backlog;
pub mod messages;
pub mod popup;
mod registry;
pub mod revocations;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crm_core::{ChangeReason, CredentialChange, UserId};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use backlog::{Frame, Replay};
pub use messages::Event;

use registry::Registry;
pub use registry::{Kick, Registration};

/// Limits and timings of the hub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubSettings {
    /// Messages kept per user for `resume`.
    pub backlog_messages: usize,
    /// How long a message is kept for `resume` (and a user with no socket is remembered).
    /// Two minutes by default: the console retries a lost socket at most 30 s apart, and
    /// a tab away for longer is told its replay is incomplete and reloads its view, so
    /// older frames would only hold memory for every user.
    pub backlog_age: Duration,
    /// Frames waiting to be written to one socket before it counts as not reading.
    pub socket_queue: usize,
    /// Sockets one user may have open at once.
    pub max_sockets_per_user: usize,
    /// How often the server pings each socket.
    pub ping_every: Duration,
    /// A socket silent for this long (no pong, no message) is closed; also the longest a
    /// single write may take.
    pub idle_timeout: Duration,
}

impl Default for HubSettings {
    fn default() -> Self {
        HubSettings {
            backlog_messages: 256,
            backlog_age: Duration::from_secs(120),
            socket_queue: 64,
            max_sockets_per_user: 32,
            ping_every: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Who a message is for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Audience {
    /// These users (those without an open or recent socket are skipped).
    pub users: Vec<UserId>,
    /// Also every user subscribed to all calls…
    pub watchers: bool,
    /// …except these.
    pub except: Vec<UserId>,
}

impl Audience {
    /// One user, and the users watching every call.
    pub fn user_and_watchers(user: UserId) -> Self {
        Audience {
            users: vec![user],
            watchers: true,
            except: Vec::new(),
        }
    }

    /// Only the users watching every call.
    pub fn watchers() -> Self {
        Audience {
            users: Vec::new(),
            watchers: true,
            except: Vec::new(),
        }
    }

    /// These users only.
    pub fn users(users: Vec<UserId>) -> Self {
        Audience {
            users,
            watchers: false,
            except: Vec::new(),
        }
    }
}

/// How many users, sockets and kept frames the hub holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HubStats {
    /// Users known (connected now or within the backlog's age).
    pub users: usize,
    /// Sockets open.
    pub sockets: usize,
    /// Frames kept in all backlogs.
    pub backlog_frames: usize,
}

/// The hub; cheap to clone.
#[derive(Clone, Debug)]
pub struct Hub {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    settings: HubSettings,
    registry: Mutex<Registry>,
    /// The latest wallboard snapshot (a whole `queue.snapshot` message).
    board: watch::Sender<Option<Frame>>,
    /// Notified when a socket subscribes to the wallboard.
    board_wanted: tokio::sync::Notify,
    /// Cancelled when the hub closes (server shutting down).
    closing: CancellationToken,
    /// One token per open socket's task.
    sockets: TaskTracker,
    /// Notified when this process ended a credential: look for changes now.
    access_changed: tokio::sync::Notify,
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new(HubSettings::default())
    }
}

impl Hub {
    /// An empty hub.
    pub fn new(settings: HubSettings) -> Hub {
        Hub {
            shared: Arc::new(Shared {
                registry: Mutex::new(Registry::new(settings.clone())),
                board: watch::Sender::new(None),
                board_wanted: tokio::sync::Notify::new(),
                closing: CancellationToken::new(),
                sockets: TaskTracker::new(),
                access_changed: tokio::sync::Notify::new(),
                settings,
            }),
        }
    }

    /// Its settings.
    pub fn settings(&self) -> &HubSettings {
        &self.shared.settings
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.shared
            .registry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends `event` to `audience`: serialised once, numbered per user; returns how many
    /// users it was numbered for.
    pub fn publish(&self, audience: &Audience, event: &Event) -> usize {
        let body = match serde_json::to_string(event) {
            Ok(body) => body,
            Err(err) => {
                tracing::error!(error = %err, "cannot serialise a hub event");
                return 0;
            }
        };
        let now = Instant::now();
        let mut registry = self.registry();
        registry.sweep_if_due(now);
        let mut recipients: Vec<UserId> = audience.users.clone();
        if audience.watchers {
            recipients.extend(registry.watchers());
        }
        recipients.sort_unstable();
        recipients.dedup();
        recipients.retain(|u| !audience.except.contains(u) || audience.users.contains(u));
        recipients
            .into_iter()
            .filter(|user| registry.deliver(*user, &body, now))
            .count()
    }

    /// Replaces the wallboard snapshot (a JSON `queue.snapshot` message) sent to sockets
    /// subscribed to the queues; returns false when it is the same as the last one.
    pub fn publish_board(&self, body: String) -> bool {
        self.shared.board.send_if_modified(|current| {
            if current.as_ref().is_some_and(|c| c.as_str() == body) {
                return false;
            }
            *current = Some(Frame::from(body));
            true
        })
    }

    /// The wallboard snapshots, starting from the latest.
    pub fn board(&self) -> watch::Receiver<Option<Frame>> {
        // Subscribed first: the woken feed must see someone watching.
        let board = self.shared.board.subscribe();
        self.shared.board_wanted.notify_one();
        board
    }

    /// Whether any socket is subscribed to the wallboard (none: no need to build it).
    pub fn board_watched(&self) -> bool {
        self.shared.board.receiver_count() > 0
    }

    /// Resolves when a socket subscribed to the wallboard (it wants a fresh snapshot).
    pub async fn board_wanted(&self) {
        self.shared.board_wanted.notified().await;
    }

    /// Whether `user` receives every agent's calls.
    pub fn all_calls(&self, user: UserId) -> bool {
        self.registry().all_calls(user)
    }

    /// Users, sockets and kept frames right now.
    pub fn stats(&self) -> HubStats {
        let (users, sockets, backlog_frames) = self.registry().counts();
        HubStats {
            users,
            sockets,
            backlog_frames,
        }
    }

    /// Closes every socket (1001, "server going away") and refuses new ones; resolves once
    /// every socket's task has ended.
    pub async fn close(&self) {
        self.shared.closing.cancel();
        self.shared.sockets.close();
        self.shared.sockets.wait().await;
    }

    /// A token cancelled when the hub closes.
    pub fn closing_token(&self) -> CancellationToken {
        self.shared.closing.clone()
    }

    /// Whether the hub has closed.
    pub fn is_closing(&self) -> bool {
        self.shared.closing.is_cancelled()
    }

    /// Counts a socket's task until the token is dropped.
    pub fn socket_token(&self) -> tokio_util::task::task_tracker::TaskTrackerToken {
        self.shared.sockets.token()
    }

    /// The last change that ended access applied: taken before a socket's credential is
    /// checked, and given to [`Hub::register`].
    pub fn access_cursor(&self) -> i64 {
        self.registry().access_cursor()
    }

    /// Applies changes that ended access (read from the store, in `seq` order): each
    /// socket whose credential one ends is closed with 1008 and the reason. Returns how
    /// many sockets were closed.
    pub fn end_access(&self, changes: &[CredentialChange]) -> usize {
        self.registry().end_access(changes, Instant::now())
    }

    /// Treats the changes up to `seq` as applied (where a new reader of the log starts).
    pub fn skip_access_changes_to(&self, seq: i64) {
        self.registry().skip_access_changes_to(seq);
    }

    /// Says that this process just ended a credential: [`revocations`] looks for the
    /// change at once instead of at its next poll.
    pub fn access_changed(&self) {
        self.shared.access_changed.notify_one();
    }

    /// Resolves when [`Hub::access_changed`] was called.
    pub async fn access_change_announced(&self) {
        self.shared.access_changed.notified().await;
    }

    /// Registers a socket of `user` opened with `credential` (checked at `checked_at`,
    /// an [`Hub::access_cursor`]); `last_seq` is the client's `resume` point. Refused with
    /// the reason when that credential has ended since.
    pub fn register(
        &self,
        user: UserId,
        credential: crm_core::Credential,
        checked_at: i64,
        last_seq: Option<u64>,
    ) -> Result<Registration, Option<ChangeReason>> {
        self.registry()
            .register(user, credential, checked_at, last_seq, Instant::now())
    }

    /// Forgets the socket numbered `socket` of `user` (its connection ended).
    pub fn unregister(&self, user: UserId, socket: u64) {
        self.registry().unregister(user, socket, Instant::now());
    }

    /// The frames of `user` numbered `after + 1 ..= upto`, for `resume`.
    pub fn replay(&self, user: UserId, after: u64, upto: u64) -> Replay {
        self.registry().replay(user, after, upto, Instant::now())
    }

    /// Subscribes `user` to every agent's calls, or not.
    pub fn set_all_calls(&self, user: UserId, on: bool) {
        self.registry().set_all_calls(user, on);
    }

    /// How many sockets `user` has open.
    pub fn sockets_of(&self, user: UserId) -> usize {
        self.registry().sockets_of(user)
    }
}

#[cfg(test)]
mod tests;
