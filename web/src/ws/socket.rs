//! One WebSocket connection's task: `hello`, the replay asked for at connection, then the
//! user's frames as the hub numbers them, client requests (`resume`, `subscribe`, `ping`),
//! and keep-alive.
//!
//! Every write is bounded in time and raced against the hub's signal to close, so a client
//! that stops reading can never hold the task (or memory) forever: its queue fills, the hub
//! drops it, and the task closes the socket with 1008. The same signal closes a socket whose
//! credential ended (1008, with the reason), and a session's socket closes when the session
//! expires.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use crm_core::{ChangeReason, Role, User};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::sync::{oneshot, watch};
use tokio::time::{Instant, MissedTickBehavior, timeout};
use tokio_util::sync::CancellationToken;

use app::hub::{Frame, Hub, Kick, Replay};
use crm_core::Credential;

use super::protocol::{ClientMessage, HelloUser, Reply};

/// WebSocket close code for a policy violation: here, not reading.
const POLICY_VIOLATION: u16 = 1008;
/// WebSocket close code for an endpoint going away (server shutdown, silent peer).
const GOING_AWAY: u16 = 1001;
/// How long the closing frame may take to leave.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Why a connection ends.
#[derive(Debug)]
enum Stop {
    /// The client closed it, or the connection broke.
    Gone,
    /// The client stopped reading (queue overflow, or a write that never finished).
    TooSlow,
    /// Nothing heard from the client for the idle timeout.
    Silent,
    /// The hub let go of the socket or closed (server shutting down).
    Released,
    /// The credential the socket was opened with ended.
    AccessEnded(ChangeReason),
    /// The session the socket was opened with expired.
    Expired,
}

/// The hub said why the socket must close (`Ok`), or let go of it without saying.
fn dropped_by_hub(signal: Result<Kick, oneshot::error::RecvError>) -> Stop {
    match signal {
        Ok(Kick::TooSlow) => Stop::TooSlow,
        Ok(Kick::AccessEnded(reason)) => Stop::AccessEnded(reason),
        Err(_) => Stop::Released,
    }
}

/// The close frame's reason for a socket whose access ended.
fn access_ended(reason: ChangeReason) -> &'static str {
    match reason {
        ChangeReason::SignedOut => "access ended: signed out",
        ChangeReason::TokenRevoked => "access ended: token revoked",
        ChangeReason::PasswordChanged => "access ended: password changed",
        ChangeReason::RoleChanged => "access ended: role changed",
        ChangeReason::UserDisabled => "access ended: user disabled",
    }
}

/// When a socket opened with `credential` must close: its session's expiry.
fn deadline(credential: &Credential) -> Option<Instant> {
    let expires_at_ms = credential.expires_at_ms()?;
    let left = expires_at_ms.saturating_sub(app::clock::now_ms()).max(0);
    Some(Instant::now() + Duration::from_millis(u64::try_from(left).unwrap_or(0)))
}

struct Connection {
    sink: SplitSink<WebSocket, Message>,
    kicked: oneshot::Receiver<Kick>,
    write_timeout: Duration,
    /// Cancelled when the hub closes: a write to a client that does not read stops then.
    closing: CancellationToken,
    /// When the session the socket was opened with expires.
    expires: Option<Instant>,
}

impl Connection {
    /// Writes one message unless the hub declares the socket too slow first.
    async fn write(&mut self, message: Message) -> Result<(), Stop> {
        tokio::select! {
            written = timeout(self.write_timeout, self.sink.send(message)) => match written {
                Ok(Ok(())) => Ok(()),
                Ok(Err(_)) => Err(Stop::Gone),
                Err(_) => Err(Stop::TooSlow),
            },
            dropped = &mut self.kicked => Err(dropped_by_hub(dropped)),
            () = self.closing.cancelled() => Err(Stop::Released),
        }
    }

    async fn reply(&mut self, reply: &Reply<'_>) -> Result<(), Stop> {
        match serde_json::to_string(reply) {
            Ok(text) => self.write(Message::Text(Utf8Bytes::from(text))).await,
            Err(err) => {
                tracing::error!(error = %err, "cannot serialise a reply");
                Ok(())
            }
        }
    }

    async fn send_replay(&mut self, replay: Replay) -> Result<(), Stop> {
        for frame in replay.frames {
            self.write(text(frame)).await?;
        }
        self.reply(&Reply::Resumed {
            from_seq: replay.from_seq,
            to_seq: replay.to_seq,
            complete: replay.complete,
        })
        .await
    }

    async fn close(mut self, code: u16, reason: &'static str) {
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        };
        let _ = timeout(CLOSE_TIMEOUT, self.sink.send(Message::Close(Some(frame)))).await;
    }
}

/// What a socket is opened with.
pub(super) struct Opening {
    /// Whose socket it is.
    pub(super) user: User,
    /// The credential it was authenticated with.
    pub(super) credential: Credential,
    /// The hub's access cursor before that credential was checked.
    pub(super) checked_at: i64,
    /// Replay what came after this seq first.
    pub(super) last_seq: Option<u64>,
}

/// Serves one upgraded socket until it ends.
#[tracing::instrument(skip_all, fields(user = %opening.user.username))]
pub(super) async fn run(socket: WebSocket, hub: Hub, opening: Opening) {
    let Opening {
        user,
        credential,
        checked_at,
        last_seq,
    } = opening;
    let _counted = hub.socket_token();
    let (mut sink, stream) = socket.split();
    if hub.is_closing() {
        let frame = CloseFrame {
            code: GOING_AWAY,
            reason: Utf8Bytes::from_static("server going away"),
        };
        let _ = timeout(CLOSE_TIMEOUT, sink.send(Message::Close(Some(frame)))).await;
        return;
    }
    let expires = deadline(&credential);
    let registration = match hub.register(user.id, credential, checked_at, last_seq) {
        Ok(registration) => registration,
        Err(refused) => {
            let (_, kicked) = oneshot::channel();
            let connection = Connection {
                sink,
                kicked,
                write_timeout: CLOSE_TIMEOUT,
                closing: hub.closing_token(),
                expires: None,
            };
            let reason = refused.map_or("too many connections", access_ended);
            connection.close(POLICY_VIOLATION, reason).await;
            return;
        }
    };
    let socket_id = registration.socket;
    tracing::debug!(socket = socket_id, "socket open");
    let mut connection = Connection {
        sink,
        kicked: registration.kicked,
        write_timeout: hub.settings().idle_timeout,
        closing: hub.closing_token(),
        expires,
    };
    let stop = serve(
        &mut connection,
        stream,
        registration.frames,
        &hub,
        &user,
        registration.seq,
        registration.replay,
    )
    .await;
    hub.unregister(user.id, socket_id);
    match stop {
        Stop::TooSlow => {
            tracing::warn!(socket = socket_id, "socket too slow to read: closed (1008)");
            connection
                .close(POLICY_VIOLATION, "messages were not read in time")
                .await;
        }
        Stop::Silent => {
            tracing::info!(socket = socket_id, "socket silent: closed");
            connection.close(GOING_AWAY, "no answer to pings").await;
        }
        Stop::Released => connection.close(GOING_AWAY, "server going away").await,
        Stop::AccessEnded(reason) => {
            tracing::info!(
                socket = socket_id,
                reason = reason.as_str(),
                "access ended: socket closed"
            );
            connection
                .close(POLICY_VIOLATION, access_ended(reason))
                .await;
        }
        Stop::Expired => {
            tracing::info!(socket = socket_id, "session expired: socket closed");
            connection.close(POLICY_VIOLATION, "session expired").await;
        }
        Stop::Gone => tracing::debug!(socket = socket_id, "socket closed"),
    }
}

async fn serve(
    connection: &mut Connection,
    mut stream: SplitStream<WebSocket>,
    mut frames: tokio::sync::mpsc::Receiver<Frame>,
    hub: &Hub,
    user: &User,
    hello_seq: u64,
    replay: Option<Replay>,
) -> Stop {
    let settings = hub.settings().clone();
    let hello = Reply::Hello {
        seq: hello_seq,
        user: HelloUser::of(user),
    };
    if let Err(stop) = connection.reply(&hello).await {
        return stop;
    }
    if let Some(replay) = replay
        && let Err(stop) = connection.send_replay(replay).await
    {
        return stop;
    }
    let mut pings =
        tokio::time::interval_at(Instant::now() + settings.ping_every, settings.ping_every);
    pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut heard = Instant::now();
    let mut board: Option<watch::Receiver<Option<Frame>>> = None;
    let expires = connection.expires;
    let expiry = async {
        match expires {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(expiry);
    loop {
        let step = tokio::select! {
            biased;
            dropped = &mut connection.kicked => Err(dropped_by_hub(dropped)),
            () = connection.closing.cancelled() => Err(Stop::Released),
            () = &mut expiry => Err(Stop::Expired),
            frame = frames.recv() => match frame {
                Some(frame) => connection.write(text(frame)).await,
                None => Err(Stop::Released),
            },
            snapshot = next_snapshot(&mut board) => match snapshot {
                Some(frame) => connection.write(text(frame)).await,
                None => Ok(()),
            },
            incoming = stream.next() => match incoming {
                Some(Ok(message)) => {
                    heard = Instant::now();
                    handle(connection, message, hub, user, hello_seq, &mut board).await
                }
                Some(Err(_)) | None => Err(Stop::Gone),
            },
            _ = pings.tick() => {
                if heard.elapsed() > settings.idle_timeout {
                    Err(Stop::Silent)
                } else {
                    connection.write(Message::Ping(Bytes::new())).await
                }
            }
        };
        if let Err(stop) = step {
            return stop;
        }
    }
}

/// The next wallboard snapshot for a socket subscribed to the queues (never, otherwise):
/// the newest one, so a socket that falls behind skips what it missed.
/// A hub frame as a text message (the same bytes, not copied).
fn text(frame: Frame) -> Message {
    // A frame is always UTF-8 (built from a `String`); checking costs one pass.
    Message::Text(
        Utf8Bytes::try_from(frame.into_bytes()).unwrap_or_else(|_| Utf8Bytes::from_static("")),
    )
}

async fn next_snapshot(board: &mut Option<watch::Receiver<Option<Frame>>>) -> Option<Frame> {
    let Some(receiver) = board else {
        return std::future::pending().await;
    };
    if receiver.changed().await.is_err() {
        *board = None;
        return None;
    }
    receiver.borrow_and_update().clone()
}

/// Answers one client message.
async fn handle(
    connection: &mut Connection,
    message: Message,
    hub: &Hub,
    user: &User,
    hello_seq: u64,
    board: &mut Option<watch::Receiver<Option<Frame>>>,
) -> Result<(), Stop> {
    let text = match message {
        Message::Text(text) => text,
        Message::Close(_) => return Err(Stop::Gone),
        // Pings are answered by the WebSocket layer; pongs only prove the client is there.
        Message::Ping(_) | Message::Pong(_) => return Ok(()),
        Message::Binary(_) => {
            return connection
                .reply(&Reply::Error {
                    message: "binary messages are not understood".into(),
                })
                .await;
        }
    };
    let request = match ClientMessage::parse(text.as_str()) {
        Ok(request) => request,
        Err(err) => {
            return connection
                .reply(&Reply::Error {
                    message: format!("not understood: {err}"),
                })
                .await;
        }
    };
    match request {
        ClientMessage::Ping => connection.reply(&Reply::Pong).await,
        ClientMessage::Resume { last_seq } => {
            let replay = hub.replay(user.id, last_seq, hello_seq);
            connection.send_replay(replay).await
        }
        ClientMessage::Subscribe { all_calls, queues } => {
            let wants_more = all_calls == Some(true) || queues == Some(true);
            if wants_more && user.role < Role::Supervisor {
                return connection
                    .reply(&Reply::Error {
                        message:
                            "only supervisors and admins may subscribe to all calls or the queues"
                                .into(),
                    })
                    .await;
            }
            if let Some(on) = all_calls {
                hub.set_all_calls(user.id, on);
            }
            match queues {
                Some(true) if board.is_none() => {
                    let mut receiver = hub.board();
                    // The latest snapshot goes out at once.
                    receiver.mark_changed();
                    *board = Some(receiver);
                }
                Some(false) => *board = None,
                _ => {}
            }
            let reply = Reply::Subscribed {
                all_calls: hub.all_calls(user.id),
                queues: board.is_some(),
            };
            connection.reply(&reply).await
        }
    }
}
