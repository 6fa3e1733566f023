//! Repair of WAV headers whose size fields are 0 or wrong while the audio is intact.
//!
//! Asterisk's MixMonitor writes the RIFF and `data` sizes only when it closes the file;
//! a killed Asterisk leaves both at 0 with the audio behind them (fixture
//! `1795343347.0*.wav`). The repair recomputes both from the file length: the audio is
//! every whole sample frame after the `data` header (an odd trailing byte is dropped),
//! and a `data` size larger than the file is never trusted — that is an error, not a
//! repair. A header that already describes the file is returned untouched.

use std::borrow::Cow;

use crate::riff::{self, RiffLayout};
use crate::{RecordingError, WavLimits};

/// Returns `bytes` as a WAV whose header describes it: borrowed when the header was
/// already consistent, owned (rewritten sizes, cut to the audio) when it was repaired.
///
/// Errors are those of [`crate::Wav::parse`] that concern the container: not a WAV,
/// truncated header, non-PCM, absurd `data` size, too large.
pub fn repair<'a>(bytes: &'a [u8], limits: &WavLimits) -> Result<Cow<'a, [u8]>, RecordingError> {
    let layout = riff::layout(bytes, limits)?;
    if layout.is_consistent() {
        return Ok(Cow::Borrowed(bytes));
    }
    let fixed = rewrite(bytes, &layout)?;
    tracing::debug!(
        original_len = bytes.len(),
        repaired_len = fixed.len(),
        data_len = layout.data_len,
        "repaired WAV header"
    );
    Ok(Cow::Owned(fixed))
}

/// Copies the trusted part of `bytes` and writes correct RIFF and `data` sizes into it.
fn rewrite(bytes: &[u8], layout: &RiffLayout) -> Result<Vec<u8>, RecordingError> {
    let too_large = || RecordingError::TooLarge {
        size: bytes.len() as u64,
        max: u64::from(u32::MAX),
    };
    let mut out = bytes[..layout.end].to_vec();
    let riff_size = u32::try_from(out.len() - 8).map_err(|_| too_large())?;
    out[4..8].copy_from_slice(&riff_size.to_le_bytes());
    let data_size = u32::try_from(layout.data_len).map_err(|_| too_large())?;
    let field = layout.data_size_field_offset;
    out[field..field + 4].copy_from_slice(&data_size.to_le_bytes());
    Ok(out)
}
