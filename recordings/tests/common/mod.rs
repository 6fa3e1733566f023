//! Shared test helpers: the Asterisk fixture recordings and their facts.

#![allow(dead_code)] // each test binary uses its own subset

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

/// The fixture recordings folder.
pub const RECORDINGS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/asterisk/recordings"
);

/// The fixtures folder (facts files).
pub const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/asterisk"
);

/// One file's facts from `calls_detail[].recordings[]`, plus the call's direction.
#[derive(Debug, Clone)]
pub struct FileFacts {
    pub file: String,
    pub uniqueid: String,
    pub direction: String,
    pub sample_rate: u32,
    pub channels: u16,
    pub bits_per_sample: u16,
    pub data_bytes_present: u64,
    pub duration_s: f64,
    pub header_consistent: bool,
}

/// Facts of every fixture recording, by file name.
pub fn file_facts() -> BTreeMap<String, FileFacts> {
    let mut facts = BTreeMap::new();
    for entry in fs::read_dir(FIXTURES).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".facts.json") {
            continue;
        }
        let json: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        let directions: BTreeMap<String, String> = json["expected"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|call| {
                (
                    call["linkedid"].as_str().unwrap().to_owned(),
                    call["direction"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        for call in json["calls_detail"].as_array().into_iter().flatten() {
            let linkedid = call["linkedid"].as_str().unwrap();
            for rec in call["recordings"].as_array().into_iter().flatten() {
                let file = rec["file"].as_str().unwrap().to_owned();
                facts.insert(
                    file.clone(),
                    FileFacts {
                        file,
                        uniqueid: rec["recorded_channel_uniqueid"]
                            .as_str()
                            .unwrap()
                            .to_owned(),
                        direction: directions[linkedid].clone(),
                        sample_rate: rec["sample_rate"].as_u64().unwrap() as u32,
                        channels: rec["channels"].as_u64().unwrap() as u16,
                        bits_per_sample: rec["bits_per_sample"].as_u64().unwrap() as u16,
                        data_bytes_present: rec["data_bytes_present"].as_u64().unwrap(),
                        duration_s: rec["duration_s"].as_f64().unwrap(),
                        header_consistent: rec["header_consistent"].as_bool().unwrap(),
                    },
                );
            }
        }
    }
    facts
}

/// Names of every `.wav` in the fixture folder, sorted.
pub fn fixture_wavs() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(RECORDINGS)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".wav"))
        .collect();
    names.sort();
    names
}

/// The bytes of one fixture recording.
pub fn read(name: &str) -> Vec<u8> {
    fs::read(PathBuf::from(RECORDINGS).join(name)).unwrap()
}

/// All samples of a WAV as i32 (interleaved).
pub fn samples(bytes: &[u8]) -> (hound::WavSpec, Vec<i32>) {
    let mut reader = hound::WavReader::new(std::io::Cursor::new(bytes)).unwrap();
    let spec = reader.spec();
    let samples = reader.samples::<i32>().map(Result::unwrap).collect();
    (spec, samples)
}

/// A canonical 44-byte header for `data_len` bytes of audio.
pub fn header(format_tag: u16, channels: u16, rate: u32, bits: u16, data_len: u32) -> Vec<u8> {
    let block_align = channels * bits / 8;
    let mut h = Vec::with_capacity(44);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(36 + data_len).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&format_tag.to_le_bytes());
    h.extend_from_slice(&channels.to_le_bytes());
    h.extend_from_slice(&rate.to_le_bytes());
    h.extend_from_slice(&(rate * u32::from(block_align)).to_le_bytes());
    h.extend_from_slice(&block_align.to_le_bytes());
    h.extend_from_slice(&bits.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_len.to_le_bytes());
    h
}

/// A valid 8 kHz 16-bit mono WAV holding `samples`.
pub fn mono_wav(samples: &[i16]) -> Vec<u8> {
    let mut bytes = header(1, 1, 8000, 16, (samples.len() * 2) as u32);
    for s in samples {
        bytes.extend_from_slice(&s.to_le_bytes());
    }
    bytes
}
