//! The two MixMonitor legs of a call as one stereo WAV: customer LEFT, agent RIGHT.
//!
//! MixMonitor's `r()`/`t()` options write the audio received from / sent to the recorded
//! channel. Which one is the customer depends on whose channel was recorded (see the
//! fixtures' README): inbound calls record the caller's channel, so `-rx` is the
//! customer; outbound calls record the agent's channel, so `-rx` is the agent and `-tx`
//! the customer. The caller of [`merge_legs`] says which by a [`CustomerLeg`]. Legs must
//! be mono with the same sample rate and sample size; the shorter one is padded with
//! silence.

use std::io::Cursor;

use hound::{SampleFormat, WavSpec, WavWriter};

use crate::{RecordingError, Wav};

/// Which MixMonitor leg carries the customer's voice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerLeg {
    /// `-rx` is the customer: MixMonitor ran on the customer's channel (inbound calls).
    Rx,
    /// `-tx` is the customer: MixMonitor ran on the agent's channel (outbound and
    /// click-to-call calls).
    Tx,
}

impl CustomerLeg {
    /// The customer leg for a recording made on the customer's channel (`true`, inbound)
    /// or on the agent's channel (`false`, outbound).
    pub fn for_recorded_channel(recorded_channel_is_customer: bool) -> Self {
        if recorded_channel_is_customer {
            Self::Rx
        } else {
            Self::Tx
        }
    }
}

/// Merges the `-rx` and `-tx` legs into a stereo WAV (customer left, agent right) and
/// returns its bytes.
pub fn merge_legs(
    rx: &Wav<'_>,
    tx: &Wav<'_>,
    customer: CustomerLeg,
) -> Result<Vec<u8>, RecordingError> {
    match customer {
        CustomerLeg::Rx => merge_stereo(rx, tx),
        CustomerLeg::Tx => merge_stereo(tx, rx),
    }
}

/// Writes `left` and `right` (mono, same rate and sample size) side by side; the shorter
/// is padded with silence to the longer's length.
pub fn merge_stereo(left: &Wav<'_>, right: &Wav<'_>) -> Result<Vec<u8>, RecordingError> {
    for leg in [left, right] {
        if leg.info().channels != 1 {
            return Err(RecordingError::LegNotMono {
                channels: leg.info().channels,
            });
        }
    }
    let (l, r) = (left.spec(), right.spec());
    if l.sample_rate != r.sample_rate || l.bits_per_sample != r.bits_per_sample {
        return Err(RecordingError::LegFormatMismatch {
            customer: describe(&l),
            agent: describe(&r),
        });
    }
    let spec = WavSpec {
        channels: 2,
        sample_rate: l.sample_rate,
        bits_per_sample: l.bits_per_sample,
        sample_format: SampleFormat::Int,
    };
    let frames = left
        .info()
        .samples_per_channel
        .max(right.info().samples_per_channel) as usize;
    let capacity = 44 + frames * 2 * usize::from(spec.bits_per_sample.div_ceil(8));
    let mut out = Cursor::new(Vec::with_capacity(capacity));
    let mut writer = WavWriter::new(&mut out, spec)?;
    let mut left_reader = left.reader()?;
    let mut right_reader = right.reader()?;
    let mut left_samples = left_reader.samples::<i32>();
    let mut right_samples = right_reader.samples::<i32>();
    for _ in 0..frames {
        let l = left_samples.next().transpose()?.unwrap_or(0);
        let r = right_samples.next().transpose()?.unwrap_or(0);
        writer.write_sample(l)?;
        writer.write_sample(r)?;
    }
    writer.finalize()?;
    Ok(out.into_inner())
}

/// `8000 Hz 16-bit`, for error messages.
fn describe(spec: &WavSpec) -> String {
    format!("{} Hz {}-bit", spec.sample_rate, spec.bits_per_sample)
}
