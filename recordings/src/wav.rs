//! Reading and validating a recording: [`Wav::parse`] and [`inspect`].
//!
//! Only linear PCM WAV as `hound` reads it is accepted. Every input goes through
//! [`crate::repair`] first, so a header left unfinalised by a killed Asterisk is fixed
//! from the file length, and a header-only file (an abandoned call) is a valid, empty
//! recording rather than an error. Memory is bounded by [`WavLimits::max_bytes`]: the
//! input is checked before anything is decoded, and samples are streamed, never
//! collected.

use std::borrow::Cow;
use std::io::Cursor;

use hound::{WavReader, WavSpec};

use crate::RecordingError;
use crate::repair::repair;

/// Default for [`WavLimits::max_bytes`]: 512 MiB, about 9 hours of 8 kHz 16-bit mono.
pub const DEFAULT_MAX_BYTES: u64 = 512 * 1024 * 1024;

/// Bounds applied to every recording read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavLimits {
    /// Largest accepted input in bytes; larger inputs are [`RecordingError::TooLarge`].
    pub max_bytes: u64,
}

impl Default for WavLimits {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// What a recording holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavInfo {
    /// Samples per second, per channel (MixMonitor: 8000).
    pub sample_rate: u32,
    /// Channel count (MixMonitor: 1; a merged recording: 2).
    pub channels: u16,
    /// Bits per sample (MixMonitor: 16).
    pub bits_per_sample: u16,
    /// Sample frames, i.e. samples in each channel.
    pub samples_per_channel: u32,
    /// Duration in milliseconds, `samples_per_channel * 1000 / sample_rate` rounded to the
    /// nearest millisecond (halves round up). Exact for 8 kHz recordings whose sample
    /// count is a multiple of 8.
    pub duration_ms: u64,
    /// Whether the file's RIFF and `data` size fields described it exactly (false for a
    /// file that had to be repaired).
    pub header_consistent: bool,
    /// Whether the file holds no audio at all (header only).
    pub empty: bool,
}

/// A validated PCM WAV recording, repaired if its header needed it.
#[derive(Debug, Clone)]
pub struct Wav<'a> {
    bytes: Cow<'a, [u8]>,
    spec: WavSpec,
    info: WavInfo,
}

impl<'a> Wav<'a> {
    /// Validates `bytes` as a PCM WAV, repairing a header whose size fields are 0 or
    /// wrong. Errors: [`RecordingError::TooLarge`], [`RecordingError::NotWav`],
    /// [`RecordingError::Truncated`], [`RecordingError::InvalidHeader`],
    /// [`RecordingError::UnsupportedFormat`], [`RecordingError::TruncatedAudio`],
    /// [`RecordingError::AbsurdDataSize`],
    /// [`RecordingError::Wav`].
    pub fn parse(bytes: &'a [u8], limits: &WavLimits) -> Result<Self, RecordingError> {
        let bytes = repair(bytes, limits)?;
        let header_consistent = matches!(bytes, Cow::Borrowed(_));
        let reader = WavReader::new(Cursor::new(bytes.as_ref()))?;
        let spec = reader.spec();
        if spec.sample_rate == 0 {
            return Err(RecordingError::InvalidHeader {
                reason: "sample rate is 0",
            });
        }
        let samples_per_channel = reader.duration();
        let info = WavInfo {
            sample_rate: spec.sample_rate,
            channels: spec.channels,
            bits_per_sample: spec.bits_per_sample,
            samples_per_channel,
            duration_ms: duration_ms(samples_per_channel, spec.sample_rate),
            header_consistent,
            empty: samples_per_channel == 0,
        };
        Ok(Self { bytes, spec, info })
    }

    /// What the recording holds.
    pub fn info(&self) -> &WavInfo {
        &self.info
    }

    /// Whether the header was rewritten (the bytes differ from the input).
    pub fn was_repaired(&self) -> bool {
        !self.info.header_consistent
    }

    /// The bytes of a valid WAV: the input itself, or its repaired copy.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Gives the valid bytes away (see [`Wav::bytes`]).
    pub fn into_bytes(self) -> Cow<'a, [u8]> {
        self.bytes
    }

    /// `hound`'s description of the format.
    pub(crate) fn spec(&self) -> WavSpec {
        self.spec
    }

    /// A fresh reader over the audio, for streaming the samples as `i32`.
    pub(crate) fn reader(&self) -> Result<WavReader<Cursor<&[u8]>>, RecordingError> {
        Ok(WavReader::new(Cursor::new(self.bytes.as_ref()))?)
    }
}

/// Validates `bytes` (repairing in memory if needed) and reports what it holds.
pub fn inspect(bytes: &[u8], limits: &WavLimits) -> Result<WavInfo, RecordingError> {
    Wav::parse(bytes, limits).map(|wav| *wav.info())
}

/// `samples * 1000 / rate`, rounded half up; `rate` is never 0 here.
fn duration_ms(samples: u32, rate: u32) -> u64 {
    let rate = u64::from(rate);
    (u64::from(samples) * 1000 + rate / 2) / rate
}

#[cfg(test)]
mod tests {
    use super::duration_ms;

    #[test]
    fn duration_rounds_to_the_nearest_millisecond() {
        assert_eq!(duration_ms(66_240, 8000), 8280);
        assert_eq!(duration_ms(16_384, 8000), 2048);
        assert_eq!(duration_ms(3, 8000), 0); // 0.375 ms
        assert_eq!(duration_ms(4, 8000), 1); // 0.5 ms rounds up
        assert_eq!(duration_ms(1, 44_100), 0);
    }
}
