//! Per-call features seen on the channels: hold (`Hold`/`Unhold`, or music on hold once the
//! call is connected — queue music before an answer is waiting, not hold), MixMonitor
//! recordings (file name and legs from the dialplan's `MixMonitor` step and the
//! `MIXMONITOR_FILENAME` variable, announced on `MixMonitorStart`), and the click-to-call
//! id carried by `OriginateResponse`.

use super::record::Recording;
use super::{CallEvent, CallEventKind, CallTracker};
use crate::ami::Message;

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The value of a MixMonitor option such as `r(file)` in an option string like
/// `br(x-rx.wav)t(x-tx.wav)`.
fn mixmonitor_option(options: &str, letter: u8) -> Option<&str> {
    let bytes = options.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let opt = bytes[i];
        i += 1;
        if bytes.get(i) == Some(&b'(') {
            let close = options[i..].find(')').map_or(options.len(), |c| i + c);
            let arg = &options[i + 1..close];
            if opt == letter {
                return Some(arg);
            }
            i = close + 1;
        }
    }
    None
}

impl CallTracker {
    /// The Linkedid of the channel an event names, without the channel prelude (for the
    /// frequent dialplan events that only matter when they concern a recording).
    fn linkedid_of(&self, msg: &Message) -> Option<String> {
        let uid = msg.get("Uniqueid")?;
        self.channels.get(uid).map(|c| c.linkedid.clone())
    }

    fn merge_recording(
        &mut self,
        msg: &Message,
        file: &str,
        path: Option<&str>,
        legs: [Option<&str>; 2],
    ) {
        let (Some(linkedid), Some(uid)) = (self.linkedid_of(msg), msg.get("Uniqueid")) else {
            return;
        };
        self.touch(&linkedid);
        let Some(call) = self.calls.get_mut(&linkedid) else {
            return;
        };
        let rec = call.recording.get_or_insert_with(|| Recording {
            file: file.to_owned(),
            path: None,
            rx_leg: None,
            tx_leg: None,
            channel_uniqueid: uid.to_owned(),
        });
        if rec.file != file || rec.channel_uniqueid != uid {
            return;
        }
        if let Some(path) = path {
            rec.path = Some(path.to_owned());
        }
        let [rx, tx] = legs;
        if let Some(rx) = rx {
            rec.rx_leg = Some(basename(rx).to_owned());
        }
        if let Some(tx) = tx {
            rec.tx_leg = Some(basename(tx).to_owned());
        }
    }

    /// `VarSet` of `MIXMONITOR_FILENAME`: the recording's path on the PBX.
    pub(super) fn on_var_set(&mut self, msg: &Message) {
        if msg.get_last_bytes("Variable") != Some(b"MIXMONITOR_FILENAME") {
            return;
        }
        if let Some(path) = msg.get("Value").filter(|p| !p.is_empty()) {
            self.merge_recording(msg, basename(path), Some(path), [None, None]);
        }
    }

    /// `Newexten` running `MixMonitor(file,options)`: the file and its `r()`/`t()` legs.
    pub(super) fn on_newexten(&mut self, msg: &Message) {
        if msg.get_last_bytes("Application") != Some(b"MixMonitor") {
            return;
        }
        let Some(data) = msg.get("AppData") else {
            return;
        };
        let mut args = data.split(',');
        let file = basename(args.next().unwrap_or("").trim());
        if file.is_empty() {
            return;
        }
        let options = args.next().unwrap_or("");
        let legs = [
            mixmonitor_option(options, b'r'),
            mixmonitor_option(options, b't'),
        ];
        self.merge_recording(msg, file, None, legs);
    }

    pub(super) fn on_mix_monitor_start(
        &mut self,
        msg: &Message,
        now: i64,
        out: &mut Vec<CallEvent>,
    ) {
        let Some((_, linkedid)) = self.prelude(msg, now, out) else {
            return;
        };
        let Some(call) = self.calls.get_mut(linkedid.as_ref()) else {
            return;
        };
        if call.recording_announced {
            return;
        }
        let Some(rec) = call.recording.clone() else {
            return;
        };
        call.recording_announced = true;
        self.emit(out, &linkedid, now, CallEventKind::RecordingStarted(rec));
    }

    /// `Hold`/`Unhold` (`moh` false) and `MusicOnHoldStart`/`Stop` (`moh` true).
    pub(super) fn on_hold(
        &mut self,
        msg: &Message,
        now: i64,
        out: &mut Vec<CallEvent>,
        moh: bool,
        start: bool,
    ) {
        let Some((uid, linkedid)) = self.prelude(msg, now, out) else {
            return;
        };
        let Some(call) = self.calls.get_mut(linkedid.as_ref()) else {
            return;
        };
        let kind = if start {
            if call.answered_us.is_none() || call.in_queue || !call.hold_start(uid, moh, now) {
                return;
            }
            CallEventKind::Held
        } else {
            match call.hold_stop(uid, Some(moh), now) {
                Some(hold_ms) => CallEventKind::Unheld { hold_ms },
                None => return,
            }
        };
        self.emit(out, &linkedid, now, kind);
    }

    /// `OriginateResponse` carries the channel variables as `ChanVariable(<channel>)`;
    /// the prelude picks up the click-to-call id from them.
    pub(super) fn on_originate_response(
        &mut self,
        msg: &Message,
        now: i64,
        out: &mut Vec<CallEvent>,
    ) {
        self.prelude(msg, now, out);
    }
}

#[cfg(test)]
mod tests {
    use super::mixmonitor_option;

    #[test]
    fn reads_mixmonitor_options() {
        let o = "br(1795342979.0-rx.wav)t(1795342979.0-tx.wav)";
        assert_eq!(mixmonitor_option(o, b'r'), Some("1795342979.0-rx.wav"));
        assert_eq!(mixmonitor_option(o, b't'), Some("1795342979.0-tx.wav"));
        assert_eq!(mixmonitor_option(o, b'b'), None);
        assert_eq!(mixmonitor_option("b", b'r'), None);
        assert_eq!(mixmonitor_option("r(unclosed", b'r'), Some("unclosed"));
    }
}
