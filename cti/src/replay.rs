//! Replaying captured AMI traffic: each capture is the bytes one connection received, from
//! the banner to EOF. They go through the same decoder ([`Frames`]) and tracker as live
//! traffic, with [`CallTracker::connection_lost`] after each connection, so a capture of a
//! PBX dying followed by one of the reconnect replays exactly as it happened.

use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::ami::{CodecError, Frame, Frames};
use crate::tracker::{CallEvent, CallEventKind, CallRecord, CallTracker};

/// Counts of what a replay went through.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Connections (captures) replayed.
    pub connections: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Messages decoded (responses and events; banners not counted).
    pub messages: u64,
    /// Of those, events.
    pub events: u64,
    /// Bytes of a message cut off by the end of a capture (a PBX that died mid-message).
    pub truncated_bytes: u64,
    /// Calls still open when the replay ended.
    pub open_calls: u64,
}

/// The finished calls of a replay and its counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replay {
    /// One record per call that ended, in the order they ended.
    pub records: Vec<CallRecord>,
    /// What the replay went through.
    pub stats: ReplayStats,
}

/// Why a replay stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A capture file could not be read.
    #[error("reading capture {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A capture is not valid AMI.
    #[error("capture {connection} (0-based) is not valid AMI at byte {offset}: {source}")]
    Decode {
        /// Which connection, counting from 0.
        connection: usize,
        /// Where its valid frames end.
        offset: usize,
        /// The decoding error.
        source: CodecError,
    },
}

/// Replays `connections` (the bytes each connection received, in order) through `tracker`,
/// handing every call event to `on_event`.
pub fn replay<I>(
    tracker: &mut CallTracker,
    connections: I,
    mut on_event: impl FnMut(CallEvent),
) -> Result<ReplayStats, ReplayError>
where
    I: IntoIterator<Item = Bytes>,
{
    let mut stats = ReplayStats::default();
    let mut events = Vec::new();
    for (connection, bytes) in connections.into_iter().enumerate() {
        stats.connections += 1;
        stats.bytes += bytes.len() as u64;
        let mut frames = Frames::new(bytes);
        while let Some(frame) = frames.next() {
            let msg = match frame {
                Ok(Frame::Message(msg)) => msg,
                Ok(Frame::Banner(_)) => continue,
                Err(CodecError::Incomplete { len }) => {
                    stats.truncated_bytes += len as u64;
                    break;
                }
                Err(source) => {
                    return Err(ReplayError::Decode {
                        connection,
                        offset: frames.consumed(),
                        source,
                    });
                }
            };
            stats.messages += 1;
            if msg.event_bytes().is_some() {
                stats.events += 1;
            }
            tracker.handle(&msg, &mut events);
            events.drain(..).for_each(&mut on_event);
        }
        tracker.connection_lost();
    }
    stats.open_calls = tracker.open_calls() as u64;
    Ok(stats)
}

/// Replays capture files, one per connection in the given order, and collects the
/// finished calls.
pub fn replay_files<P: AsRef<Path>>(
    tracker: &mut CallTracker,
    paths: &[P],
) -> Result<Replay, ReplayError> {
    let mut captures = Vec::with_capacity(paths.len());
    for path in paths {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ReplayError::Read {
            path: path.to_owned(),
            source,
        })?;
        captures.push(Bytes::from(bytes));
    }
    let mut records = Vec::new();
    let stats = replay(tracker, captures, |event| {
        if let CallEventKind::Ended(record) = event.kind {
            records.push(*record);
        }
    })?;
    Ok(Replay { records, stats })
}
