//! The transport of one AMI session: the TCP socket, its read buffer and the codec
//! (mini-redis's `Connection`). Reading is cancel-safe, so the session loop can wait for a
//! frame and for its other work in one `select!`.

use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::codec::Decoder;

use super::error::ConnectError;
use crate::ami::{Action, AmiCodec, CodecError, Frame};

/// Initial capacity of the read buffer; it grows for long messages up to the codec's limits.
const READ_BUFFER: usize = 16 * 1024;

/// One TCP connection to the PBX, read and written by the session task only.
#[derive(Debug)]
pub(crate) struct Connection {
    stream: TcpStream,
    codec: AmiCodec,
    read: BytesMut,
    write: BytesMut,
    /// The longest a write may wait for a PBX that stopped reading.
    write_timeout: Duration,
}

impl Connection {
    /// Opens the TCP connection, giving up after `timeout` (which also bounds each write).
    pub(crate) async fn open(address: &str, timeout: Duration) -> Result<Self, ConnectError> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(address))
            .await
            .map_err(|_| ConnectError::Timeout(timeout, "connecting"))??;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            codec: AmiCodec::new(),
            read: BytesMut::with_capacity(READ_BUFFER),
            write: BytesMut::new(),
            write_timeout: timeout,
        })
    }

    /// The next frame: `Ok(None)` when the PBX closed the connection between frames.
    ///
    /// Cancel-safe: bytes already read stay in the buffer for the next call.
    pub(crate) async fn read_frame(&mut self) -> Result<Option<Frame>, CodecError> {
        loop {
            if let Some(frame) = self.codec.decode(&mut self.read)? {
                return Ok(Some(frame));
            }
            if self.stream.read_buf(&mut self.read).await? == 0 {
                return self.codec.decode_eof(&mut self.read);
            }
        }
    }

    /// Whether the PBX has sent anything not yet handled: bytes in the buffer or waiting in
    /// the socket. Used before declaring a silent connection dead, because while the
    /// consumer applies backpressure the client itself stops reading.
    pub(crate) fn has_unread_bytes(&mut self) -> bool {
        if !self.read.is_empty() {
            return true;
        }
        self.read.reserve(READ_BUFFER);
        matches!(self.stream.try_read_buf(&mut self.read), Ok(n) if n > 0)
    }

    /// Writes one action (with its `ActionID` already set) and flushes it. A PBX that
    /// stops reading (its receive window full) fails the write after the write timeout:
    /// the session is then lost, never stuck.
    pub(crate) async fn write_action(&mut self, action: &Action) -> Result<(), ConnectError> {
        self.write.clear();
        action.encode(&mut self.write)?;
        tokio::time::timeout(self.write_timeout, self.stream.write_all(&self.write))
            .await
            .map_err(|_| ConnectError::Timeout(self.write_timeout, "writing"))??;
        Ok(())
    }
}
