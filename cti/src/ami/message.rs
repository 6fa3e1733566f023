//! One decoded AMI message (a response or an event) and the banner line.
//!
//! A [`Message`] keeps the bytes it was decoded from once, as a [`Bytes`] slice of the read
//! buffer, plus one small span per header line: looking a header up never allocates, and
//! values that are not UTF-8 stay usable as bytes or lossily as text.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;

use super::CodecError;
use super::decode::{Scan, scan_frame};
use super::{Frame, Limits};

/// Where one `Key: Value` line sits inside a message's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) key_start: u32,
    pub(crate) key_end: u32,
    pub(crate) value_start: u32,
    pub(crate) value_end: u32,
}

/// One AMI message: the `Key: Value` lines between two blank lines.
///
/// Keys repeat (`ChanVariable`), may contain parentheses (`ChanVariable(PJSIP/1002-…)`), and
/// are matched ASCII-case-insensitively. Values may be empty and may contain colons; the one
/// space after the colon is not part of the value.
#[derive(Clone)]
pub struct Message {
    bytes: Bytes,
    spans: Vec<Span>,
}

/// One header line of a [`Message`], borrowed from it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The key, as sent.
    pub key: &'a [u8],
    /// The value, as sent (without the space after the colon and without the line end).
    pub value: &'a [u8],
}

impl<'a> Header<'a> {
    /// The key as text, or `None` when it is not UTF-8.
    pub fn key_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.key).ok()
    }

    /// The value as text, or `None` when it is not UTF-8.
    pub fn value_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.value).ok()
    }

    /// The value as text, with invalid UTF-8 replaced by U+FFFD.
    pub fn value_lossy(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.value)
    }
}

impl fmt::Debug for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            String::from_utf8_lossy(self.key),
            String::from_utf8_lossy(self.value)
        )
    }
}

impl Message {
    pub(crate) fn from_parts(bytes: Bytes, spans: Vec<Span>) -> Self {
        Message { bytes, spans }
    }

    /// Parses exactly one message from `input` (the closing blank line may be left out).
    ///
    /// Meant for tests and tools that hold a single message; streams go through
    /// [`AmiCodec`](super::AmiCodec) or [`Frames`](super::Frames).
    pub fn parse(input: impl Into<Bytes>) -> Result<Message, CodecError> {
        let mut bytes: Bytes = input.into();
        let ends_blank = bytes.ends_with(b"\n\n") || bytes.ends_with(b"\n\r\n");
        if !ends_blank {
            let mut owned = bytes.to_vec();
            if !owned.ends_with(b"\n") {
                owned.extend_from_slice(b"\r\n");
            }
            owned.extend_from_slice(b"\r\n");
            bytes = Bytes::from(owned);
        }
        let limits = Limits::default();
        let mut scan = Scan::default();
        loop {
            match scan_frame(&bytes, &mut scan, &limits)? {
                Some(end) => match scan.take_frame(bytes.slice(..end)) {
                    Some(Frame::Message(m)) => return Ok(m),
                    Some(Frame::Banner(_)) | None => {
                        bytes = bytes.slice(end..);
                    }
                },
                None => return Err(CodecError::Incomplete { len: bytes.len() }),
            }
        }
    }

    /// The raw bytes of the message, including its closing blank line.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// How many header lines the message has.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the message has no header line (never true for a decoded message).
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    fn header_at(&self, span: &Span) -> Header<'_> {
        let b = &self.bytes[..];
        Header {
            key: &b[span.key_start as usize..span.key_end as usize],
            value: &b[span.value_start as usize..span.value_end as usize],
        }
    }

    /// All header lines, in order.
    pub fn headers(&self) -> impl ExactSizeIterator<Item = Header<'_>> + Clone + '_ {
        self.spans.iter().map(|s| self.header_at(s))
    }

    /// The value of the first header named `key` (ASCII case-insensitive), as bytes.
    pub fn get_bytes(&self, key: &str) -> Option<&[u8]> {
        let key = key.as_bytes();
        let b = &self.bytes[..];
        self.spans.iter().find_map(|s| {
            let k = &b[s.key_start as usize..s.key_end as usize];
            (k.len() == key.len() && k.eq_ignore_ascii_case(key))
                .then(|| &b[s.value_start as usize..s.value_end as usize])
        })
    }

    /// The value of the last header named `key` (ASCII case-insensitive), as bytes. The
    /// search runs from the end: cheaper than [`get_bytes`](Self::get_bytes) for the keys
    /// that close a message (`VarSet`'s `Variable`, `Newexten`'s `Application`).
    pub fn get_last_bytes(&self, key: &str) -> Option<&[u8]> {
        let key = key.as_bytes();
        let b = &self.bytes[..];
        self.spans.iter().rev().find_map(|s| {
            let k = &b[s.key_start as usize..s.key_end as usize];
            (k.len() == key.len() && k.eq_ignore_ascii_case(key))
                .then(|| &b[s.value_start as usize..s.value_end as usize])
        })
    }

    /// The value of the first header named `key` as text; `None` when there is no such
    /// header or its value is not UTF-8 (see [`get_lossy`](Self::get_lossy)).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.get_bytes(key)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The value of the first header named `key`, invalid UTF-8 replaced by U+FFFD.
    pub fn get_lossy(&self, key: &str) -> Option<Cow<'_, str>> {
        self.get_bytes(key).map(String::from_utf8_lossy)
    }

    /// The values of every header named `key`, in order, as bytes.
    pub fn get_all_bytes<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        let key = key.as_bytes();
        self.headers()
            .filter(move |h| h.key.len() == key.len() && h.key.eq_ignore_ascii_case(key))
            .map(|h| h.value)
    }

    /// The values of every header named `key` that are UTF-8, in order (e.g. all
    /// `ChanVariable` lines).
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.get_all_bytes(key)
            .filter_map(|v| std::str::from_utf8(v).ok())
    }

    /// The value of the channel variable `name` carried by this message: a `ChanVariable:
    /// NAME=value` line or, as in `OriginateResponse`, a `ChanVariable(<channel>): NAME=value`
    /// line. `None` when absent or not UTF-8; an empty value is `Some("")`.
    pub fn chan_variable(&self, name: &str) -> Option<&str> {
        const PREFIX: &[u8] = b"chanvariable";
        self.headers().find_map(|h| {
            let k = h.key;
            let is_chanvar = k.len() >= PREFIX.len()
                && k[..PREFIX.len()].eq_ignore_ascii_case(PREFIX)
                && (k.len() == PREFIX.len() || k[PREFIX.len()] == b'(');
            if !is_chanvar {
                return None;
            }
            let v = h.value;
            let rest = v.strip_prefix(name.as_bytes())?.strip_prefix(b"=")?;
            std::str::from_utf8(rest).ok()
        })
    }

    /// The `Event` header as bytes: the event's name, or `None` for a response. The cheap
    /// way to dispatch on the event name.
    pub fn event_bytes(&self) -> Option<&[u8]> {
        // `Event` is the first line of every event Asterisk sends.
        let first = self.header_at(self.spans.first()?);
        if first.key.eq_ignore_ascii_case(b"event") {
            return Some(first.value);
        }
        self.get_bytes("Event")
    }

    /// The `Event` header: the event's name, or `None` for a response.
    pub fn event(&self) -> Option<&str> {
        self.event_bytes().and_then(|e| std::str::from_utf8(e).ok())
    }

    /// Whether this is the event `name` (ASCII case-insensitive).
    pub fn is_event(&self, name: &str) -> bool {
        self.event().is_some_and(|e| e.eq_ignore_ascii_case(name))
    }

    /// The `Response` header (`Success`, `Error`, `Goodbye` …), or `None` for an event.
    pub fn response(&self) -> Option<&str> {
        self.get("Response")
    }

    /// The `ActionID` header, present on responses and on events answering an action.
    pub fn action_id(&self) -> Option<&str> {
        self.get("ActionID")
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.headers()).finish()
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.headers().eq(other.headers())
    }
}

impl Eq for Message {}

/// The line Asterisk sends first on every AMI connection: `Asterisk Call Manager/X.Y.Z`.
#[derive(Clone, PartialEq, Eq)]
pub struct Banner {
    line: Bytes,
}

impl Banner {
    /// The prefix every banner starts with.
    pub const PREFIX: &'static [u8] = b"Asterisk Call Manager/";

    pub(crate) fn new(line: Bytes) -> Self {
        Banner { line }
    }

    /// The whole banner line, without its line end.
    pub fn line(&self) -> &[u8] {
        &self.line
    }

    /// The AMI protocol version (`11.0.0` on Asterisk 22), when it is UTF-8.
    pub fn version(&self) -> Option<&str> {
        std::str::from_utf8(self.line.get(Self::PREFIX.len()..)?).ok()
    }
}

impl fmt::Debug for Banner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Banner({})", String::from_utf8_lossy(&self.line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(text: &str) -> Message {
        Message::parse(text.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn get_is_case_insensitive_and_takes_the_first() {
        let m = msg(
            "Event: Newchannel\r\nChanVariable: DID=021\r\nchanvariable: TAMAS_CLICK_ID=ctc\r\n\r\n",
        );
        assert_eq!(m.event(), Some("Newchannel"));
        assert!(m.is_event("newchannel"));
        assert_eq!(m.get("CHANVARIABLE"), Some("DID=021"));
        assert_eq!(
            m.get_all("ChanVariable").collect::<Vec<_>>(),
            vec!["DID=021", "TAMAS_CLICK_ID=ctc"]
        );
        assert_eq!(m.chan_variable("TAMAS_CLICK_ID"), Some("ctc"));
        assert_eq!(m.chan_variable("DID"), Some("021"));
        assert_eq!(m.chan_variable("DI"), None);
        assert_eq!(m.get("Missing"), None);
        assert_eq!(
            m.get_last_bytes("ChanVariable"),
            Some(&b"TAMAS_CLICK_ID=ctc"[..])
        );
        assert_eq!(m.get_last_bytes("Missing"), None);
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn parenthesised_keys_and_chan_variables() {
        let m = msg(
            "Event: OriginateResponse\r\nChanVariable(PJSIP/1002-00000009): TAMAS_CLICK_ID=ctc-7f3a\r\n",
        );
        assert_eq!(
            m.get("ChanVariable(PJSIP/1002-00000009)"),
            Some("TAMAS_CLICK_ID=ctc-7f3a")
        );
        assert_eq!(m.chan_variable("TAMAS_CLICK_ID"), Some("ctc-7f3a"));
    }

    #[test]
    fn values_keep_colons_and_may_be_empty() {
        let m = msg(
            "Response: Success\r\nAccountCode: \r\nEventTV: 2026-11-22T10:22:58.587+0000\r\nRaw:x\r\n",
        );
        assert_eq!(m.get("AccountCode"), Some(""));
        assert_eq!(m.get("EventTV"), Some("2026-11-22T10:22:58.587+0000"));
        assert_eq!(m.get("Raw"), Some("x"));
        assert_eq!(m.response(), Some("Success"));
        assert_eq!(m.event(), None);
    }

    #[test]
    fn non_utf8_values_stay_usable() {
        let m = Message::parse(b"Event: X\r\nCallerIDName: Ali \xff\xfe\r\n".to_vec()).unwrap();
        assert_eq!(m.get("CallerIDName"), None);
        assert_eq!(m.get_bytes("CallerIDName"), Some(&b"Ali \xff\xfe"[..]));
        assert_eq!(m.get_lossy("CallerIDName").unwrap(), "Ali \u{fffd}\u{fffd}");
        assert_eq!(m.get_all("CallerIDName").count(), 0);
        assert_eq!(m.get_all_bytes("CallerIDName").count(), 1);
    }

    #[test]
    fn parse_skips_a_banner() {
        let m = msg("Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nActionID: a-1\r\n\r\n");
        assert_eq!(m.action_id(), Some("a-1"));
    }
}
