//! What a fixture recording must become, computed independently of Tamas with `hound`.

use std::io::Cursor;

use crate::app::fixture;

/// Samples of a WAV (interleaved) and its spec.
pub fn samples(bytes: &[u8]) -> (hound::WavSpec, Vec<i16>) {
    let mut reader = hound::WavReader::new(Cursor::new(bytes)).unwrap();
    let spec = reader.spec();
    let samples = reader.samples::<i16>().map(Result::unwrap).collect();
    (spec, samples)
}

/// A fixture's audio as the samples after its 44-byte header (headers of a killed
/// Asterisk say 0, so the sample count comes from the length).
pub fn fixture_samples(name: &str) -> Vec<i16> {
    let bytes = fixture(name);
    bytes[44..]
        .chunks_exact(2)
        .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
        .collect()
}

/// Duration in ms of `samples` at 8 kHz, rounded to the nearest millisecond.
pub fn duration_ms(samples: usize) -> i64 {
    ((samples as i64) * 1000 + 4000) / 8000
}

/// Checks a stereo file's channels against the legs: `left` = the customer's leg.
pub fn assert_stereo(stereo: &[u8], left: &str, right: &str) {
    let (spec, interleaved) = samples(stereo);
    assert_eq!(spec.channels, 2);
    assert_eq!(spec.sample_rate, 8000);
    let (l, r) = (fixture_samples(left), fixture_samples(right));
    let frames = l.len().max(r.len());
    assert_eq!(interleaved.len(), frames * 2, "{left}");
    for (i, frame) in interleaved.chunks_exact(2).enumerate() {
        assert_eq!(
            frame[0],
            l.get(i).copied().unwrap_or(0),
            "{left} left frame {i}"
        );
        assert_eq!(
            frame[1],
            r.get(i).copied().unwrap_or(0),
            "{right} right frame {i}"
        );
    }
}
