//! One user's backlog: the frames last sent to them, kept so a tab that reconnects with
//! `resume` gets what it missed. Bounded by count and by age; frames are shared
//! (reference-counted bytes), so the backlog costs one pointer per frame beside
//! the frame each socket was sent anyway.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

/// A serialised message (JSON text), ready to be written to every socket of its user;
/// cheap to clone (the bytes are reference-counted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame(Bytes);

impl From<String> for Frame {
    fn from(text: String) -> Self {
        Frame(Bytes::from(text))
    }
}

impl Frame {
    /// The message's text.
    pub fn as_str(&self) -> &str {
        // Only ever built from a `String`.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The message's UTF-8 bytes, for the socket to write.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

/// What a `resume` gets back.
#[derive(Debug)]
pub struct Replay {
    /// The frames after the client's last seq, oldest first.
    pub frames: Vec<Frame>,
    /// The first seq asked for (the client's last seq + 1).
    pub from_seq: u64,
    /// The last seq covered (the user's seq when the socket was opened).
    pub to_seq: u64,
    /// False when frames in that range were already dropped or come from before this
    /// server knew the user: the client should reload its view.
    pub complete: bool,
}

#[derive(Debug)]
struct Entry {
    seq: u64,
    at: Instant,
    frame: Frame,
}

/// The last `max_len` frames of one user, none older than `max_age`.
#[derive(Debug)]
pub(crate) struct Backlog {
    entries: VecDeque<Entry>,
    max_len: usize,
    max_age: Duration,
}

impl Backlog {
    pub(crate) fn new(max_len: usize, max_age: Duration) -> Self {
        Backlog {
            entries: VecDeque::new(),
            max_len: max_len.max(1),
            max_age,
        }
    }

    /// Keeps `frame`, numbered `seq` (one more than the previous one).
    pub(crate) fn push(&mut self, seq: u64, frame: Frame, now: Instant) {
        self.entries.push_back(Entry {
            seq,
            at: now,
            frame,
        });
        while self.entries.len() > self.max_len {
            self.entries.pop_front();
        }
        self.prune(now);
    }

    /// Forgets the frames older than the maximum age.
    pub(crate) fn prune(&mut self, now: Instant) {
        while self
            .entries
            .front()
            .is_some_and(|e| now.saturating_duration_since(e.at) > self.max_age)
        {
            self.entries.pop_front();
        }
    }

    /// The frames numbered `after + 1 ..= upto`. `first` is the first seq this backlog
    /// ever numbered: asking for anything before it cannot be complete.
    pub(crate) fn replay(&mut self, after: u64, upto: u64, first: u64, now: Instant) -> Replay {
        self.prune(now);
        let from_seq = after.saturating_add(1);
        let frames: Vec<Frame> = self
            .entries
            .iter()
            .filter(|e| e.seq > after && e.seq <= upto)
            .map(|e| e.frame.clone())
            .collect();
        let wanted = upto.saturating_sub(after);
        let complete = after.saturating_add(1) >= first
            && after <= upto
            && u64::try_from(frames.len()).is_ok_and(|n| n == wanted);
        Replay {
            frames,
            from_seq,
            to_seq: upto,
            complete,
        }
    }

    /// How many frames are kept.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: u64) -> Frame {
        Frame::from(format!("{{\"seq\":{n}}}"))
    }

    #[tokio::test(start_paused = true)]
    async fn replays_what_it_still_holds() {
        let mut backlog = Backlog::new(3, Duration::from_secs(600));
        let now = Instant::now();
        for seq in 11..=15 {
            backlog.push(seq, frame(seq), now);
        }
        assert_eq!(backlog.len(), 3, "bounded by count");
        let replay = backlog.replay(12, 15, 11, now);
        assert!(replay.complete);
        assert_eq!(replay.frames, vec![frame(13), frame(14), frame(15)]);
        assert_eq!((replay.from_seq, replay.to_seq), (13, 15));
        let replay = backlog.replay(10, 15, 11, now);
        assert!(!replay.complete, "11 and 12 were dropped");
        assert_eq!(replay.frames.len(), 3);
        let replay = backlog.replay(14, 14, 11, now);
        assert!(replay.complete && replay.frames.is_empty(), "up to date");
        let replay = backlog.replay(16, 15, 11, now);
        assert!(!replay.complete, "a seq this server never sent");
    }

    #[tokio::test(start_paused = true)]
    async fn forgets_old_frames_and_earlier_servers() {
        let mut backlog = Backlog::new(256, Duration::from_secs(600));
        backlog.push(101, frame(101), Instant::now());
        tokio::time::advance(Duration::from_secs(300)).await;
        backlog.push(102, frame(102), Instant::now());
        tokio::time::advance(Duration::from_secs(301)).await;
        let replay = backlog.replay(100, 102, 101, Instant::now());
        assert_eq!(
            replay.frames,
            vec![frame(102)],
            "101 is older than 10 minutes"
        );
        assert!(!replay.complete);
        let replay = backlog.replay(5, 102, 101, Instant::now());
        assert!(
            !replay.complete,
            "seq 5 came from before this server knew the user"
        );
    }
}
