//! Bytes to frames: the AMI framing rules, shared by the streaming [`AmiCodec`] (a
//! `tokio_util` decoder for `Framed` transports) and the [`Frames`] iterator over a buffer
//! already in memory (captures, tests).
//!
//! Framing: an optional banner line (`Asterisk Call Manager/X.Y.Z`), then messages made of
//! `Key: Value` lines, each message closed by an empty line. Lines end in CRLF or a bare LF.
//! Blank lines between messages are skipped. Line and message sizes are bounded
//! ([`Limits`]); the scan resumes where it stopped when more bytes arrive, so a message
//! split over many reads is scanned once.

use bytes::{Bytes, BytesMut};
use tokio_util::codec::Decoder;

use super::error::excerpt;
use super::message::Span;
use super::{Banner, CodecError, Frame, Message};

/// Size bounds that keep a broken or hostile peer from exhausting memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest accepted line, line end excluded (default 64 KiB).
    pub max_line: usize,
    /// Longest accepted message, closing blank line included (default 1 MiB; values above
    /// 4 GiB are treated as 4 GiB).
    pub max_message: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 64 * 1024,
            max_message: 1024 * 1024,
        }
    }
}

/// What the bytes scanned so far will make once the frame is complete.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Pending {
    /// Nothing complete yet.
    #[default]
    Nothing,
    /// Blank lines before a message: consumed, no frame.
    Skip,
    /// The banner; its line ends (line end excluded) at this offset.
    Banner(usize),
    /// A message.
    Message,
}

/// Scanning state of the frame being read: how far complete lines reach and their spans.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pos: usize,
    spans: Vec<Span>,
    pending: Pending,
}

impl Scan {
    /// Builds the frame scanned by the last successful [`scan_frame`] from its bytes, and
    /// gets ready for the next one. `None` when the bytes were only blank lines.
    pub(crate) fn take_frame(&mut self, bytes: Bytes) -> Option<Frame> {
        let pending = std::mem::take(&mut self.pending);
        self.pos = 0;
        match pending {
            Pending::Nothing | Pending::Skip => None,
            Pending::Banner(line_end) => Some(Frame::Banner(Banner::new(bytes.slice(..line_end)))),
            Pending::Message => {
                // One exact-size allocation per message; the scratch vector is reused.
                let spans = self.spans.to_vec();
                self.spans.clear();
                Some(Frame::Message(Message::from_parts(bytes, spans)))
            }
        }
    }

    fn reset(&mut self) {
        self.pos = 0;
        self.spans.clear();
        self.pending = Pending::Nothing;
    }
}

/// Most AMI keys and values are a few dozen bytes: for those, testing eight bytes at a time
/// in a `u64` beats setting up a SIMD search; longer stretches go to `memchr`.
const SHORT_SCAN: usize = 64;

const ONES: u64 = u64::from_le_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);

/// High bit set in each byte of `word` equal to `byte` (only the lowest such bit is exact,
/// which is the one used).
#[inline]
fn bytes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// The first byte of `hay` for which `hits` (a per-word byte mask) is set, `slow` past
/// the first [`SHORT_SCAN`] bytes.
#[inline]
fn find_by(
    hay: &[u8],
    hits: impl Fn(u64) -> u64,
    is_hit: impl Fn(u8) -> bool,
    slow: impl Fn(&[u8]) -> Option<usize>,
) -> Option<usize> {
    let short = &hay[..hay.len().min(SHORT_SCAN)];
    let mut chunks = short.chunks_exact(8);
    let mut offset = 0;
    for c in &mut chunks {
        let word = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        let found = hits(word);
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    if let Some(i) = chunks.remainder().iter().position(|&x| is_hit(x)) {
        return Some(offset + i);
    }
    if hay.len() > SHORT_SCAN {
        slow(&hay[SHORT_SCAN..]).map(|i| i + SHORT_SCAN)
    } else {
        None
    }
}

/// The first `\n` or `:` in `hay`.
#[inline]
fn find_colon_or_newline(hay: &[u8]) -> Option<usize> {
    find_by(
        hay,
        |w| bytes_equal(w, b':') | bytes_equal(w, b'\n'),
        |b| b == b':' || b == b'\n',
        |h| memchr::memchr2(b':', b'\n', h),
    )
}

/// The first `\n` in `hay`.
#[inline]
fn find_newline(hay: &[u8]) -> Option<usize> {
    find_by(
        hay,
        |w| bytes_equal(w, b'\n'),
        |b| b == b'\n',
        |h| memchr::memchr(b'\n', h),
    )
}

/// Scans `buf`, which starts at the first byte of a frame, for the end of that frame.
///
/// Returns `Ok(Some(end))` when `buf[..end]` is a complete frame (or blank lines to skip;
/// then call [`Scan::take_frame`]), `Ok(None)` when more bytes are needed.
pub(crate) fn scan_frame(
    buf: &[u8],
    scan: &mut Scan,
    limits: &Limits,
) -> Result<Option<usize>, CodecError> {
    let max_message = limits.max_message.min(u32::MAX as usize);
    loop {
        let start = scan.pos;
        let (colon, nl) = find_line_end(buf, start);
        let Some(nl) = nl else {
            return check_partial_line(buf, start, limits, max_message);
        };
        let next = start + nl + 1;
        let mut end = start + nl;
        if end > start && buf[end - 1] == b'\r' {
            end -= 1;
        }
        let line = &buf[start..end];
        check_line(line.len(), next, limits, max_message)?;
        scan.pos = next;
        if line.is_empty() {
            scan.pending = if scan.spans.is_empty() {
                Pending::Skip
            } else {
                Pending::Message
            };
            return Ok(Some(next));
        }
        match colon.filter(|&c| c < end) {
            Some(key_end) => scan.spans.push(field_span(buf, start, key_end, end)),
            None if scan.spans.is_empty() && line.starts_with(Banner::PREFIX) => {
                scan.pending = Pending::Banner(end);
                return Ok(Some(next));
            }
            None => {
                return Err(CodecError::MissingColon {
                    line_no: scan.spans.len() + 1,
                    excerpt: excerpt(line),
                });
            }
        }
    }
}

/// The first colon of the line starting at `start` (absolute offset), if it comes before
/// the line end, and the line end's `\n` (offset from `start`): one pass per line, up to
/// the colon, then on to the line end.
#[inline]
fn find_line_end(buf: &[u8], start: usize) -> (Option<usize>, Option<usize>) {
    match find_colon_or_newline(&buf[start..]) {
        Some(i) if buf[start + i] == b':' => {
            let after = start + i + 1;
            (
                Some(start + i),
                find_newline(&buf[after..]).map(|n| after + n - start),
            )
        }
        found => (None, found),
    }
}

/// The line starting at `start` has no end yet: an error when it or the message is already
/// too long, else `Ok(None)` (more bytes needed).
#[inline]
fn check_partial_line(
    buf: &[u8],
    start: usize,
    limits: &Limits,
    max_message: usize,
) -> Result<Option<usize>, CodecError> {
    let mut len = buf.len() - start;
    // A line end may have arrived in part: its `\r` is not part of the line, so a
    // line of exactly `max_line` bytes is accepted however the bytes are chunked.
    if buf.last() == Some(&b'\r') {
        len -= 1;
    }
    if len > limits.max_line {
        return Err(CodecError::LineTooLong {
            limit: limits.max_line,
            len,
        });
    }
    if buf.len() > max_message {
        return Err(CodecError::MessageTooLong {
            limit: max_message,
            len: buf.len(),
        });
    }
    Ok(None)
}

/// Checks a complete line of `line_len` bytes whose message reaches `next` bytes.
#[inline]
fn check_line(
    line_len: usize,
    next: usize,
    limits: &Limits,
    max_message: usize,
) -> Result<(), CodecError> {
    if line_len > limits.max_line {
        return Err(CodecError::LineTooLong {
            limit: limits.max_line,
            len: line_len,
        });
    }
    if next > max_message {
        return Err(CodecError::MessageTooLong {
            limit: max_message,
            len: next,
        });
    }
    Ok(())
}

/// The span of the `Key: Value` line `buf[start..end]` whose colon is at `key_end` (one
/// space after the colon is not part of the value).
#[inline]
fn field_span(buf: &[u8], start: usize, key_end: usize, end: usize) -> Span {
    let mut value_start = key_end + 1;
    if buf.get(value_start) == Some(&b' ') && value_start < end {
        value_start += 1;
    }
    // Offsets fit in u32: the message is at most `max_message` <= u32::MAX bytes.
    Span {
        key_start: start as u32,
        key_end: key_end as u32,
        value_start: value_start as u32,
        value_end: end as u32,
    }
}

/// The AMI codec for `tokio_util::codec::Framed`: decodes [`Frame`]s and encodes
/// [`Action`](super::Action)s.
///
/// After a decoding error the buffered bytes are dropped and the state is reset; the
/// connection should be closed (a `Framed` stream ends after the error anyway).
#[derive(Debug, Default)]
pub struct AmiCodec {
    limits: Limits,
    scan: Scan,
}

impl AmiCodec {
    /// A codec with the default [`Limits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A codec with the given limits.
    pub fn with_limits(limits: Limits) -> Self {
        AmiCodec {
            limits,
            scan: Scan::default(),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }
}

impl Decoder for AmiCodec {
    type Item = Frame;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        loop {
            match scan_frame(src, &mut self.scan, &self.limits) {
                Ok(Some(end)) => {
                    let bytes = src.split_to(end).freeze();
                    if let Some(frame) = self.scan.take_frame(bytes) {
                        return Ok(Some(frame));
                    }
                }
                Ok(None) => return Ok(None),
                Err(e) => {
                    self.scan.reset();
                    src.clear();
                    return Err(e);
                }
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        if let Some(frame) = self.decode(src)? {
            return Ok(Some(frame));
        }
        if src.is_empty() {
            return Ok(None);
        }
        let len = src.len();
        src.clear();
        self.scan.reset();
        Err(CodecError::Incomplete { len })
    }
}

/// The frames of a buffer already in memory (a capture file, a test), without copying:
/// every message borrows from `input`.
///
/// Yields `Err` once and then ends when the bytes break the framing, including
/// [`CodecError::Incomplete`] when the input stops inside a message.
#[derive(Debug)]
pub struct Frames {
    input: Bytes,
    offset: usize,
    scan: Scan,
    limits: Limits,
    done: bool,
}

impl Frames {
    /// Iterates over the frames of `input` with the default [`Limits`].
    pub fn new(input: impl Into<Bytes>) -> Self {
        Self::with_limits(input, Limits::default())
    }

    /// Iterates over the frames of `input` with the given limits.
    pub fn with_limits(input: impl Into<Bytes>, limits: Limits) -> Self {
        Frames {
            input: input.into(),
            offset: 0,
            scan: Scan::default(),
            limits,
            done: false,
        }
    }

    /// How many bytes of the input the frames yielded so far span.
    pub fn consumed(&self) -> usize {
        self.offset
    }
}

impl Iterator for Frames {
    type Item = Result<Frame, CodecError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let rest = &self.input[self.offset..];
            match scan_frame(rest, &mut self.scan, &self.limits) {
                Ok(Some(end)) => {
                    let bytes = self.input.slice(self.offset..self.offset + end);
                    self.offset += end;
                    if let Some(frame) = self.scan.take_frame(bytes) {
                        return Some(Ok(frame));
                    }
                }
                Ok(None) => {
                    self.done = true;
                    if !rest.is_empty() {
                        return Some(Err(CodecError::Incomplete { len: rest.len() }));
                    }
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

impl std::iter::FusedIterator for Frames {}
