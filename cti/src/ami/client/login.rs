//! Opening an AMI session: the banner, then `Login` with the secret in the clear or answering
//! an MD5 challenge (`Key: md5(challenge + secret)` in lower-case hex).
//!
//! AMI: a refused login is `Response: Error` / `Message: Authentication failed`, sent after a
//! delay of about a second, and then the PBX closes the connection.

use md5::{Digest, Md5};
use secrecy::{ExposeSecret, SecretString};

use super::connection::Connection;
use super::error::ConnectError;
use super::settings::{AmiClientSettings, AuthMethod};
use crate::ami::{Action, Banner, Frame, Message};

/// ActionIDs of one session: `tamas-1`, `tamas-2`, … (a new session starts again at 1).
#[derive(Debug, Default)]
pub(crate) struct ActionIds {
    last: u64,
}

impl ActionIds {
    pub(crate) fn next_id(&mut self) -> String {
        self.last += 1;
        format!("tamas-{}", self.last)
    }
}

/// The `Key` of an MD5 login: the hex MD5 digest of the challenge followed by the secret.
pub(crate) fn challenge_key(challenge: &str, secret: &SecretString) -> String {
    let mut md5 = Md5::new();
    md5.update(challenge.as_bytes());
    md5.update(secret.expose_secret().as_bytes());
    hex::encode(md5.finalize())
}

/// Reads the banner and logs in. The caller bounds the whole exchange with a timeout.
pub(crate) async fn log_in(
    conn: &mut Connection,
    settings: &AmiClientSettings,
    ids: &mut ActionIds,
) -> Result<Banner, ConnectError> {
    let banner = match conn.read_frame().await? {
        Some(Frame::Banner(banner)) => banner,
        Some(Frame::Message(_)) => {
            return Err(ConnectError::Protocol(
                "the peer sent no `Asterisk Call Manager` banner".into(),
            ));
        }
        None => return Err(closed("before its banner")),
    };
    let login = Action::new("Login").header("Username", settings.username.as_str());
    let login = match settings.auth {
        AuthMethod::Plain => login.header("Secret", settings.secret.expose_secret()),
        AuthMethod::Md5 => {
            let id = ids.next_id();
            let challenge = Action::new("Challenge")
                .action_id(id.as_str())
                .header("AuthType", "MD5");
            conn.write_action(&challenge).await?;
            let response = read_response(conn, &id).await?;
            let Some(challenge) = response.get("Challenge").filter(|_| !is_error(&response)) else {
                return Err(ConnectError::Protocol(format!(
                    "MD5 challenge refused: {}",
                    message_of(&response)
                )));
            };
            login
                .header("AuthType", "MD5")
                .header("Key", challenge_key(challenge, &settings.secret))
        }
    };
    let id = ids.next_id();
    let login = login
        .header("Events", settings.events.to_string())
        .action_id(id.as_str());
    conn.write_action(&login).await?;
    let response = read_response(conn, &id).await?;
    if is_error(&response) {
        return Err(ConnectError::LoginFailed(message_of(&response)));
    }
    Ok(banner)
}

fn closed(when: &str) -> ConnectError {
    ConnectError::Io(std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        format!("the PBX closed the connection {when}"),
    ))
}

fn is_error(msg: &Message) -> bool {
    msg.response()
        .is_some_and(|r| !r.eq_ignore_ascii_case("Success"))
}

fn message_of(msg: &Message) -> String {
    msg.get_lossy("Message")
        .map(|m| m.into_owned())
        .unwrap_or_else(|| format!("Response: {}", msg.response().unwrap_or("?")))
}

/// Reads until the response to `id`; anything else before it (there should be nothing) is
/// dropped.
async fn read_response(conn: &mut Connection, id: &str) -> Result<Message, ConnectError> {
    loop {
        match conn.read_frame().await? {
            Some(Frame::Message(m)) if m.event().is_none() && m.action_id() == Some(id) => {
                return Ok(m);
            }
            Some(other) => tracing::debug!(?other, "AMI message before the login answer"),
            None => return Err(closed("during login")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_key_is_md5_hex_of_challenge_then_secret() {
        // md5("123456789" + "cti-secret"), computed independently with coreutils' md5sum.
        let key = challenge_key("123456789", &"cti-secret".into());
        assert_eq!(key, "9ae5818a547160fb25a0d45312bbfa54");
        assert_eq!(
            challenge_key("", &"".into()),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
    }

    #[test]
    fn action_ids_count_from_one() {
        let mut ids = ActionIds::default();
        assert_eq!(ids.next_id(), "tamas-1");
        assert_eq!(ids.next_id(), "tamas-2");
    }
}
