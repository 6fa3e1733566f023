//! A byte-level walk over a RIFF/WAVE file's chunks, trusting no size field blindly.
//!
//! `hound` reads a header as written; a killed Asterisk leaves RIFF and `data` sizes of 0
//! with audio behind them, and a damaged file may claim gigabytes it does not hold. This
//! walk finds the `fmt ` and `data` chunks within the real file length, rejects non-PCM
//! encodings with their name, and decides how many audio bytes can be trusted: a `data`
//! size of 0 (with audio behind it) or `0xFFFFFFFF` means "unknown"; any other size larger
//! than the file is an error — truncated audio when the RIFF size agrees with it (a
//! finalised file lost its end), an absurd size otherwise. A
//! `data` size shorter than the file is trusted when the RIFF size matches the file or
//! well-formed chunks (a `LIST`, say) follow the audio; otherwise it is stale and the
//! audio runs to the end. It is the shared ground of [`crate::repair`] and [`crate::wav`].

use crate::{RecordingError, WavLimits};

/// What the walk learnt about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RiffLayout {
    /// Offset of the `data` chunk's size field (4 bytes after its id).
    pub data_size_field_offset: usize,
    /// Offset of the first audio byte.
    pub data_offset: usize,
    /// Audio bytes that can be trusted.
    pub data_len: usize,
    /// Whether `data_len` is the header's own `data` size (otherwise it comes from the
    /// file length).
    pub data_size_trusted: bool,
    /// Where the file's trustworthy content ends (after any valid trailing chunks).
    pub end: usize,
    /// Whether the RIFF size field equals the file length minus 8.
    pub riff_size_matches: bool,
}

impl RiffLayout {
    /// Whether the header's size fields describe the file exactly.
    pub fn is_consistent(&self) -> bool {
        self.data_size_trusted && self.riff_size_matches
    }
}

/// Walks `bytes` and returns its layout, or the reason it is not a usable PCM WAV.
pub(crate) fn layout(bytes: &[u8], limits: &WavLimits) -> Result<RiffLayout, RecordingError> {
    let size = bytes.len() as u64;
    if size > limits.max_bytes {
        return Err(RecordingError::TooLarge {
            size,
            max: limits.max_bytes,
        });
    }
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(RecordingError::NotWav);
    }
    let riff_size_field = read_u32(bytes, 4);
    let (data_header, fmt) = find_data_chunk(bytes)?;
    fmt.check_pcm()?;

    let data_offset = data_header + 8;
    let riff_size_matches = u64::from(riff_size_field) == size - 8;
    let (data_len, data_size_trusted) = audio_extent(
        bytes,
        data_offset,
        riff_size_field,
        riff_size_matches,
        fmt.block_align,
    )?;
    let end = if data_size_trusted {
        bytes.len()
    } else {
        data_offset + data_len
    };
    Ok(RiffLayout {
        data_size_field_offset: data_header + 4,
        data_offset,
        data_len,
        data_size_trusted,
        end,
        riff_size_matches,
    })
}

/// Walks the chunks after the RIFF header up to the `data` chunk: the offset of its header
/// and the `fmt ` chunk read before it.
fn find_data_chunk(bytes: &[u8]) -> Result<(usize, Fmt), RecordingError> {
    let mut pos = 12usize;
    let mut fmt: Option<Fmt> = None;
    let data_header = loop {
        let Some(header) = bytes.get(pos..pos + 8) else {
            let part = if fmt.is_some() {
                "data chunk header"
            } else {
                "fmt chunk"
            };
            return Err(RecordingError::Truncated { part });
        };
        let id = &header[0..4];
        let chunk_size = read_u32(header, 4) as usize;
        if id == b"data" {
            break pos;
        }
        let body_end = (pos + 8)
            .checked_add(chunk_size)
            .filter(|end| *end <= bytes.len())
            .ok_or(RecordingError::Truncated {
                part: if id == b"fmt " {
                    "fmt chunk"
                } else {
                    "chunk before the data chunk"
                },
            })?;
        if id == b"fmt " {
            fmt = Some(Fmt::parse(&bytes[pos + 8..body_end])?);
        }
        pos = body_end + (chunk_size & 1);
    };
    let fmt = fmt.ok_or(RecordingError::InvalidHeader {
        reason: "data chunk before the fmt chunk",
    })?;
    Ok((data_header, fmt))
}

/// How many audio bytes from `data_offset` can be trusted, and whether that is the
/// header's own `data` size; an error when the declared size runs past the file.
fn audio_extent(
    bytes: &[u8],
    data_offset: usize,
    riff_size_field: u32,
    riff_size_matches: bool,
    block_align: u16,
) -> Result<(usize, bool), RecordingError> {
    let data_size_field = read_u32(bytes, data_offset - 4);
    let available = bytes.len() - data_offset;
    let declared = data_size_field as usize;
    let unknown_size = data_size_field == u32::MAX || (data_size_field == 0 && available > 0);
    if unknown_size {
        Ok((usable_audio_len(available, block_align), false))
    } else if declared > available {
        let available = available as u64;
        let declared = u64::from(data_size_field);
        let finalised_size = (data_offset - 8) as u64 + declared + (declared & 1);
        Err(if u64::from(riff_size_field) == finalised_size {
            RecordingError::TruncatedAudio {
                declared: data_size_field,
                available,
            }
        } else {
            RecordingError::AbsurdDataSize {
                declared: data_size_field,
                available,
            }
        })
    } else if riff_size_matches
        || trailing_chunks_end_at_eof(bytes, data_offset + declared + (declared & 1))
    {
        Ok((declared, true))
    } else {
        // A RIFF size that disagrees with the file and bytes after the declared audio that
        // are not chunks: the size fields are stale and the audio runs to the end.
        Ok((usable_audio_len(available, block_align), false))
    }
}

/// Audio bytes usable out of `available`: whole sample frames, and an even count so the
/// repaired file needs no pad byte (an odd trailing byte is dropped).
fn usable_audio_len(available: usize, block_align: u16) -> usize {
    let align = usize::from(block_align.max(1));
    let mut len = available - available % align;
    if len % 2 == 1 {
        len -= align;
    }
    len
}

/// Whether the bytes from `pos` to the end are well-formed chunks (a `LIST` after the
/// audio, say) ending exactly at the end of the file.
fn trailing_chunks_end_at_eof(bytes: &[u8], mut pos: usize) -> bool {
    loop {
        if pos >= bytes.len() {
            // A missing pad byte after the last chunk is tolerated.
            return pos <= bytes.len() + 1;
        }
        let Some(header) = bytes.get(pos..pos + 8) else {
            return false;
        };
        if !header[0..4]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b' ')
        {
            return false;
        }
        let size = read_u32(header, 4) as usize;
        match (pos + 8).checked_add(size) {
            Some(end) if end <= bytes.len() => pos = end + (size & 1),
            _ => return false,
        }
    }
}

/// The fields of a `fmt ` chunk this walk needs.
#[derive(Debug, Clone, Copy)]
struct Fmt {
    /// The encoding (for WAVE_FORMAT_EXTENSIBLE: the sub-format's tag).
    format_tag: u16,
    /// Bytes per sample frame.
    block_align: u16,
}

impl Fmt {
    const PCM: u16 = 0x0001;
    const EXTENSIBLE: u16 = 0xFFFE;

    fn parse(body: &[u8]) -> Result<Self, RecordingError> {
        if body.len() < 16 {
            return Err(RecordingError::InvalidHeader {
                reason: "fmt chunk shorter than 16 bytes",
            });
        }
        let mut format_tag = read_u16(body, 0);
        if format_tag == Self::EXTENSIBLE && body.len() >= 40 {
            // The sub-format GUID starts with the plain format tag.
            format_tag = read_u16(body, 24);
        }
        let block_align = read_u16(body, 12);
        if block_align == 0 {
            return Err(RecordingError::InvalidHeader {
                reason: "block align is 0",
            });
        }
        Ok(Self {
            format_tag,
            block_align,
        })
    }

    fn check_pcm(&self) -> Result<(), RecordingError> {
        if self.format_tag == Self::PCM || self.format_tag == Self::EXTENSIBLE {
            // EXTENSIBLE here means a short chunk hound rejects with its own message.
            return Ok(());
        }
        Err(RecordingError::UnsupportedFormat {
            format_tag: self.format_tag,
            name: format_name(self.format_tag),
        })
    }
}

/// A human name for a WAVE format tag (mmreg.h).
fn format_name(tag: u16) -> &'static str {
    match tag {
        0x0002 => "Microsoft ADPCM",
        0x0003 => "IEEE float",
        0x0006 => "A-law",
        0x0007 => "µ-law",
        0x0011 => "IMA ADPCM",
        0x0031 => "GSM 6.10",
        0x0040 => "G.721 ADPCM",
        0x0050 => "MPEG",
        0x0055 => "MP3",
        0x0064 => "G.726 ADPCM",
        0x0065 => "G.722 ADPCM",
        _ => "non-PCM",
    }
}

fn read_u16(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}
