//! What a socket says on its own behalf (docs/websocket.md): the replies a socket gets to
//! its own requests, not numbered and not kept, and what a client may send. The numbered
//! events come from the hub (`app::hub::messages`).

use crm_core::{User, UserId};
use serde::{Deserialize, Serialize};

/// Who a user is, as `hello` tells their socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct HelloUser<'a> {
    pub(crate) id: UserId,
    pub(crate) username: &'a str,
    pub(crate) display_name: &'a str,
    pub(crate) role: crm_core::Role,
    pub(crate) extension: Option<&'a str>,
    pub(crate) locale: crm_core::Locale,
}

impl<'a> HelloUser<'a> {
    pub(crate) fn of(user: &'a User) -> Self {
        HelloUser {
            id: user.id,
            username: user.username.as_str(),
            display_name: &user.display_name,
            role: user.role,
            extension: user.extension.as_ref().map(|e| e.as_str()),
            locale: user.locale,
        }
    }
}

/// Replies to one socket: not numbered, not kept in the backlog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Reply<'a> {
    /// First message on every socket; `seq` is the last seq the user was sent.
    Hello { seq: u64, user: HelloUser<'a> },
    /// After a replay.
    Resumed {
        from_seq: u64,
        to_seq: u64,
        complete: bool,
    },
    /// After `subscribe`: what the socket now receives.
    Subscribed { all_calls: bool, queues: bool },
    /// After `ping`.
    Pong,
    /// A client message was not understood or not allowed.
    Error { message: String },
}

/// What a client may send.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Send what came after `last_seq` (still in the backlog).
    Resume {
        /// The last `seq` the client has seen.
        last_seq: u64,
    },
    /// Supervisors and admins: receive every agent's calls (all the user's sockets) and
    /// the wallboard's `queue.snapshot` (this socket), or stop; an absent field is left
    /// as it was.
    Subscribe {
        /// Every agent's calls.
        #[serde(default)]
        all_calls: Option<bool>,
        /// The wallboard's queue snapshots.
        #[serde(default)]
        queues: Option<bool>,
    },
    /// Answered with `pong`.
    Ping,
}

impl ClientMessage {
    /// Reads one text frame from a client; anything else than the messages above is an
    /// error that says why.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_and_replies_have_their_wire_names() {
        let resume: Result<ClientMessage, _> =
            serde_json::from_str(r#"{"type":"resume","last_seq":41}"#);
        assert_eq!(resume.ok(), Some(ClientMessage::Resume { last_seq: 41 }));
        let reply = serde_json::to_string(&Reply::Pong).unwrap_or_default();
        assert_eq!(reply, r#"{"type":"pong"}"#);
    }
}
