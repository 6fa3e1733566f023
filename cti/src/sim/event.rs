//! Messages the simulated PBX writes: an ordered list of `Key: Value` headers, encoded as AMI
//! bytes (CRLF lines, blank line at the end), and the event classes (`Privilege`) that
//! decide which clients receive an event (`Events: call,agent` …).

use bytes::{BufMut, Bytes, BytesMut};

/// One outgoing message (event or response), headers in order, keys may repeat.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SimEvent {
    pub(crate) headers: Vec<(String, String)>,
}

impl SimEvent {
    /// A message whose first header is `key: value` (`Event: X`, `Response: Success`).
    pub(crate) fn new(key: &str, value: impl Into<String>) -> Self {
        SimEvent {
            headers: vec![(key.to_owned(), value.into())],
        }
    }

    /// Appends a header.
    pub(crate) fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.headers.push((key.to_owned(), value.into()));
        self
    }

    /// Appends a header.
    pub(crate) fn push(&mut self, key: &str, value: impl Into<String>) {
        self.headers.push((key.to_owned(), value.into()));
    }

    /// Appends `ActionID: id` when the action had one (Asterisk omits it otherwise).
    pub(crate) fn with_action_id(self, id: Option<&str>) -> Self {
        match id {
            Some(id) => self.with("ActionID", id),
            None => self,
        }
    }

    /// The first value of `key` (ASCII case-insensitive).
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Replaces the value of the first `key`, if present.
    pub(crate) fn set(&mut self, key: &str, value: impl Into<String>) {
        if let Some(slot) = self
            .headers
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            slot.1 = value.into();
        }
    }

    /// The event's name, if it is one.
    pub(crate) fn name(&self) -> Option<&str> {
        self.get("Event")
    }

    /// Appends the wire form to `dst`.
    pub(crate) fn encode(&self, dst: &mut BytesMut) {
        let len: usize = self
            .headers
            .iter()
            .map(|(k, v)| k.len() + v.len() + 4)
            .sum();
        dst.reserve(len + 2);
        for (k, v) in &self.headers {
            dst.put_slice(k.as_bytes());
            dst.put_slice(b": ");
            dst.put_slice(v.as_bytes());
            dst.put_slice(b"\r\n");
        }
        dst.put_slice(b"\r\n");
    }

    /// The wire form.
    pub(crate) fn to_bytes(&self) -> Bytes {
        let mut buf = BytesMut::new();
        self.encode(&mut buf);
        buf.freeze()
    }
}

/// The AMI event classes, as bits (`manager.conf` `read=` / the `Events` mask).
const CLASSES: [&str; 19] = [
    "system",
    "call",
    "log",
    "verbose",
    "command",
    "agent",
    "user",
    "config",
    "dtmf",
    "reporting",
    "cdr",
    "dialplan",
    "originate",
    "agi",
    "cc",
    "aoc",
    "test",
    "security",
    "message",
];

/// A set of event classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ClassMask(u32);

impl ClassMask {
    /// Every class (`Events: on`).
    pub(crate) const ALL: ClassMask = ClassMask(u32::MAX);
    /// No class (`Events: off`).
    pub(crate) const NONE: ClassMask = ClassMask(0);

    /// The mask an `Events`/`EventMask` header asks for: `on`, `off`, or a list of classes.
    pub(crate) fn parse(value: &str) -> ClassMask {
        let value = value.trim();
        if value.eq_ignore_ascii_case("on") || value.eq_ignore_ascii_case("all") {
            return ClassMask::ALL;
        }
        if value.eq_ignore_ascii_case("off") || value.is_empty() {
            return ClassMask::NONE;
        }
        ClassMask::of_list(value)
    }

    /// The classes named in a `Privilege: call,all` value (`all` itself is not a class).
    pub(crate) fn of_list(list: &str) -> ClassMask {
        let mut bits = 0;
        for class in list.split(',') {
            if let Some(i) = CLASSES
                .iter()
                .position(|c| c.eq_ignore_ascii_case(class.trim()))
            {
                bits |= 1 << i;
            }
        }
        ClassMask(bits)
    }

    /// Whether an event of classes `event` may go to a client asking for `self`.
    pub(crate) fn admits(self, event: ClassMask) -> bool {
        self.0 & event.0 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_in_order_with_crlf() {
        let e = SimEvent::new("Response", "Success")
            .with_action_id(Some("a-1"))
            .with("Ping", "Pong")
            .with_action_id(None);
        assert_eq!(
            &e.to_bytes()[..],
            b"Response: Success\r\nActionID: a-1\r\nPing: Pong\r\n\r\n"
        );
        assert_eq!(e.get("ping"), Some("Pong"));
    }

    #[test]
    fn class_masks() {
        let call = ClassMask::of_list("call,all");
        assert!(ClassMask::ALL.admits(call));
        assert!(!ClassMask::NONE.admits(call));
        assert!(ClassMask::parse("agent,call").admits(call));
        assert!(!ClassMask::parse("agent").admits(call));
        assert!(!ClassMask::parse("off").admits(call));
    }
}
