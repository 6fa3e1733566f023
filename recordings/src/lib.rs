//! Call recordings for Tamas: Asterisk MixMonitor WAV files from the PBX to the
//! contact's profile. No HTTP and no database here — the `web` crate and the binary wire
//! these functions to uploads, the spool folder and the call log.
//!
//! Map of the crate:
//!
//! - [`wav`] — validate a PCM WAV from bytes ([`Wav::parse`], [`inspect`] → [`WavInfo`]),
//!   with bounded memory ([`WavLimits`]);
//! - [`repair`] — fix RIFF/`data` sizes left 0 or wrong by a killed Asterisk, from the
//!   file length (`riff` is the chunk walk underneath);
//! - [`mod@peaks`] — max-amplitude buckets for a waveform picture;
//! - [`merge`] — the `-rx` and `-tx` legs as one stereo file, customer left, agent right;
//! - [`names`] — parse MixMonitor file names (`[system-]1795342979.0[-rx|-tx].wav`);
//! - [`store`] — the content-addressed store (`root/ab/cd/<sha256>.wav`) and quarantine;
//! - [`quarantine`] — quarantine retention: old refused files deleted;
//! - [`range`] — HTTP `Range` header parsing (RFC 9110) and ranged reads;
//! - [`spool`] — scan a MixMonitor folder, group files by Uniqueid, decide when a group
//!   can be taken (from what is known of its call, and whether it holds audio);
//! - [`mod@ingest`] — one call from bytes to stored recording (or quarantine);
//! - [`error`] — [`RecordingError`], the crate's one error type.

pub mod error;
pub mod ingest;
pub mod merge;
pub mod names;
pub mod peaks;
pub mod quarantine;
pub mod range;
pub mod repair;
mod riff;
pub mod spool;
pub mod store;
pub mod wav;

pub use error::RecordingError;
pub use ingest::{
    IngestInput, IngestOutcome, IngestSettings, IngestedRecording, NamedBytes, Quarantined, ingest,
};
pub use merge::{CustomerLeg, merge_legs, merge_stereo};
pub use names::{LegKind, RecordingName, Uniqueid};
pub use peaks::peaks;
pub use quarantine::PurgedFile;
pub use range::{ByteRange, RangeRequest, parse_range, slice_reader};
pub use spool::{
    CallState, SpoolFile, SpoolGroup, SpoolScan, SpoolTiming, has_audio, is_ready, read_bounded,
    scan_spool,
};
pub use store::{ContentHash, QuarantinedFile, RecordingStore, StoredFile};
pub use wav::{Wav, WavInfo, WavLimits, inspect};
