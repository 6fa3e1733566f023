//! One call from received bytes to a stored recording: [`ingest`].
//!
//! The spool scanner and the HTTP upload both end here. The mixed file is validated
//! (and repaired if its header was left unfinalised); when both legs are there they are
//! validated and merged into one stereo file (customer left, agent right); the files are
//! hashed and kept in the [`RecordingStore`]. A mixed file that is not a readable PCM WAV
//! is quarantined with the reason, legs included, and nothing is stored; legs that cannot
//! be read or merged are quarantined while the mixed recording is still stored. A
//! header-only (empty) file is a valid recording with nothing to store or play.

use crate::RecordingError;
use crate::merge::{CustomerLeg, merge_legs};
use crate::names::{LegKind, RecordingName, Uniqueid};
use crate::peaks::peaks;
use crate::store::{QuarantinedFile, RecordingStore, StoredFile};
use crate::wav::{Wav, WavInfo, WavLimits};

/// Default for [`IngestSettings::peak_buckets`].
pub const DEFAULT_PEAK_BUCKETS: usize = 600;

/// A received file: its MixMonitor name and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct NamedBytes<'a> {
    /// File name such as `1795342979.0-rx.wav` (see [`RecordingName`]).
    pub name: &'a str,
    /// The whole file.
    pub bytes: &'a [u8],
}

/// What one recording brings in.
#[derive(Debug, Clone, Copy)]
pub struct IngestInput<'a> {
    /// `<uniqueid>.wav`.
    pub mixed: NamedBytes<'a>,
    /// `<uniqueid>-rx.wav`, if it arrived.
    pub rx: Option<NamedBytes<'a>>,
    /// `<uniqueid>-tx.wav`, if it arrived.
    pub tx: Option<NamedBytes<'a>>,
    /// Which leg is the customer (from the call's direction).
    pub customer_leg: CustomerLeg,
}

/// Tunables of [`ingest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestSettings {
    /// Size bound applied to each file.
    pub limits: WavLimits,
    /// Peak values computed for the waveform picture.
    pub peak_buckets: usize,
}

impl Default for IngestSettings {
    fn default() -> Self {
        Self {
            limits: WavLimits::default(),
            peak_buckets: DEFAULT_PEAK_BUCKETS,
        }
    }
}

/// A recording that was accepted.
#[derive(Debug)]
pub struct IngestedRecording {
    /// The recorded channel's Uniqueid (from the file names).
    pub uniqueid: Uniqueid,
    /// What the mixed file holds (`header_consistent` is false when it was repaired).
    pub info: WavInfo,
    /// Peaks of the mixed file, [`IngestSettings::peak_buckets`] values.
    pub peaks: Vec<u8>,
    /// The mixed file has no audio (an abandoned call): nothing was stored.
    pub empty: bool,
    /// At least one file's header was repaired before storing.
    pub repaired: bool,
    /// The mixed file in the store (`None` when empty).
    pub mixed: Option<StoredFile>,
    /// The stereo merge of the legs in the store (`None` without both legs, when they
    /// were refused, or when they hold no audio).
    pub stereo: Option<StoredFile>,
    /// What the stereo merge holds, when there is one.
    pub stereo_info: Option<WavInfo>,
    /// The legs, when they were refused and quarantined (the mixed file was kept).
    pub legs_quarantined: Option<Quarantined>,
}

/// Files put in quarantine, and why.
#[derive(Debug)]
pub struct Quarantined {
    /// Why they were refused.
    pub reason: RecordingError,
    /// Where they are now.
    pub files: Vec<QuarantinedFile>,
}

/// What became of a recording.
#[derive(Debug)]
pub enum IngestOutcome {
    /// Accepted (possibly empty, possibly with its legs quarantined).
    Stored(Box<IngestedRecording>),
    /// The mixed file was refused: everything received is in quarantine.
    Quarantined(Quarantined),
}

/// Validates, repairs, merges, hashes and stores one recording (see the module docs).
///
/// Errors: [`RecordingError::InvalidName`] when a name is not a MixMonitor name or the
/// files do not belong together (nothing is stored or quarantined: the sender must fix
/// the request), and store I/O failures (the caller still has the bytes).
#[tracing::instrument(skip_all, fields(mixed = input.mixed.name))]
pub fn ingest(
    store: &RecordingStore,
    input: &IngestInput<'_>,
    settings: &IngestSettings,
) -> Result<IngestOutcome, RecordingError> {
    let uniqueid = check_names(input)?;
    let received: Vec<NamedBytes<'_>> = [Some(input.mixed), input.rx, input.tx]
        .into_iter()
        .flatten()
        .collect();

    let mixed = match Wav::parse(input.mixed.bytes, &settings.limits) {
        Ok(wav) => wav,
        Err(reason) => {
            return quarantine_all(store, &received, reason).map(IngestOutcome::Quarantined);
        }
    };
    let info = *mixed.info();
    let peaks = peaks(&mixed, settings.peak_buckets)?;
    let mut repaired = mixed.was_repaired();

    let mut stereo = None;
    let mut stereo_info = None;
    let mut legs_quarantined = None;
    if let (Some(rx), Some(tx)) = (input.rx, input.tx) {
        match merge(rx, tx, input.customer_leg, &settings.limits) {
            Ok(merged) => {
                repaired |= merged.repaired;
                if !merged.empty {
                    stereo_info = Some(
                        Wav::parse(&merged.bytes, &settings.limits)?
                            .info()
                            .to_owned(),
                    );
                    stereo = Some(store.put(&merged.bytes)?);
                }
            }
            Err(reason) if reason.is_content_defect() => {
                legs_quarantined = Some(quarantine_all(store, &[rx, tx], reason)?);
            }
            Err(other) => return Err(other),
        }
    } else if input.rx.is_some() || input.tx.is_some() {
        tracing::info!(%uniqueid, "only one leg received: no stereo file");
    }

    let mixed = if info.empty {
        None
    } else {
        Some(store.put(mixed.bytes())?)
    };
    tracing::info!(%uniqueid, duration_ms = info.duration_ms, empty = info.empty, repaired, "recording ingested");
    Ok(IngestOutcome::Stored(Box::new(IngestedRecording {
        uniqueid,
        info,
        peaks,
        empty: info.empty,
        repaired,
        mixed,
        stereo,
        stereo_info,
        legs_quarantined,
    })))
}

/// Parses the names and checks they are the mixed file and the legs of one Uniqueid.
fn check_names(input: &IngestInput<'_>) -> Result<Uniqueid, RecordingError> {
    let mixed = RecordingName::parse(input.mixed.name)?;
    let expect = |file: NamedBytes<'_>, kind: LegKind| -> Result<(), RecordingError> {
        let name = RecordingName::parse(file.name)?;
        let reason = if name.kind != kind {
            Some("not the expected kind of file (mixed, -rx or -tx)")
        } else if name.uniqueid != mixed.uniqueid {
            Some("belongs to another Uniqueid than the mixed file")
        } else {
            None
        };
        reason.map_or(Ok(()), |reason| {
            Err(RecordingError::InvalidName {
                name: file.name.to_owned(),
                reason,
            })
        })
    };
    expect(input.mixed, LegKind::Mixed)?;
    if let Some(rx) = input.rx {
        expect(rx, LegKind::Rx)?;
    }
    if let Some(tx) = input.tx {
        expect(tx, LegKind::Tx)?;
    }
    Ok(mixed.uniqueid)
}

/// A stereo merge of the legs.
struct Merged {
    bytes: Vec<u8>,
    repaired: bool,
    empty: bool,
}

/// Validates both legs and merges them.
fn merge(
    rx: NamedBytes<'_>,
    tx: NamedBytes<'_>,
    customer: CustomerLeg,
    limits: &WavLimits,
) -> Result<Merged, RecordingError> {
    let rx = Wav::parse(rx.bytes, limits)?;
    let tx = Wav::parse(tx.bytes, limits)?;
    let bytes = merge_legs(&rx, &tx, customer)?;
    Ok(Merged {
        bytes,
        repaired: rx.was_repaired() || tx.was_repaired(),
        empty: rx.info().empty && tx.info().empty,
    })
}

/// Quarantines every file in `files` with `reason`.
fn quarantine_all(
    store: &RecordingStore,
    files: &[NamedBytes<'_>],
    reason: RecordingError,
) -> Result<Quarantined, RecordingError> {
    let text = reason.to_string();
    let files = files
        .iter()
        .map(|file| store.quarantine(file.bytes, file.name, &text))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Quarantined { reason, files })
}
