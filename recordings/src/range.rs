//! HTTP `Range` requests on a stored recording (RFC 9110 §14), so the browser's audio
//! player can seek.
//!
//! [`parse_range`] turns a `Range` header value and the file length into a
//! [`RangeRequest`] the web layer maps to a status: [`RangeRequest::Full`] → 200 with the
//! whole file, [`RangeRequest::Partial`] → 206 with `Content-Range`,
//! [`RangeRequest::Unsatisfiable`] → 416 with `Content-Range: bytes */<length>`. Only one
//! range is ever served: of several, the first satisfiable one (a 206 with one part is a
//! valid answer to a multi-range request). A header that is not a valid `bytes` range set
//! is ignored, as the RFC says, and the whole file is served. [`slice_reader`] reads the
//! selected bytes with plain std I/O.

use std::io::{self, Read, Seek, SeekFrom};

/// An inclusive byte range `first..=last` within a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// Offset of the first byte.
    pub first: u64,
    /// Offset of the last byte (inclusive).
    pub last: u64,
}

impl ByteRange {
    /// Number of bytes in the range.
    pub fn len(&self) -> u64 {
        self.last - self.first + 1
    }

    /// Always false: a range holds at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The `Content-Range` value of a 206 answer: `bytes <first>-<last>/<complete>`.
    pub fn content_range(&self, complete_length: u64) -> String {
        format!("bytes {}-{}/{complete_length}", self.first, self.last)
    }
}

/// What to answer to a request on a file of known length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// No (valid) `Range` header: 200 with the whole file.
    Full,
    /// 206 with this part of the file.
    Partial(ByteRange),
    /// 416: no requested range overlaps the file.
    Unsatisfiable,
}

/// The `Content-Range` value of a 416 answer: `bytes */<complete>`.
pub fn unsatisfied_content_range(complete_length: u64) -> String {
    format!("bytes */{complete_length}")
}

/// Interprets the `Range` header value `header` (absent: `None`) for a file of `length`
/// bytes.
pub fn parse_range(header: Option<&str>, length: u64) -> RangeRequest {
    let Some(specs) = header.and_then(range_specs) else {
        return RangeRequest::Full;
    };
    specs
        .into_iter()
        .find_map(|spec| spec.resolve(length))
        .map_or(RangeRequest::Unsatisfiable, RangeRequest::Partial)
}

/// One `range-spec` of the header.
#[derive(Debug, Clone, Copy)]
enum RangeSpec {
    /// `first-` or `first-last`.
    FromTo { first: u64, last: Option<u64> },
    /// `-suffix`: the last `suffix` bytes.
    Suffix(u64),
}

impl RangeSpec {
    /// The bytes this spec selects in a file of `length` bytes, if any (RFC 9110
    /// §14.1.1: satisfiable when `first < length`, or a non-zero suffix).
    fn resolve(self, length: u64) -> Option<ByteRange> {
        match self {
            Self::FromTo { first, last } if first < length => Some(ByteRange {
                first,
                last: last.map_or(length - 1, |last| last.min(length - 1)),
            }),
            Self::Suffix(suffix) if suffix > 0 && length > 0 => Some(ByteRange {
                first: length - suffix.min(length),
                last: length - 1,
            }),
            _ => None,
        }
    }
}

/// Splits `bytes=<spec>[,<spec>…]` into specs; `None` for another unit or a malformed
/// set (both are ignored).
fn range_specs(header: &str) -> Option<Vec<RangeSpec>> {
    let (unit, set) = header.trim().split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return None;
    }
    let mut specs = Vec::new();
    for part in set.split(',') {
        let part = part.trim();
        if part.is_empty() {
            // The grammar allows empty list elements (`bytes=0-1, ,5-`).
            continue;
        }
        specs.push(parse_spec(part)?);
    }
    (!specs.is_empty()).then_some(specs)
}

/// Parses one `int-range` or `suffix-range`.
fn parse_spec(part: &str) -> Option<RangeSpec> {
    let (first, last) = part.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        return Some(RangeSpec::Suffix(number(last)?));
    }
    let first = number(first)?;
    let last = if last.is_empty() {
        None
    } else {
        Some(number(last)?)
    };
    if last.is_some_and(|last| last < first) {
        return None;
    }
    Some(RangeSpec::FromTo { first, last })
}

/// A run of ASCII digits; values beyond `u64` saturate (they are beyond any file).
fn number(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse().unwrap_or(u64::MAX))
}

/// Seeks `file` to `range.first` and returns a reader of exactly the range's bytes (fewer
/// if the file shrank meanwhile).
pub fn slice_reader<R: Read + Seek>(mut file: R, range: ByteRange) -> io::Result<io::Take<R>> {
    file.seek(SeekFrom::Start(range.first))?;
    Ok(file.take(range.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partial(first: u64, last: u64) -> RangeRequest {
        RangeRequest::Partial(ByteRange { first, last })
    }

    #[test]
    fn first_middle_and_open_ranges() {
        assert_eq!(parse_range(Some("bytes=0-99"), 1000), partial(0, 99));
        assert_eq!(parse_range(Some("bytes=100-199"), 1000), partial(100, 199));
        assert_eq!(parse_range(Some("bytes=100-"), 1000), partial(100, 999));
        assert_eq!(parse_range(Some("bytes=999-"), 1000), partial(999, 999));
        assert_eq!(parse_range(Some("BYTES = 5 - 9 "), 1000), partial(5, 9));
    }

    #[test]
    fn suffix_ranges() {
        assert_eq!(parse_range(Some("bytes=-500"), 1000), partial(500, 999));
        assert_eq!(parse_range(Some("bytes=-5000"), 1000), partial(0, 999));
        assert_eq!(
            parse_range(Some("bytes=-0"), 1000),
            RangeRequest::Unsatisfiable
        );
    }

    #[test]
    fn a_last_byte_past_the_end_is_clamped() {
        assert_eq!(parse_range(Some("bytes=900-5000"), 1000), partial(900, 999));
        assert_eq!(
            parse_range(Some("bytes=0-99999999999999999999999"), 1000),
            partial(0, 999)
        );
    }

    #[test]
    fn beyond_the_end_is_unsatisfiable() {
        assert_eq!(
            parse_range(Some("bytes=1000-"), 1000),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(
            parse_range(Some("bytes=2000-2100"), 1000),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(
            parse_range(Some("bytes=0-"), 0),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(
            parse_range(Some("bytes=-10"), 0),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(
            parse_range(Some("bytes=99999999999999999999999-"), 1000),
            RangeRequest::Unsatisfiable
        );
    }

    #[test]
    fn several_ranges_serve_the_first_satisfiable() {
        assert_eq!(parse_range(Some("bytes=0-9,20-29"), 1000), partial(0, 9));
        assert_eq!(
            parse_range(Some("bytes=5000-,20-29"), 1000),
            partial(20, 29)
        );
        assert_eq!(parse_range(Some("bytes=0-1, ,5-"), 1000), partial(0, 1));
    }

    #[test]
    fn malformed_headers_are_ignored() {
        for header in [
            "",
            "bytes",
            "bytes=",
            "bytes=abc",
            "bytes=5",
            "bytes=9-5",
            "bytes=--5",
            "bytes=0-9,x",
            "bytes=1.5-2",
            "items=0-9",
            "bytes=+1-2",
        ] {
            assert_eq!(
                parse_range(Some(header), 1000),
                RangeRequest::Full,
                "{header:?}"
            );
        }
        assert_eq!(parse_range(None, 1000), RangeRequest::Full);
    }

    #[test]
    fn content_range_values() {
        assert_eq!(
            ByteRange { first: 0, last: 99 }.content_range(1000),
            "bytes 0-99/1000"
        );
        assert_eq!(ByteRange { first: 0, last: 99 }.len(), 100);
        assert_eq!(unsatisfied_content_range(1000), "bytes */1000");
    }

    #[test]
    fn slice_reader_reads_exactly_the_range() {
        let data: Vec<u8> = (0..=255).collect();
        let mut out = Vec::new();
        slice_reader(
            io::Cursor::new(&data),
            ByteRange {
                first: 10,
                last: 19,
            },
        )
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
        assert_eq!(out, (10..20).collect::<Vec<u8>>());
    }
}
