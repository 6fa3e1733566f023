//! Fuzz target: arbitrary bytes as a recording through the WAV reader, the header repair
//! and the waveform peaks. Any panic is a bug; a repaired file must read back as
//! consistent, and repairing it again must change nothing.

#![no_main]

use libfuzzer_sys::fuzz_target;
use recordings::repair::repair;
use recordings::{Wav, WavLimits, inspect, peaks};

fuzz_target!(|data: &[u8]| {
    let limits = WavLimits {
        max_bytes: 1 << 20,
    };
    if let Ok(wav) = Wav::parse(data, &limits) {
        let _ = peaks(&wav, 64);
        let _ = inspect(wav.bytes(), &limits);
    }
    if let Ok(fixed) = repair(data, &limits) {
        let again = repair(&fixed, &limits).expect("a repaired WAV repairs again");
        assert_eq!(again.as_ref(), fixed.as_ref(), "repair is idempotent");
    }
});
