//! One client connection to the simulated PBX: the banner, then actions read with the same
//! codec the client uses, answers written back, and — once logged in with events on — every
//! event of the PBX (or of the replayed captures) as it happens.
//!
//! A client that falls more than `client_buffer` events behind is disconnected, as Asterisk
//! drops a manager session it cannot write to.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::codec::Decoder;

use super::clock::{EpochMicros, timestamp};
use super::engine::{Emitted, Engine};
use super::event::{ClassMask, SimEvent};
use super::replay::ReplayFeed;
use super::state::PbxState;
use crate::ami::{AmiCodec, CodecError, Frame};

/// What Asterisk 22 sends first: the AMI protocol version.
pub(crate) const BANNER: &[u8] = b"Asterisk Call Manager/11.0.0\r\n";

/// Whether the session goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Close,
}

/// The login state of a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Auth {
    /// Nothing yet.
    Anonymous,
    /// An MD5 challenge was handed out.
    Challenged(String),
    /// Logged in.
    LoggedIn,
}

/// One client.
pub(crate) struct ClientSession {
    pub(crate) engine: Arc<Engine>,
    stream: TcpStream,
    codec: AmiCodec,
    read: BytesMut,
    pub(crate) peer: SocketAddr,
    pub(crate) local: SocketAddr,
    pub(crate) session_id: String,
    pub(crate) opened: EpochMicros,
    pub(crate) auth: Auth,
    pub(crate) mask: ClassMask,
    pub(crate) live: Option<broadcast::Receiver<Emitted>>,
    pub(crate) replay: Option<ReplayFeed>,
    /// In replay mode, what this client has been shown (its lists come from here).
    pub(crate) replay_state: Option<PbxState>,
}

impl ClientSession {
    pub(crate) fn new(engine: Arc<Engine>, stream: TcpStream, peer: SocketAddr) -> Self {
        let local = stream.local_addr().unwrap_or(peer);
        let session_id = {
            use rand::RngExt;
            let id: u64 = engine
                .lock()
                .rng
                .random_range(0x7f00_0000_0000..0x7fff_ffff_ffff);
            format!("0x{id:x}")
        };
        let opened = engine.clock.now();
        ClientSession {
            engine,
            stream,
            codec: AmiCodec::new(),
            read: BytesMut::with_capacity(4096),
            peer,
            local,
            session_id,
            opened,
            auth: Auth::Anonymous,
            mask: ClassMask::NONE,
            live: None,
            replay: None,
            replay_state: None,
        }
    }

    /// Serves the client until it logs off, fails to log in, disconnects, falls behind, or
    /// the simulator shuts down.
    pub(crate) async fn run(mut self) {
        if self.stream.write_all(BANNER).await.is_err() {
            return;
        }
        loop {
            let flow = tokio::select! {
                frame = read_frame(&mut self.stream, &mut self.codec, &mut self.read) => {
                    match frame {
                        Ok(Some(Frame::Message(action))) => self.on_action(action).await,
                        Ok(Some(Frame::Banner(_))) => Flow::Continue,
                        Ok(None) => Flow::Close,
                        Err(e) => {
                            tracing::debug!(peer = %self.peer, error = %e, "AMI client sent garbage");
                            Flow::Close
                        }
                    }
                }
                emitted = recv_live(&mut self.live) => self.on_live(emitted).await,
                event = next_replayed(&mut self.replay) => self.on_replayed(event).await,
                () = self.engine.shutdown.cancelled() => {
                    let at = self.engine.clock.now();
                    let bye = SimEvent::new("Event", "Shutdown")
                        .with("Privilege", "system,all")
                        .with("Timestamp", timestamp(at))
                        .with("Shutdown", "Cleanly")
                        .with("Restart", "False");
                    let _ = self.send(&[bye]).await;
                    Flow::Close
                }
            };
            if flow == Flow::Close {
                break;
            }
        }
        let _ = self.stream.shutdown().await;
    }

    async fn on_live(&mut self, emitted: Result<Emitted, RecvError>) -> Flow {
        match emitted {
            Ok(e) => {
                if self.mask.admits(e.classes) && self.write(&e.bytes).await.is_err() {
                    return Flow::Close;
                }
                Flow::Continue
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(peer = %self.peer, missed, "AMI client too slow; disconnecting it");
                Flow::Close
            }
            Err(RecvError::Closed) => Flow::Close,
        }
    }

    async fn on_replayed(&mut self, event: Option<SimEvent>) -> Flow {
        let Some(event) = event else {
            self.replay = None;
            return Flow::Continue;
        };
        let at = self.engine.clock.now();
        if let Some(state) = &mut self.replay_state {
            state.apply(&event, at);
        }
        if let Some(monitor) = &self.engine.monitor {
            monitor.observe(&event, at);
        }
        let classes = ClassMask::of_list(event.get("Privilege").unwrap_or(""));
        if self.mask.admits(classes) && self.send(&[event]).await.is_err() {
            return Flow::Close;
        }
        Flow::Continue
    }

    /// Live events not yet written, taken while the caller holds the engine's lock (so a
    /// list answered next is consistent with what the client has seen).
    pub(crate) fn drain_live(live: &mut Option<broadcast::Receiver<Emitted>>) -> Vec<Emitted> {
        let mut out = Vec::new();
        if let Some(rx) = live {
            while let Ok(e) = rx.try_recv() {
                out.push(e);
            }
        }
        out
    }

    /// Writes the drained live events the client asked for.
    pub(crate) async fn send_drained(&mut self, drained: Vec<Emitted>) -> std::io::Result<()> {
        for e in drained {
            if self.mask.admits(e.classes) {
                self.write(&e.bytes).await?;
            }
        }
        Ok(())
    }

    /// Writes messages in one go.
    pub(crate) async fn send(&mut self, messages: &[SimEvent]) -> std::io::Result<()> {
        let mut buf = BytesMut::new();
        for m in messages {
            m.encode(&mut buf);
        }
        self.write(&buf).await
    }

    async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await
    }
}

/// The next action from the client; `None` when it closed the connection.
async fn read_frame(
    stream: &mut TcpStream,
    codec: &mut AmiCodec,
    buf: &mut BytesMut,
) -> Result<Option<Frame>, CodecError> {
    loop {
        if let Some(frame) = codec.decode(buf)? {
            return Ok(Some(frame));
        }
        if stream.read_buf(buf).await? == 0 {
            return codec.decode_eof(buf);
        }
    }
}

async fn recv_live(live: &mut Option<broadcast::Receiver<Emitted>>) -> Result<Emitted, RecvError> {
    match live {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn next_replayed(replay: &mut Option<ReplayFeed>) -> Option<SimEvent> {
    match replay {
        Some(feed) => feed.next().await,
        None => std::future::pending().await,
    }
}
