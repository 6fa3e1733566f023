//! Outgoing AMI actions: the [`Action`] builder and its wire encoding.
//!
//! An action is `Action: <name>`, an optional `ActionID`, then its headers in the order they
//! were added, closed by a blank line. Keys and values are checked when encoding: a CR or LF
//! would end the line early and let a value inject headers or whole actions, so they are
//! refused with [`CodecError::InvalidAction`].

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};
use tokio_util::codec::Encoder;

use super::{AmiCodec, CodecError};

/// Header keys whose values are never shown by `Debug`.
const SECRET_KEYS: [&str; 2] = ["Secret", "Key"];

/// An AMI action to send, built header by header.
///
/// ```
/// use cti::ami::Action;
/// let bytes = Action::new("Originate")
///     .action_id("tamas-1")
///     .header("Channel", "PJSIP/1002")
///     .variable("__TAMAS_CLICK_ID", "ctc-7f3a")
///     .to_bytes()
///     .unwrap();
/// assert!(bytes.starts_with(b"Action: Originate\r\nActionID: tamas-1\r\n"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Action {
    name: String,
    action_id: Option<String>,
    headers: Vec<(String, String)>,
}

impl Action {
    /// A new action named `name` (`Login`, `Originate`, `CoreShowChannels` …).
    pub fn new(name: impl Into<String>) -> Self {
        Action {
            name: name.into(),
            action_id: None,
            headers: Vec::new(),
        }
    }

    /// Sets the `ActionID` that Asterisk copies onto the response and list events.
    pub fn action_id(mut self, id: impl Into<String>) -> Self {
        self.action_id = Some(id.into());
        self
    }

    /// Adds a `key: value` header after the ones already added (keys may repeat).
    pub fn header(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((key.into(), value.into()));
        self
    }

    /// Adds a `Variable: name=value` header (Originate and friends; may repeat).
    pub fn variable(self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        let line = format!("{}={}", name.as_ref(), value.as_ref());
        self.header("Variable", line)
    }

    /// The action's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `ActionID`, if one was set.
    pub fn id(&self) -> Option<&str> {
        self.action_id.as_deref()
    }

    /// The headers after `Action` and `ActionID`, in order.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The value of the first header named `key` (ASCII case-insensitive).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    fn invalid(&self, problem: String) -> CodecError {
        CodecError::InvalidAction {
            action: self.name.clone(),
            problem,
        }
    }

    fn check(&self) -> Result<(), CodecError> {
        if self.name.is_empty() {
            return Err(self.invalid("the action name is empty".into()));
        }
        check_value(&self.name)
            .map_err(|c| self.invalid(format!("the action name contains {c}")))?;
        if let Some(id) = &self.action_id {
            check_value(id).map_err(|c| self.invalid(format!("ActionID contains {c}")))?;
        }
        for (key, value) in &self.headers {
            if key.is_empty() {
                return Err(self.invalid("a header key is empty".into()));
            }
            check_value(key)
                .map_err(|c| self.invalid(format!("header key {key:?} contains {c}")))?;
            if key.contains(':') {
                return Err(self.invalid(format!("header key {key:?} contains a colon")));
            }
            check_value(value)
                .map_err(|c| self.invalid(format!("the value of header {key:?} contains {c}")))?;
            if key.eq_ignore_ascii_case("Variable") && !value.contains('=') {
                return Err(self.invalid(format!("Variable {value:?} has no '='")));
            }
        }
        Ok(())
    }

    /// Appends the wire form of the action to `dst`; nothing is written on error.
    pub fn encode(&self, dst: &mut BytesMut) -> Result<(), CodecError> {
        self.check()?;
        let mut len = "Action: \r\n\r\n".len() + self.name.len();
        if let Some(id) = &self.action_id {
            len += "ActionID: \r\n".len() + id.len();
        }
        len += self
            .headers
            .iter()
            .map(|(k, v)| k.len() + v.len() + 4)
            .sum::<usize>();
        dst.reserve(len);
        put_line(dst, "Action", &self.name);
        if let Some(id) = &self.action_id {
            put_line(dst, "ActionID", id);
        }
        for (key, value) in &self.headers {
            put_line(dst, key, value);
        }
        dst.put_slice(b"\r\n");
        Ok(())
    }

    /// The wire form of the action.
    pub fn to_bytes(&self) -> Result<Bytes, CodecError> {
        let mut buf = BytesMut::new();
        self.encode(&mut buf)?;
        Ok(buf.freeze())
    }
}

fn put_line(dst: &mut BytesMut, key: &str, value: &str) {
    dst.put_slice(key.as_bytes());
    dst.put_slice(b": ");
    dst.put_slice(value.as_bytes());
    dst.put_slice(b"\r\n");
}

/// Refuses line breaks (and NUL, which Asterisk treats as the end of a string).
fn check_value(s: &str) -> Result<(), &'static str> {
    match s.bytes().find(|b| matches!(b, b'\r' | b'\n' | 0)) {
        Some(b'\r') => Err("a carriage return"),
        Some(b'\n') => Err("a line feed"),
        Some(_) => Err("a NUL byte"),
        None => Ok(()),
    }
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        list.entry(&format_args!("Action: {}", self.name));
        if let Some(id) = &self.action_id {
            list.entry(&format_args!("ActionID: {id}"));
        }
        for (k, v) in &self.headers {
            if SECRET_KEYS.iter().any(|s| k.eq_ignore_ascii_case(s)) {
                list.entry(&format_args!("{k}: <redacted>"));
            } else {
                list.entry(&format_args!("{k}: {v}"));
            }
        }
        list.finish()
    }
}

impl Encoder<&Action> for AmiCodec {
    type Error = CodecError;

    fn encode(&mut self, action: &Action, dst: &mut BytesMut) -> Result<(), CodecError> {
        action.encode(dst)
    }
}

impl Encoder<Action> for AmiCodec {
    type Error = CodecError;

    fn encode(&mut self, action: Action, dst: &mut BytesMut) -> Result<(), CodecError> {
        action.encode(dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_in_order_with_repeated_variables() {
        let bytes = Action::new("Originate")
            .action_id("tamas-27271-002")
            .header("Channel", "PJSIP/1002")
            .header("Exten", "09127654321")
            .variable("__TAMAS_CLICK_ID", "ctc-7f3a")
            .variable("CALLERID(name)", "Click: to call")
            .to_bytes()
            .unwrap();
        assert_eq!(
            &bytes[..],
            &b"Action: Originate\r\nActionID: tamas-27271-002\r\nChannel: PJSIP/1002\r\nExten: 09127654321\r\nVariable: __TAMAS_CLICK_ID=ctc-7f3a\r\nVariable: CALLERID(name)=Click: to call\r\n\r\n"[..]
        );
    }

    #[test]
    fn refuses_line_breaks_anywhere() {
        let bad = [
            Action::new("Ping\r\nAction: Logoff"),
            Action::new("Ping").action_id("a\nb"),
            Action::new("Ping").header("Key\r", "v"),
            Action::new("Ping").header("K", "v\r\nAction: Logoff"),
            Action::new("Ping").variable("A", "b\nc"),
            Action::new("Ping").header("", "v"),
            Action::new("Ping").header("A: B", "v"),
            Action::new(""),
        ];
        for action in bad {
            let mut buf = BytesMut::new();
            let err = action.encode(&mut buf).unwrap_err();
            assert!(matches!(err, CodecError::InvalidAction { .. }), "{err}");
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn debug_hides_the_secret() {
        let login = Action::new("Login")
            .header("Username", "cti")
            .header("Secret", "cti-secret");
        let shown = format!("{login:?}");
        assert!(!shown.contains("cti-secret"), "{shown}");
        assert!(shown.contains("Username: cti"));
    }
}
