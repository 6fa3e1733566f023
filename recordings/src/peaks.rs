//! Peaks for a waveform picture: the recording cut into N equal buckets, each reduced to
//! its loudest sample.
//!
//! Values are `u8`, 0 = silence, 255 = full scale for the file's sample size, so a player
//! can draw them without knowing the format. Samples are streamed from the WAV, never
//! collected, and all channels count (a stereo file's peak is the louder side).

use crate::{RecordingError, Wav};

/// Most buckets [`peaks`] computes; larger requests are clamped to it.
pub const MAX_PEAK_BUCKETS: usize = 65_536;

/// Returns `buckets` peak values (clamped to [`MAX_PEAK_BUCKETS`]) for `wav`.
///
/// Bucket `i` covers sample frames `[i·n/buckets, (i+1)·n/buckets)` of the `n` frames;
/// its value is `ceil(max |sample| · 255 / full scale)`, so any sound at all shows as at
/// least 1. Buckets without frames (an empty file, or fewer frames than buckets) are 0.
pub fn peaks(wav: &Wav<'_>, buckets: usize) -> Result<Vec<u8>, RecordingError> {
    let buckets = buckets.min(MAX_PEAK_BUCKETS);
    let mut max_abs = vec![0u32; buckets];
    let info = wav.info();
    let frames = u64::from(info.samples_per_channel);
    if buckets == 0 || frames == 0 {
        return Ok(vec![0; buckets]);
    }
    let channels = u64::from(info.channels);
    let mut reader = wav.reader()?;
    for (index, sample) in (0u64..).zip(reader.samples::<i32>()) {
        let frame = index / channels;
        // frame < frames ≤ u32::MAX and buckets ≤ 2^16: the product fits in u64.
        let bucket = (frame * buckets as u64 / frames) as usize;
        let level = sample?.unsigned_abs();
        if let Some(slot) = max_abs.get_mut(bucket) {
            *slot = (*slot).max(level);
        }
    }
    let full_scale = 1u64 << (wav.spec().bits_per_sample.clamp(1, 32) - 1);
    Ok(max_abs
        .into_iter()
        .map(|level| {
            let scaled = (u64::from(level) * 255).div_ceil(full_scale);
            scaled.min(255) as u8
        })
        .collect())
}
