//! Asterisk Manager Interface (AMI), wire level.
//!
//! - [`Frame`], [`Message`], [`Banner`]: what arrives, one message holding its bytes once.
//! - [`AmiCodec`]: the `tokio_util` codec (decodes frames, encodes [`Action`]s) for a
//!   `Framed` transport; [`Frames`]: the same decoding over bytes already in memory.
//! - [`Action`]: an outgoing action, checked so no value can break the framing.
//! - [`CodecError`]: what can go wrong at this level.
//! - [`escape_c`], [`unescape_c`]: caller-ID names as Asterisk escapes them.
//! - [`client`]: the TCP client: login, ActionIDs, lists, `Ping`, reconnect and resync, with
//!   events to a bounded channel.
//!
//! Transport (connection, login, ActionID correlation, reconnect) builds on this module and
//! lives beside it; meaning (calls, agents) lives in [`crate::tracker`].

mod action;
pub mod client;
mod decode;
mod error;
mod escape;
mod message;

pub use action::Action;
pub use decode::{AmiCodec, Frames, Limits};
pub use error::CodecError;
pub use escape::{escape_c, unescape_c};
pub use message::{Banner, Header, Message};

/// One unit of the AMI stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// The greeting line sent first on every connection.
    Banner(Banner),
    /// A response or an event.
    Message(Message),
}

impl Frame {
    /// The message, unless this is the banner.
    pub fn into_message(self) -> Option<Message> {
        match self {
            Frame::Message(m) => Some(m),
            Frame::Banner(_) => None,
        }
    }

    /// The message, unless this is the banner.
    pub fn as_message(&self) -> Option<&Message> {
        match self {
            Frame::Message(m) => Some(m),
            Frame::Banner(_) => None,
        }
    }
}
