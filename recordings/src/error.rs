//! The crate's one error type, [`RecordingError`].
//!
//! Variants fall in two families: defects of the file itself (not a WAV, truncated,
//! non-PCM, absurd sizes, legs that cannot be merged: [`RecordingError::is_content_defect`])
//! — the ingest path quarantines those and the web layer answers 4xx — and operational
//! failures or lookups (I/O on the store, unknown hash, bad name), reported to the caller
//! so that nothing is lost.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while reading, repairing, merging or storing a recording.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// The input is bigger than the configured maximum ([`crate::WavLimits::max_bytes`]).
    #[error("recording is {size} bytes, more than the allowed {max} bytes")]
    TooLarge {
        /// Size of the input in bytes.
        size: u64,
        /// The maximum.
        max: u64,
    },
    /// The bytes do not start with a `RIFF` … `WAVE` header.
    #[error("not a WAV file (no RIFF/WAVE header)")]
    NotWav,
    /// The file ends inside its header, before the audio starts.
    #[error("truncated WAV file: it ends inside the {part}")]
    Truncated {
        /// Which part of the header is cut off.
        part: &'static str,
    },
    /// A finalised header (its RIFF size agrees) announces more audio than the file holds:
    /// the end of the file was lost.
    #[error(
        "truncated WAV file: the header announces {declared} bytes of audio, only {available} follow"
    )]
    TruncatedAudio {
        /// The `data` chunk's size field.
        declared: u32,
        /// Bytes present after the `data` chunk header.
        available: u64,
    },
    /// The `data` size field is larger than the file and agrees with nothing else.
    #[error(
        "absurd data size: the header declares {declared} bytes of audio, only {available} follow"
    )]
    AbsurdDataSize {
        /// The `data` chunk's size field.
        declared: u32,
        /// Bytes present after the `data` chunk header.
        available: u64,
    },
    /// The header is structurally wrong (chunk order, impossible fields).
    #[error("invalid WAV header: {reason}")]
    InvalidHeader {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A WAV file whose audio is not linear integer PCM (µ-law, A-law, ADPCM, GSM, MP3,
    /// float …).
    #[error(
        "unsupported WAV encoding {name} (format tag {format_tag:#06x}): only linear PCM is accepted"
    )]
    UnsupportedFormat {
        /// The `fmt ` chunk's format tag (for WAVE_FORMAT_EXTENSIBLE: the sub-format's).
        format_tag: u16,
        /// A human name for the format tag.
        name: &'static str,
    },
    /// `hound` refused the (possibly repaired) file.
    #[error("unreadable WAV: {0}")]
    Wav(#[from] hound::Error),
    /// The two legs of a call do not have the same sample rate and sample size.
    #[error("legs cannot be merged: customer leg is {customer}, agent leg is {agent}")]
    LegFormatMismatch {
        /// Format of the customer's leg, e.g. `8000 Hz 16-bit`.
        customer: String,
        /// Format of the agent's leg.
        agent: String,
    },
    /// A leg given to the stereo merge has more than one channel.
    #[error("legs cannot be merged: a leg has {channels} channels, expected mono")]
    LegNotMono {
        /// Channel count of the offending leg.
        channels: u16,
    },
    /// A file name that is not a MixMonitor recording name, or a hostile one.
    #[error("invalid recording file name {name:?}: {reason}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A string that is not a lowercase hex SHA-256.
    #[error("invalid content hash {0:?}: expected 64 lowercase hex digits")]
    InvalidHash(String),
    /// No stored file has this hash.
    #[error("no stored recording with hash {0}")]
    NotFound(String),
    /// A filesystem operation failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done (`"writing"`, `"renaming"`, …).
        op: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl RecordingError {
    /// Whether the error is a defect of the file's content: the file belongs in
    /// quarantine and the sender should be told (4xx), as opposed to an operational
    /// failure (retry later, 5xx) or a bad argument.
    pub fn is_content_defect(&self) -> bool {
        matches!(
            self,
            Self::TooLarge { .. }
                | Self::NotWav
                | Self::Truncated { .. }
                | Self::TruncatedAudio { .. }
                | Self::AbsurdDataSize { .. }
                | Self::InvalidHeader { .. }
                | Self::UnsupportedFormat { .. }
                | Self::Wav(_)
                | Self::LegFormatMismatch { .. }
                | Self::LegNotMono { .. }
        )
    }

    /// Builds an [`RecordingError::Io`] for `op` on `path`.
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            op,
            path: path.into(),
            source,
        }
    }
}
