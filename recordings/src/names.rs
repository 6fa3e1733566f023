//! MixMonitor file names: `[<systemname>-]<epoch>.<counter>[-rx|-tx].wav`.
//!
//! Asterisk names a channel `<epoch of start>.<counter>` (prefixed with `systemname-` when
//! one is configured), and the lab dialplan records to `${UNIQUEID}.wav` with the legs
//! `${UNIQUEID}-rx.wav` and `${UNIQUEID}-tx.wav`. A name is also what reaches the file
//! system, so anything else — path separators, `..`, control characters, other
//! extensions — is refused rather than cleaned.

use std::fmt;

use crate::RecordingError;

/// Longest accepted file name, in bytes.
const MAX_NAME_LEN: usize = 255;

/// An Asterisk channel Uniqueid such as `1795342979.0` or `pbx1-1795342979.0`: the key a
/// recording is linked to its call by (for MixMonitor on the first channel, the
/// Linkedid too).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uniqueid(String);

impl Uniqueid {
    /// Parses `[<systemname>-]<digits>.<digits>`; the system name may hold ASCII letters,
    /// digits, `_`, `-` and single dots, and starts with a letter or digit.
    pub fn parse(value: &str) -> Result<Self, RecordingError> {
        let invalid = |reason| RecordingError::InvalidName {
            name: value.to_owned(),
            reason,
        };
        let (system, core) = match value.rfind('-') {
            Some(dash) => (Some(&value[..dash]), &value[dash + 1..]),
            None => (None, value),
        };
        let Some((epoch, counter)) = core.split_once('.') else {
            return Err(invalid("a Uniqueid is <epoch>.<counter>"));
        };
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(epoch) || !digits(counter) {
            return Err(invalid(
                "a Uniqueid is <epoch>.<counter>, both decimal numbers",
            ));
        }
        if let Some(system) = system {
            let valid_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
            if system.is_empty()
                || !system.as_bytes()[0].is_ascii_alphanumeric()
                || !system.bytes().all(valid_char)
                || system.contains("..")
            {
                return Err(invalid("invalid system name prefix"));
            }
        }
        Ok(Self(value.to_owned()))
    }

    /// The Uniqueid as Asterisk writes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The configured `systemname` prefix, if any.
    pub fn system_name(&self) -> Option<&str> {
        self.0.rfind('-').map(|dash| &self.0[..dash])
    }
}

impl fmt::Display for Uniqueid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which of MixMonitor's files a name denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LegKind {
    /// `<uniqueid>.wav`: both directions mixed.
    Mixed,
    /// `<uniqueid>-rx.wav`: audio received from the recorded channel.
    Rx,
    /// `<uniqueid>-tx.wav`: audio sent to the recorded channel.
    Tx,
}

impl LegKind {
    /// The file-name suffix before `.wav` (`""`, `"-rx"`, `"-tx"`).
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Mixed => "",
            Self::Rx => "-rx",
            Self::Tx => "-tx",
        }
    }
}

/// A parsed MixMonitor recording file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordingName {
    /// The recorded channel's Uniqueid.
    pub uniqueid: Uniqueid,
    /// Mixed file or one leg.
    pub kind: LegKind,
}

impl RecordingName {
    /// Parses a bare file name such as `1795342979.0-rx.wav` (the `.wav` extension in any
    /// case). Anything with a path separator, `..`, a control character or another shape
    /// is [`RecordingError::InvalidName`].
    pub fn parse(name: &str) -> Result<Self, RecordingError> {
        let invalid = |reason| RecordingError::InvalidName {
            name: name.to_owned(),
            reason,
        };
        if name.len() > MAX_NAME_LEN {
            return Err(invalid("longer than 255 bytes"));
        }
        if name.contains(['/', '\\']) || name.contains("..") {
            return Err(invalid("contains a path separator or `..`"));
        }
        if name.chars().any(char::is_control) {
            return Err(invalid("contains a control character"));
        }
        let stem = match name.len().checked_sub(4).and_then(|at| name.get(at..)) {
            Some(ext) if ext.eq_ignore_ascii_case(".wav") => &name[..name.len() - 4],
            _ => return Err(invalid("not a .wav file")),
        };
        let (stem, kind) = if let Some(stem) = stem.strip_suffix("-rx") {
            (stem, LegKind::Rx)
        } else if let Some(stem) = stem.strip_suffix("-tx") {
            (stem, LegKind::Tx)
        } else {
            (stem, LegKind::Mixed)
        };
        Ok(Self {
            uniqueid: Uniqueid::parse(stem)?,
            kind,
        })
    }

    /// The file name back: `<uniqueid><suffix>.wav`.
    pub fn file_name(&self) -> String {
        format!("{}{}.wav", self.uniqueid, self.kind.suffix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mixed_and_legs() {
        let mixed = RecordingName::parse("1795342979.0.wav").unwrap();
        assert_eq!(mixed.uniqueid.as_str(), "1795342979.0");
        assert_eq!(mixed.kind, LegKind::Mixed);
        assert_eq!(mixed.uniqueid.system_name(), None);
        let rx = RecordingName::parse("1795343013.12-rx.wav").unwrap();
        assert_eq!(
            (rx.uniqueid.as_str(), rx.kind),
            ("1795343013.12", LegKind::Rx)
        );
        let tx = RecordingName::parse("1795343013.12-tx.WAV").unwrap();
        assert_eq!(tx.kind, LegKind::Tx);
        assert_eq!(tx.file_name(), "1795343013.12-tx.wav");
    }

    #[test]
    fn keeps_the_system_name_in_the_uniqueid() {
        let name = RecordingName::parse("pbx1-1795342979.0-tx.wav").unwrap();
        assert_eq!(name.uniqueid.as_str(), "pbx1-1795342979.0");
        assert_eq!(name.uniqueid.system_name(), Some("pbx1"));
        assert_eq!(name.kind, LegKind::Tx);
        let dotted = RecordingName::parse("pbx-a.example-1795342979.0.wav").unwrap();
        assert_eq!(dotted.uniqueid.system_name(), Some("pbx-a.example"));
    }

    #[test]
    fn rejects_paths_and_other_shapes() {
        for bad in [
            "../1795342979.0.wav",
            "a/1795342979.0.wav",
            "a\\1795342979.0.wav",
            "..1795342979.0.wav",
            "x..y-1795342979.0.wav",
            "1795342979.0.mp3",
            "1795342979.0",
            "1795342979.wav",
            "1795342979.0-mixed.wav",
            "1795342979.0-rx-tx.wav",
            "-1795342979.0.wav",
            ".1795342979.0.wav",
            "1795342979.0.wav\0",
            "1795342979.x.wav",
            ".wav",
            "",
            "pbx 1-1795342979.0.wav",
        ] {
            assert!(
                matches!(
                    RecordingName::parse(bad),
                    Err(RecordingError::InvalidName { .. })
                ),
                "{bad:?} was accepted"
            );
        }
        let long = format!("{}-1795342979.0.wav", "a".repeat(300));
        assert!(RecordingName::parse(&long).is_err());
    }
}
