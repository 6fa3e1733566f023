//! The users the hub knows: each one's `seq`, backlog, open sockets and whether they watch
//! every call. Guarded by the hub's lock, never held across an await.
//!
//! A user is known from their first socket until ten minutes (the backlog's age) after
//! their last one closed, so a tab that reconnects within that time misses nothing; the
//! memory is bounded by the users connected recently, never by the users that exist.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crm_core::{ChangeReason, CredentialChange, UserId};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::HubSettings;
use super::backlog::{Backlog, Frame, Replay};
use crm_core::Credential;

/// How often forgotten users are swept away and every backlog loses its frames past the
/// age (on the next publish or connect): a user who gets no new frame keeps old ones at
/// most this much longer than the age. A sweep costs a few microseconds per thousand
/// users.
const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// Changes that ended access kept to check sockets registering after them (a socket whose
/// credential was checked before a change and registered after it).
const RECENT_CHANGES: usize = 1024;

/// Why the hub lets go of a socket before its connection ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kick {
    /// Its queue overflowed: the client does not read.
    TooSlow,
    /// Its credential ended.
    AccessEnded(ChangeReason),
}

/// A socket's end of the hub: where its frames arrive, and the signal that it is too slow.
#[derive(Debug)]
pub struct Registration {
    /// The socket's id among its user's sockets.
    pub socket: u64,
    /// Frames for the user, in seq order.
    pub frames: mpsc::Receiver<Frame>,
    /// Fires when the socket must close with 1008: its queue overflowed, or its
    /// credential ended.
    pub kicked: oneshot::Receiver<Kick>,
    /// The user's seq when the socket was registered (what `hello` reports).
    pub seq: u64,
    /// What was missed since the `last_seq` given at connection, if one was.
    pub replay: Option<Replay>,
}

#[derive(Debug)]
struct Socket {
    id: u64,
    tx: mpsc::Sender<Frame>,
    kick: Option<oneshot::Sender<Kick>>,
    credential: Credential,
}

impl Socket {
    /// Tells the socket's task to close; false if it was told already.
    fn kick(&mut self, why: Kick) -> bool {
        self.kick.take().is_some_and(|kick| kick.send(why).is_ok())
    }
}

#[derive(Debug)]
struct UserEntry {
    seq: u64,
    first: u64,
    backlog: Backlog,
    sockets: Vec<Socket>,
    all_calls: bool,
    idle_since: Option<Instant>,
}

/// Every known user.
#[derive(Debug)]
pub(crate) struct Registry {
    settings: HubSettings,
    users: HashMap<UserId, UserEntry>,
    next_socket: u64,
    last_sweep: Instant,
    /// The last change that ended access the hub has applied.
    access_cursor: i64,
    /// The latest of those changes, oldest first.
    recent_changes: std::collections::VecDeque<CredentialChange>,
}

/// Milliseconds since the epoch: the seq a newly known user starts from, so seqs keep
/// increasing across server restarts (unless a user got more than one message per
/// millisecond since the last start).
fn seq_base() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX / 2))
}

impl Registry {
    pub(crate) fn new(settings: HubSettings) -> Self {
        Registry {
            settings,
            users: HashMap::new(),
            next_socket: 0,
            last_sweep: Instant::now(),
            access_cursor: 0,
            recent_changes: std::collections::VecDeque::new(),
        }
    }

    /// The last change that ended access applied (see [`Registry::end_access`]).
    pub(crate) fn access_cursor(&self) -> i64 {
        self.access_cursor
    }

    /// Treats the changes up to `seq` as applied.
    pub(crate) fn skip_access_changes_to(&mut self, seq: i64) {
        self.access_cursor = self.access_cursor.max(seq);
    }

    /// Applies changes that ended access (in `seq` order): every socket whose credential
    /// one of them ends is told to close. Returns how many sockets were.
    pub(crate) fn end_access(&mut self, changes: &[CredentialChange], now: Instant) -> usize {
        let mut closed = 0;
        for change in changes {
            if change.seq <= self.access_cursor {
                continue;
            }
            self.access_cursor = change.seq;
            if self.recent_changes.len() >= RECENT_CHANGES {
                self.recent_changes.pop_front();
            }
            self.recent_changes.push_back(change.clone());
            let Some(entry) = self.users.get_mut(&change.user) else {
                continue;
            };
            // Dropped at once: not one more frame reaches a socket whose access ended.
            entry.sockets.retain_mut(|socket| {
                let credential = &socket.credential;
                if !change.ends(change.user, credential.token(), credential.session_hash()) {
                    return true;
                }
                socket.kick(Kick::AccessEnded(change.reason));
                closed += 1;
                false
            });
            if entry.sockets.is_empty() && entry.idle_since.is_none() {
                entry.idle_since = Some(now);
            }
        }
        closed
    }

    /// Opens a socket for `user` with `credential`, checked as valid when the hub's access
    /// cursor was `checked_at`. `Err(None)` when the user has too many sockets already,
    /// `Err(Some(reason))` when a change applied since then ended the credential.
    pub(crate) fn register(
        &mut self,
        user: UserId,
        credential: Credential,
        checked_at: i64,
        last_seq: Option<u64>,
        now: Instant,
    ) -> Result<Registration, Option<ChangeReason>> {
        if let Some(change) = self.recent_changes.iter().find(|c| {
            c.seq > checked_at && c.ends(user, credential.token(), credential.session_hash())
        }) {
            return Err(Some(change.reason));
        }
        self.sweep_if_due(now);
        let settings = &self.settings;
        let entry = self.users.entry(user).or_insert_with(|| {
            let base = seq_base();
            UserEntry {
                seq: base,
                first: base + 1,
                backlog: Backlog::new(settings.backlog_messages, settings.backlog_age),
                sockets: Vec::new(),
                all_calls: false,
                idle_since: None,
            }
        });
        if entry.sockets.len() >= settings.max_sockets_per_user {
            return Err(None);
        }
        self.next_socket += 1;
        let (tx, frames) = mpsc::channel(settings.socket_queue.max(1));
        let (kick, kicked) = oneshot::channel();
        entry.sockets.push(Socket {
            id: self.next_socket,
            tx,
            kick: Some(kick),
            credential,
        });
        entry.idle_since = None;
        let seq = entry.seq;
        let replay = last_seq.map(|after| entry.backlog.replay(after, seq, entry.first, now));
        Ok(Registration {
            socket: self.next_socket,
            frames,
            kicked,
            seq,
            replay,
        })
    }

    /// Closes a socket; the user stays known for the backlog's age.
    pub(crate) fn unregister(&mut self, user: UserId, socket: u64, now: Instant) {
        if let Some(entry) = self.users.get_mut(&user) {
            entry.sockets.retain(|s| s.id != socket);
            if entry.sockets.is_empty() {
                entry.idle_since = Some(now);
            }
        }
    }

    /// The frames after `after` up to `upto`.
    pub(crate) fn replay(&mut self, user: UserId, after: u64, upto: u64, now: Instant) -> Replay {
        match self.users.get_mut(&user) {
            Some(entry) => entry.backlog.replay(after, upto, entry.first, now),
            None => Replay {
                frames: Vec::new(),
                from_seq: after.saturating_add(1),
                to_seq: upto,
                complete: false,
            },
        }
    }

    /// Whether the user receives every agent's calls.
    pub(crate) fn set_all_calls(&mut self, user: UserId, on: bool) {
        if let Some(entry) = self.users.get_mut(&user) {
            entry.all_calls = on;
        }
    }

    /// Whether `user` receives every agent's calls.
    pub(crate) fn all_calls(&self, user: UserId) -> bool {
        self.users.get(&user).is_some_and(|e| e.all_calls)
    }

    /// The known users watching every call.
    pub(crate) fn watchers(&self) -> impl Iterator<Item = UserId> + '_ {
        self.users
            .iter()
            .filter(|(_, e)| e.all_calls)
            .map(|(id, _)| *id)
    }

    /// Numbers `body` (a JSON object) for `user`, keeps it and writes it to each socket.
    /// A socket whose queue is full is dropped and told so. Returns false for an unknown
    /// user (no socket now or within the backlog's age), who is skipped.
    pub(crate) fn deliver(&mut self, user: UserId, body: &str, now: Instant) -> bool {
        let Some(entry) = self.users.get_mut(&user) else {
            return false;
        };
        entry.seq += 1;
        let rest = body.strip_prefix('{').unwrap_or(body);
        let frame = Frame::from(format!("{{\"seq\":{},{rest}", entry.seq));
        entry.backlog.push(entry.seq, frame.clone(), now);
        entry
            .sockets
            .retain_mut(|socket| match socket.tx.try_send(frame.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::warn!(
                        user = %user,
                        socket = socket.id,
                        queued = socket.tx.max_capacity(),
                        "a socket stopped reading: disconnecting it (1008)"
                    );
                    socket.kick(Kick::TooSlow);
                    false
                }
                // The socket's task ended and will unregister itself.
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
        if entry.sockets.is_empty() && entry.idle_since.is_none() {
            entry.idle_since = Some(now);
        }
        true
    }

    /// How many sockets `user` has open.
    pub(crate) fn sockets_of(&self, user: UserId) -> usize {
        self.users.get(&user).map_or(0, |e| e.sockets.len())
    }

    /// Users known, sockets open, frames kept.
    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        self.users.values().fold((0, 0, 0), |(u, s, f), e| {
            (u + 1, s + e.sockets.len(), f + e.backlog.len())
        })
    }

    /// Forgets users with no socket for longer than the backlog's age (at most once a
    /// minute).
    pub(crate) fn sweep_if_due(&mut self, now: Instant) {
        if now.saturating_duration_since(self.last_sweep) < SWEEP_EVERY {
            return;
        }
        self.last_sweep = now;
        let age = self.settings.backlog_age;
        self.users.retain(|_, entry| {
            entry.backlog.prune(now);
            entry
                .idle_since
                .is_none_or(|since| now.saturating_duration_since(since) <= age)
        });
    }
}
