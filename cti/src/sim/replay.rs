//! Replay mode: the events of capture files (the bytes an AMI client received from a real
//! Asterisk) sent to each logged-in client in order, paced by their `Timestamp`s or as fast
//! as the client reads, as captured or moved to the present.
//!
//! Of each file only the events after the login are kept: the banner, responses (to the
//! recorded client's actions) and the recorded `FullyBooted`/`SuccessfulAuth` are dropped,
//! the simulator answers this client's own login and actions itself. Gaps between files are
//! cut to one second.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, sleep_until};

use super::SimError;
use super::clock::{EpochMicros, SimClock, timestamp};
use super::event::SimEvent;
use super::settings::{ReplayPace, ReplaySettings};
use super::template::parse_micros;
use crate::ami::{Frame, Frames};

/// The pause between two replayed files.
const FILE_GAP: Duration = Duration::from_secs(1);

/// One replayed event.
#[derive(Clone, Debug)]
pub(crate) struct ReplayItem {
    file: usize,
    time: Option<EpochMicros>,
    event: SimEvent,
}

/// Reads and decodes the capture files.
pub(crate) fn load(settings: &ReplaySettings) -> Result<Vec<ReplayItem>, SimError> {
    let mut items = Vec::new();
    for (file, path) in settings.files.iter().enumerate() {
        let replay_error = |error: String| SimError::Replay {
            path: path.clone(),
            error,
        };
        let bytes = std::fs::read(path).map_err(|e| replay_error(e.to_string()))?;
        for frame in Frames::new(bytes) {
            let Frame::Message(m) = frame.map_err(|e| replay_error(e.to_string()))? else {
                continue;
            };
            let Some(name) = m.event() else { continue };
            if name == "FullyBooted" || name == "SuccessfulAuth" {
                continue;
            }
            let headers = m
                .headers()
                .map(|h| {
                    let key = String::from_utf8_lossy(h.key).into_owned();
                    (key, h.value_lossy().into_owned())
                })
                .collect();
            items.push(ReplayItem {
                file,
                time: m.get("Timestamp").and_then(parse_micros),
                event: SimEvent { headers },
            });
        }
    }
    Ok(items)
}

/// One client's position in the replay.
#[derive(Debug)]
pub(crate) struct ReplayFeed {
    items: Arc<Vec<ReplayItem>>,
    next: usize,
    pace: ReplayPace,
    restamp: bool,
    clock: SimClock,
    /// The file being sent and when it started: Tokio instant, sim time, capture time.
    anchor: Option<(usize, Instant, EpochMicros, EpochMicros)>,
}

impl ReplayFeed {
    pub(crate) fn new(
        settings: &ReplaySettings,
        items: &Arc<Vec<ReplayItem>>,
        clock: SimClock,
    ) -> Self {
        ReplayFeed {
            items: Arc::clone(items),
            next: 0,
            pace: settings.pace,
            restamp: settings.restamp,
            clock,
            anchor: None,
        }
    }

    /// The next event, at its time; `None` when every file has been sent. Cancel-safe: an
    /// event counts as sent only once this returns it.
    pub(crate) async fn next(&mut self) -> Option<SimEvent> {
        let item = self.items.get(self.next)?;
        let Some(time) = item.time else {
            self.next += 1;
            return Some(item.event.clone());
        };
        let anchor = match self.anchor {
            Some(anchor) if anchor.0 == item.file => anchor,
            previous => {
                let gap = if previous.is_some() && self.pace == ReplayPace::RealTime {
                    FILE_GAP
                } else {
                    Duration::ZERO
                };
                let sim_start = self.clock.now() + i64::try_from(gap.as_micros()).unwrap_or(0);
                (item.file, Instant::now() + gap, sim_start, time)
            }
        };
        self.anchor = Some(anchor);
        let (_, started, sim_start, capture_start) = anchor;
        let after = time.saturating_sub(capture_start).max(0);
        if self.pace == ReplayPace::RealTime {
            sleep_until(started + Duration::from_micros(after.unsigned_abs())).await;
        }
        self.next += 1;
        let mut event = item.event.clone();
        if self.restamp {
            event.set("Timestamp", timestamp(sim_start + after));
        }
        Some(event)
    }
}
