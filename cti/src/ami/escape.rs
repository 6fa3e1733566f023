//! C-style escaping of caller-ID and connected-line names.
//!
//! AMI: events built from a channel snapshot (`Newchannel`, `NewCallerid`, `DialBegin`,
//! `QueueCallerJoin`, `CoreShowChannel`, …) carry `CallerIDName` and `ConnectedLineName`
//! escaped by `ast_escape_c_alloc`: `\a \b \f \n \r \t \v \\ \' \" \?` stand for the character
//! itself. `QueueStatus`'s `QueueEntry` prints the name as it is. Unescaped, a name may hold
//! control characters again: whatever shows it must still escape it.

use std::borrow::Cow;

/// The characters `ast_escape_c` escapes, each with the letter that follows the backslash.
const SEQUENCES: [(char, char); 11] = [
    ('\x07', 'a'),
    ('\x08', 'b'),
    ('\x0c', 'f'),
    ('\n', 'n'),
    ('\r', 'r'),
    ('\t', 't'),
    ('\x0b', 'v'),
    ('\\', '\\'),
    ('\'', '\''),
    ('"', '"'),
    ('?', '?'),
];

/// A name as Asterisk's `ast_escape_c` writes it.
pub fn escape_c(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match SEQUENCES.iter().find(|(raw, _)| *raw == c) {
            Some((_, letter)) => {
                out.push('\\');
                out.push(*letter);
            }
            None => out.push(c),
        }
    }
    out
}

/// The name a C-escaped value stands for. A backslash before anything else (or at the
/// end) is kept as it is, so a value that was never escaped loses nothing.
pub fn unescape_c(value: &str) -> Cow<'_, str> {
    if !value.contains('\\') {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let next = chars.clone().next();
        match SEQUENCES.iter().find(|(_, letter)| Some(*letter) == next) {
            Some((raw, _)) => {
                out.push(*raw);
                chars.next();
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unescaped_as_asterisk_escapes_them() {
        assert_eq!(unescape_c(r"Tose\'e"), "Tose'e");
        assert_eq!(unescape_c(r#"\"Boss\" A\\B\?"#), r#""Boss" A\B?"#);
        assert_eq!(
            unescape_c(r"Line1\nLine2\tTab\r\a\b\f\v"),
            "Line1\nLine2\tTab\r\x07\x08\x0c\x0b"
        );
        assert_eq!(unescape_c("مریم صادقی"), "مریم صادقی");
        // Not an escape: kept as it is.
        assert_eq!(unescape_c(r"C:\x trailing\"), r"C:\x trailing\");
    }

    #[test]
    fn escaping_then_unescaping_gives_the_name_back() {
        for name in [
            "Tose'e",
            "\"Quoted\" O'Brien",
            "back\\slash\\",
            "new\nline\ttab\r?",
            "<script>alert(1)</script>",
            "\u{202E}lanigiro",
        ] {
            let escaped = escape_c(name);
            assert!(!escaped.contains(['\n', '\r']), "{escaped:?}");
            assert_eq!(unescape_c(&escaped), name);
        }
        assert_eq!(escape_c("Tose'e \\ \"x\"\n"), r#"Tose\'e \\ \"x\"\n"#);
    }
}
