//! MixMonitor's files, written the way Asterisk 22 writes them for
//! `MixMonitor(${UNIQUEID}.wav,br(${UNIQUEID}-rx.wav)t(${UNIQUEID}-tx.wav))`, so the spool
//! watcher can be tried against the simulated PBX.
//!
//! The simulator hands every event it sends to [`Monitor::observe`]. On `MixMonitorStart`
//! the recorded channel's `<uniqueid>.wav`, `-rx.wav` and `-tx.wav` appear with a 44-byte
//! header (8 kHz, 16-bit, mono PCM) whose RIFF and `data` sizes are 0, as Asterisk leaves
//! them while it writes. Option `b`: audio is appended only while that channel is in a
//! bridge with another channel (the caller with an agent; waiting in a queue writes
//! nothing), every [`TICK`] and at each bridge change. At the channel's `Hangup` the sizes
//! are written in; a call that never reached an agent leaves three 44-byte files, as in
//! capture 02. Files of a simulator that stops are left as a killed Asterisk leaves them.
//!
//! The audio is synthetic: the customer (`-rx`) and the agent (`-tx`) take turns "talking"
//! (tones with a syllable rhythm); the mixed file is their sum.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::clock::{EpochMicros, SimClock};
use super::event::SimEvent;

/// How often audio is appended while a recorded channel is bridged.
pub(crate) const TICK: Duration = Duration::from_millis(200);
/// Samples per second (MixMonitor's `.wav`: signed linear, 8 kHz).
const RATE: i64 = 8_000;
/// The header MixMonitor writes first: RIFF and `data` sizes 0.
const HEADER_LEN: usize = 44;

/// Writes MixMonitor files into a folder.
#[derive(Debug)]
pub(crate) struct Monitor {
    dir: PathBuf,
    clock: SimClock,
    shutdown: CancellationToken,
    inner: Mutex<Recorder>,
}

/// What the monitor knows, under its lock.
#[derive(Debug, Default)]
struct Recorder {
    /// Recordings being written, by the recorded channel's Uniqueid.
    active: HashMap<String, Recording>,
    /// The bridge each channel is in.
    bridge_of: HashMap<String, String>,
    /// The channels in each bridge.
    members: HashMap<String, HashSet<String>>,
    /// Channels recorded before: a replay sent to a second client does not record again.
    done: HashSet<String>,
    /// Whether the task appending audio runs.
    ticking: bool,
}

/// One recording being written.
#[derive(Debug)]
struct Recording {
    /// Mixed, `-rx`, `-tx`.
    files: [File; 3],
    /// Since when the channel has been bridged with another one, if it is.
    bridged_since: Option<EpochMicros>,
    /// Bridged time before `bridged_since`, microseconds.
    bridged_before: i64,
    /// Samples written to each file.
    samples: i64,
}

impl Monitor {
    /// A monitor writing into `dir` (created if missing), timed by `clock`; it stops
    /// writing when `shutdown` is cancelled.
    pub(crate) fn new(dir: &Path, clock: SimClock, shutdown: CancellationToken) -> Arc<Monitor> {
        if let Err(err) = std::fs::create_dir_all(dir) {
            tracing::warn!(dir = %dir.display(), error = %err, "cannot create the MixMonitor folder");
        }
        Arc::new(Monitor {
            dir: dir.to_owned(),
            clock,
            shutdown,
            inner: Mutex::new(Recorder::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Recorder> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Learns from an event the PBX sends at `at`: starts, feeds and finishes recordings.
    pub(crate) fn observe(self: &Arc<Self>, event: &SimEvent, at: EpochMicros) {
        let Some(name) = event.name() else { return };
        if !matches!(
            name,
            "MixMonitorStart" | "BridgeEnter" | "BridgeLeave" | "Hangup"
        ) || self.shutdown.is_cancelled()
        {
            return;
        }
        let Some(uniqueid) = event.get("Uniqueid") else {
            return;
        };
        let mut recorder = self.lock();
        // Audio up to now belongs to the bridges as they were.
        recorder.write_audio(at);
        match name {
            "MixMonitorStart" => {
                if recorder.active.contains_key(uniqueid) || !recorder.done.insert(uniqueid.into())
                {
                    return;
                }
                match self.create(uniqueid) {
                    Ok(files) => {
                        let recording = Recording {
                            files,
                            bridged_since: None,
                            bridged_before: 0,
                            samples: 0,
                        };
                        recorder.active.insert(uniqueid.to_owned(), recording);
                        self.start_ticking(&mut recorder);
                    }
                    Err(err) => {
                        tracing::warn!(uniqueid, error = %err, "cannot create the MixMonitor files");
                    }
                }
            }
            "BridgeEnter" => {
                if let Some(bridge) = event.get("BridgeUniqueid") {
                    recorder.leave(uniqueid);
                    recorder.bridge_of.insert(uniqueid.into(), bridge.into());
                    recorder
                        .members
                        .entry(bridge.into())
                        .or_default()
                        .insert(uniqueid.into());
                }
            }
            "BridgeLeave" => recorder.leave(uniqueid),
            _ => {
                recorder.leave(uniqueid);
                if let Some(recording) = recorder.active.remove(uniqueid)
                    && let Err(err) = recording.finalise()
                {
                    tracing::warn!(uniqueid, error = %err, "cannot finalise the MixMonitor files");
                }
            }
        }
        recorder.update_bridged(at);
    }

    /// `<uniqueid>.wav`, `-rx.wav`, `-tx.wav`, each holding the header.
    fn create(&self, uniqueid: &str) -> std::io::Result<[File; 3]> {
        let open = |suffix: &str| -> std::io::Result<File> {
            let mut file = File::create(self.dir.join(format!("{uniqueid}{suffix}.wav")))?;
            file.write_all(&header(0))?;
            Ok(file)
        };
        Ok([open("")?, open("-rx")?, open("-tx")?])
    }

    /// Starts the task appending audio every [`TICK`], unless it runs; it ends when no
    /// recording is left (or the simulator stops).
    fn start_ticking(self: &Arc<Self>, recorder: &mut Recorder) {
        if recorder.ticking {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // no runtime: audio is still written at every bridge change
        };
        recorder.ticking = true;
        let monitor = Arc::clone(self);
        runtime.spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(TICK) => {}
                    () = monitor.shutdown.cancelled() => break,
                }
                let mut recorder = monitor.lock();
                if recorder.active.is_empty() {
                    recorder.ticking = false;
                    return;
                }
                recorder.write_audio(monitor.clock.now());
            }
            monitor.lock().ticking = false;
        });
    }
}

impl Recorder {
    /// Takes `channel` out of its bridge, if it is in one.
    fn leave(&mut self, channel: &str) {
        if let Some(bridge) = self.bridge_of.remove(channel)
            && let Some(members) = self.members.get_mut(&bridge)
        {
            members.remove(channel);
            if members.is_empty() {
                self.members.remove(&bridge);
            }
        }
    }

    /// Whether `channel` is in a bridge with another channel.
    fn is_bridged(&self, channel: &str) -> bool {
        self.bridge_of
            .get(channel)
            .and_then(|bridge| self.members.get(bridge))
            .is_some_and(|members| members.len() >= 2)
    }

    /// Starts or stops the bridged time of each recording after a bridge change at `at`.
    fn update_bridged(&mut self, at: EpochMicros) {
        let bridged: Vec<(String, bool)> = self
            .active
            .keys()
            .map(|channel| (channel.clone(), self.is_bridged(channel)))
            .collect();
        for (channel, bridged) in bridged {
            let Some(recording) = self.active.get_mut(&channel) else {
                continue;
            };
            match (recording.bridged_since, bridged) {
                (None, true) => recording.bridged_since = Some(at),
                (Some(since), false) => {
                    recording.bridged_before += (at - since).max(0);
                    recording.bridged_since = None;
                }
                _ => {}
            }
        }
    }

    /// Appends the audio of every bridged recording up to `at`.
    fn write_audio(&mut self, at: EpochMicros) {
        let mut failed = Vec::new();
        for (channel, recording) in &mut self.active {
            if let Err(err) = recording.write_until(at) {
                tracing::warn!(uniqueid = %channel, error = %err, "cannot write MixMonitor audio");
                failed.push(channel.clone());
            }
        }
        for channel in failed {
            self.active.remove(&channel);
        }
    }
}

impl Recording {
    /// Appends the samples of the bridged time up to `at` not written yet.
    fn write_until(&mut self, at: EpochMicros) -> std::io::Result<()> {
        let bridged = self.bridged_before + self.bridged_since.map_or(0, |s| (at - s).max(0));
        let due = bridged * RATE / 1_000_000;
        if due <= self.samples {
            return Ok(());
        }
        let mut buffers = [Vec::new(), Vec::new(), Vec::new()];
        for n in self.samples..due {
            let (customer, agent) = (voice(n, 0, 220.0), voice(n, 1, 140.0));
            let mixed = (i32::from(customer) + i32::from(agent))
                .clamp(i32::from(i16::MIN), i32::from(i16::MAX));
            let mixed = i16::try_from(mixed).unwrap_or_default();
            for (buffer, sample) in buffers.iter_mut().zip([mixed, customer, agent]) {
                buffer.extend_from_slice(&sample.to_le_bytes());
            }
        }
        for (file, buffer) in self.files.iter_mut().zip(&buffers) {
            file.write_all(buffer)?;
        }
        self.samples = due;
        Ok(())
    }

    /// Writes the RIFF and `data` sizes in, as MixMonitor does when the channel hangs up.
    fn finalise(mut self) -> std::io::Result<()> {
        let data = u32::try_from(self.samples * 2).unwrap_or(u32::MAX);
        for file in &mut self.files {
            file.seek(SeekFrom::Start(4))?;
            file.write_all(&data.saturating_add(36).to_le_bytes())?;
            file.seek(SeekFrom::Start(40))?;
            file.write_all(&data.to_le_bytes())?;
            file.flush()?;
        }
        Ok(())
    }
}

/// The 44-byte header of an 8 kHz, 16-bit, mono PCM WAV holding `data` bytes of audio
/// (0: not finalised yet).
fn header(data: u32) -> [u8; HEADER_LEN] {
    let riff = if data == 0 { 0 } else { data + 36 };
    let mut h = [0u8; HEADER_LEN];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&riff.to_le_bytes());
    h[8..16].copy_from_slice(b"WAVEfmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&1u16.to_le_bytes()); // mono
    h[24..28].copy_from_slice(&8_000u32.to_le_bytes());
    h[28..32].copy_from_slice(&16_000u32.to_le_bytes()); // bytes per second
    h[32..34].copy_from_slice(&2u16.to_le_bytes()); // block align
    h[34..36].copy_from_slice(&16u16.to_le_bytes()); // bits per sample
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data.to_le_bytes());
    h
}

/// Sample `n` of a party "talking" in turn `turn` (0 or 1) of every two 2-second turns: a
/// tone of `pitch` Hz and its octave, four syllables a second; near silence otherwise.
fn voice(n: i64, turn: i64, pitch: f64) -> i16 {
    let t = n as f64 / RATE as f64;
    if (n / (2 * RATE)) % 2 != turn {
        return if n % 7 == 0 { 3 } else { 0 };
    }
    let tau = std::f64::consts::TAU;
    let syllables = (std::f64::consts::PI * 4.0 * t).sin().abs();
    let tone = (tau * pitch * t).sin() + 0.4 * (tau * 2.0 * pitch * t).sin();
    (tone * syllables * 6_000.0) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_mixmonitor_s() {
        // Capture 02's abandoned call: a finalised header over no audio.
        let abandoned = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/asterisk/recordings/1795343000.2.wav"
        ))
        .expect("fixture");
        let mut finalised = header(0);
        finalised[4..8].copy_from_slice(&36u32.to_le_bytes());
        assert_eq!(finalised.as_slice(), abandoned.as_slice());
        // Capture 11 (Asterisk killed while writing): sizes 0, the rest the same.
        let killed = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/asterisk/recordings/1795343347.0.wav"
        ))
        .expect("fixture");
        assert_eq!(&header(0)[..], &killed[..HEADER_LEN]);
        assert_eq!(&header(66_240 * 2)[..8], b"RIFF\xa4\x05\x02\x00");
    }
}
