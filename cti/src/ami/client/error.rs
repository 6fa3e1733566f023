//! Errors of the AMI client: why an action got no useful answer, and why a connection
//! attempt failed.

use std::time::Duration;

use crate::ami::CodecError;

/// Why an action sent through [`AmiClient`](super::AmiClient) did not succeed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// No AMI session is up (the client is connecting or waiting to reconnect).
    #[error("not connected to the PBX")]
    NotConnected,
    /// The session ended while the action was waiting for its answer; the PBX may or may
    /// not have carried it out.
    #[error("connection to the PBX lost while {action} waited for its answer: {reason}")]
    ConnectionLost {
        /// The action's name.
        action: String,
        /// Why the session ended.
        reason: String,
    },
    /// The answer did not come in time.
    #[error("no answer to {action} within {timeout:?}")]
    Timeout {
        /// The action's name.
        action: String,
        /// The time waited.
        timeout: Duration,
    },
    /// The PBX answered `Response: Error` (or an `OriginateResponse` with
    /// `Response: Failure`).
    #[error("the PBX refused {action}: {message}")]
    Rejected {
        /// The action's name.
        action: String,
        /// The response's `Message` (or the originate `Reason`).
        message: String,
    },
    /// The action cannot be written: a key or value would break the framing.
    #[error("invalid action: {0}")]
    Invalid(String),
    /// The client was shut down.
    #[error("the AMI client has shut down")]
    Closed,
}

impl From<CodecError> for ClientError {
    fn from(e: CodecError) -> Self {
        ClientError::Invalid(e.to_string())
    }
}

/// Why a connection attempt (TCP connect, banner, login) failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectError {
    /// The PBX answered the login with `Response: Error`.
    #[error("login refused by the PBX: {0}")]
    LoginFailed(String),
    /// TCP connect, read or write failed, or the peer closed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The peer sent something that is not AMI.
    #[error("{0}")]
    Codec(#[from] CodecError),
    /// The peer spoke AMI but not as expected (no banner, no challenge …).
    #[error("{0}")]
    Protocol(String),
    /// A step took longer than the action timeout.
    #[error("no answer within {0:?} while {1}")]
    Timeout(Duration, &'static str),
}
