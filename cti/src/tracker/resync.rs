//! Losing and regaining the AMI stream.
//!
//! After [`CallTracker::connection_lost`] (EOF, a broken socket) open calls are kept: the
//! PBX may still carry them. The client resyncs on every connect with `CoreShowChannels`;
//! when its `CoreShowChannelsComplete` arrives, a call that has none of its channels in the
//! listing and was not heard of since the reconnect is closed, its end marked as not known
//! (`end_known: false`, ended at the latest PBX time seen). Listed channels the tracker did
//! not know (calls that began during the outage) are adopted. `Shutdown` closes what is
//! still open.

use super::time::parse_timestamp;
use super::{CallEvent, CallTracker};
use crate::ami::Message;

/// `HH:MM:SS` (CoreShowChannel `Duration`) in microseconds.
fn duration_us(v: &str) -> Option<i64> {
    let mut total: i64 = 0;
    for part in v.split(':') {
        total = total * 60 + part.parse::<i64>().ok()?;
    }
    Some(total * 1_000_000)
}

impl CallTracker {
    /// The AMI stream ended (EOF or error) without an `Event: Shutdown` having closed the
    /// calls. Open calls wait for the resync of the next connection.
    pub fn connection_lost(&mut self) {
        self.epoch += 1;
        self.resync_pending = true;
        self.listed.clear();
    }

    /// One channel of a `CoreShowChannels` listing.
    pub(super) fn on_core_show_channel(&mut self, msg: &Message, now: i64) {
        let Some(uid) = msg.get("Uniqueid") else {
            return;
        };
        self.listed.insert(uid.to_owned());
        if !self.channels.contains_key(uid) {
            let age = msg.get("Duration").and_then(duration_us).unwrap_or(0);
            // Listing items carry no Timestamp; `now` is the latest PBX time seen.
            let created = msg
                .get_bytes("Timestamp")
                .and_then(parse_timestamp)
                .unwrap_or(now)
                - age;
            self.add_channel(msg, created, false);
        }
    }

    /// The end of a `CoreShowChannels` listing: after a reconnect, closes the calls that are
    /// gone.
    pub(super) fn on_core_show_channels_complete(&mut self, out: &mut Vec<CallEvent>) {
        if self.resync_pending {
            self.resync_pending = false;
            let gone: Vec<String> = self
                .calls
                .iter()
                .filter(|(_, call)| {
                    call.epoch < self.epoch && !call.live.iter().any(|u| self.listed.contains(u))
                })
                .map(|(linkedid, _)| linkedid.clone())
                .collect();
            let at = self.clock_us;
            for linkedid in gone {
                self.finish(&linkedid, at, false, out);
            }
        }
        self.listed.clear();
    }

    /// `Event: Shutdown`: Asterisk is going away; whatever is still open is closed.
    pub(super) fn on_shutdown(&mut self, now: i64, out: &mut Vec<CallEvent>) {
        let open: Vec<String> = self.calls.keys().cloned().collect();
        for linkedid in open {
            self.finish(&linkedid, now, false, out);
        }
        self.channels.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::duration_us;

    #[test]
    fn parses_durations() {
        assert_eq!(duration_us("00:00:05"), Some(5_000_000));
        assert_eq!(duration_us("01:02:03"), Some(3_723_000_000));
        assert_eq!(duration_us("x"), None);
    }
}
