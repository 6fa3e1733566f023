//! The codec's error type: everything that can go wrong turning bytes into AMI frames or an
//! [`Action`](super::Action) into bytes.

use std::io;

/// An error of the AMI codec.
///
/// Decoding errors are final for a stream: the peer is not speaking AMI (or not within the
/// configured limits), so the connection should be dropped and opened again.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// A line grew past [`Limits::max_line`](super::Limits::max_line) without a line end.
    #[error("AMI line longer than the limit of {limit} bytes (at least {len} bytes seen)")]
    LineTooLong {
        /// The configured limit.
        limit: usize,
        /// How many bytes of the line had been seen when the limit was hit.
        len: usize,
    },
    /// A message grew past [`Limits::max_message`](super::Limits::max_message) without its
    /// closing blank line.
    #[error("AMI message longer than the limit of {limit} bytes (at least {len} bytes seen)")]
    MessageTooLong {
        /// The configured limit.
        limit: usize,
        /// How many bytes of the message had been seen when the limit was hit.
        len: usize,
    },
    /// A line inside a message (or opening one, other than the banner) has no `:`.
    #[error("AMI line {line_no} of a message has no colon: {excerpt:?}")]
    MissingColon {
        /// 1-based line number inside the message.
        line_no: usize,
        /// The start of the offending line, decoded lossily.
        excerpt: String,
    },
    /// The stream ended in the middle of a message.
    #[error("AMI stream ended inside a message ({len} bytes without the closing blank line)")]
    Incomplete {
        /// Bytes of the unfinished message.
        len: usize,
    },
    /// An action could not be encoded: a key or value that would break the framing.
    #[error("AMI action {action:?}: {problem}")]
    InvalidAction {
        /// The action's name.
        action: String,
        /// What is wrong, naming the header.
        problem: String,
    },
    /// Reading from or writing to the transport failed.
    #[error("AMI transport: {0}")]
    Io(#[from] io::Error),
}

/// At most this many bytes of an offending line are quoted in an error.
pub(crate) const EXCERPT_LEN: usize = 80;

/// The start of `line`, lossily decoded, for error messages.
pub(crate) fn excerpt(line: &[u8]) -> String {
    let cut = &line[..line.len().min(EXCERPT_LEN)];
    String::from_utf8_lossy(cut).into_owned()
}
