//! What the recording player of the contact page and the call page shows: the audio
//! element's source (`/api/recordings/{id}`), the duration, a download link, and the
//! waveform drawn on the server as an SVG path from the stored peaks.

use crm_core::Recording;

/// Width of the waveform's view box (one unit per peak at most).
const WIDTH: usize = 600;
/// Height of the waveform's view box; the path is symmetric around the middle.
const HEIGHT: u32 = 40;

/// One recording as the player shows it.
#[derive(Clone, Debug)]
pub struct PlayerView {
    /// The recording's id (the API URL is built from it).
    pub id: i64,
    /// Length of the audio.
    pub duration_ms: Option<i64>,
    /// A header-only file: shown as "empty recording", nothing to play.
    pub empty: bool,
    /// SVG path of the waveform (`M x y V y'` per peak), in a `0 0 600 40` view box.
    pub waveform: String,
}

impl PlayerView {
    /// The view of `recording`.
    pub fn of(recording: &Recording) -> Self {
        Self {
            id: recording.id.0,
            duration_ms: recording.duration_ms,
            empty: recording.is_empty(),
            waveform: waveform_path(&recording.peaks),
        }
    }
}

/// One vertical bar per peak (peaks are resampled to at most `WIDTH` bars), centred on
/// the middle line; silence still draws a one-unit tick so the shape is visible.
pub fn waveform_path(peaks: &[u8]) -> String {
    if peaks.is_empty() {
        return String::new();
    }
    let bars = peaks.len().min(WIDTH);
    let step = WIDTH as f64 / bars as f64;
    let mid = f64::from(HEIGHT) / 2.0;
    let mut path = String::with_capacity(bars * 20);
    for bar in 0..bars {
        let from = bar * peaks.len() / bars;
        let to = ((bar + 1) * peaks.len() / bars).max(from + 1);
        let peak = peaks[from..to].iter().copied().max().unwrap_or(0);
        let half = (f64::from(peak) / 255.0 * mid).max(0.5);
        let x = step * bar as f64 + step / 2.0;
        path.push_str(&format!("M{x:.1} {:.1}V{:.1}", mid - half, mid + half));
    }
    path
}

#[cfg(test)]
mod tests {
    use super::waveform_path;

    #[test]
    fn one_bar_per_peak_scaled_to_the_height() {
        assert_eq!(waveform_path(&[]), "");
        assert_eq!(waveform_path(&[255, 0]), "M150.0 0.0V40.0M450.0 19.5V20.5");
        assert_eq!(waveform_path(&[0; 1200]).matches('M').count(), 600);
    }
}
