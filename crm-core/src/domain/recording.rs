//! Recordings' metadata: the audio lives in the recordings store (content-addressed by
//! SHA-256); the CRM core knows where, what it is, and which call (and so which contact)
//! it belongs to.

use serde::Serialize;

use super::ids::{CallId, RecordingId};
use crate::StoreError;

/// A recording to register. When `call` is not given, the call is found by `pbx` and
/// `linkedid`; a recording that arrives before its call is linked when the call is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRecording {
    /// The call, when the uploader knows it.
    pub call: Option<CallId>,
    /// The PBX it came from.
    pub pbx: String,
    /// The call's Linkedid (from the file name or the upload).
    pub linkedid: Option<String>,
    /// The recorded channel's Uniqueid.
    pub uniqueid: Option<String>,
    /// SHA-256 of the file, 64 lower-case hex digits.
    pub sha256: String,
    /// Where the recordings store keeps it.
    pub path: String,
    /// Size in bytes.
    pub bytes: i64,
    /// Length of the audio.
    pub duration_ms: Option<i64>,
    /// Samples per second.
    pub sample_rate: Option<i64>,
    /// 1 (mono) or 2 (stereo: caller and agent).
    pub channels: Option<i64>,
    /// `stored` (the mixed file), `merged` (the stereo merge of the legs) or
    /// [`EMPTY_STATUS`] (a header-only file: nothing to play).
    pub status: String,
    /// Waveform peaks, one byte (0–255) per bucket.
    pub peaks: Vec<u8>,
}

/// The status of a recording that holds no audio (an abandoned call's header-only file):
/// shown as "empty recording", with no file in the store.
pub const EMPTY_STATUS: &str = "empty";

/// The recorded channel's Uniqueid in a MixMonitor file name or path as the tracker saw
/// it (`/var/spool/asterisk/monitor/1795342979.0.wav` → `1795342979.0`); `None` when the
/// name is not a `.wav` file.
pub fn recording_uniqueid(file: &str) -> Option<&str> {
    let name = file.rsplit(['/', '\\']).next()?;
    let stem = name
        .strip_suffix(".wav")
        .or_else(|| name.strip_suffix(".WAV"))?;
    let stem = stem
        .strip_suffix("-rx")
        .or_else(|| stem.strip_suffix("-tx"))
        .unwrap_or(stem);
    (!stem.is_empty()).then_some(stem)
}

impl NewRecording {
    /// Refuses metadata that cannot describe a stored file.
    pub(crate) fn validate(&self) -> Result<(), StoreError> {
        let hex = self.sha256.len() == 64
            && self
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex {
            return Err(StoreError::Invalid(
                "a recording's sha256 is 64 lower-case hex digits".into(),
            ));
        }
        let needs_path = self.status != EMPTY_STATUS;
        if self.pbx.trim().is_empty()
            || (needs_path && self.path.trim().is_empty())
            || self.status.is_empty()
        {
            return Err(StoreError::Invalid(
                "a recording needs its PBX, path and status".into(),
            ));
        }
        if self.bytes < 0 {
            return Err(StoreError::Invalid("a size cannot be negative".into()));
        }
        Ok(())
    }
}

/// A registered recording.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Recording {
    /// Row id.
    pub id: RecordingId,
    /// The call it belongs to, once known.
    pub call: Option<CallId>,
    /// The PBX it came from.
    pub pbx: String,
    /// The call's Linkedid.
    pub linkedid: Option<String>,
    /// The recorded channel's Uniqueid.
    pub uniqueid: Option<String>,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Where the recordings store keeps it (a server path: never sent to clients).
    #[serde(skip)]
    pub path: String,
    /// Size in bytes.
    pub bytes: i64,
    /// Length of the audio.
    pub duration_ms: Option<i64>,
    /// Samples per second.
    pub sample_rate: Option<i64>,
    /// Channels.
    pub channels: Option<i64>,
    /// `stored`, `merged` or [`EMPTY_STATUS`].
    pub status: String,
    /// Waveform peaks, one byte (0–255) per bucket.
    pub peaks: Vec<u8>,
    /// When it was registered, ms since the epoch.
    pub created_at_ms: i64,
}

impl Recording {
    /// Whether the recording holds no audio (nothing to play).
    pub fn is_empty(&self) -> bool {
        self.status == EMPTY_STATUS
    }
}

#[cfg(test)]
mod tests {
    use super::recording_uniqueid;

    #[test]
    fn uniqueids_from_mixmonitor_file_names() {
        assert_eq!(
            recording_uniqueid("/var/spool/asterisk/monitor/1795342979.0.wav"),
            Some("1795342979.0")
        );
        assert_eq!(
            recording_uniqueid("1795342979.0-rx.wav"),
            Some("1795342979.0")
        );
        assert_eq!(
            recording_uniqueid("pbx1-1795342979.0.WAV"),
            Some("pbx1-1795342979.0")
        );
        assert_eq!(recording_uniqueid("/x/.wav"), None);
        assert_eq!(recording_uniqueid("1795342979.0.gsm"), None);
    }
}
