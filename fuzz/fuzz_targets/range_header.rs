//! Fuzz target: arbitrary `Range` header values against files of arbitrary length. Any
//! panic is a bug; so is a partial answer outside the file.

#![no_main]

use libfuzzer_sys::fuzz_target;
use recordings::{RangeRequest, parse_range};

fuzz_target!(|data: &[u8]| {
    // The first eight bytes are the file length, the rest the header value.
    let Some((length, header)) = data.split_first_chunk::<8>() else {
        return;
    };
    let length = u64::from_le_bytes(*length) >> (length[0] % 64);
    let Ok(header) = std::str::from_utf8(header) else {
        return;
    };
    if let RangeRequest::Partial(range) = parse_range(Some(header), length) {
        assert!(range.first <= range.last, "{header:?} on {length}: {range:?}");
        assert!(range.last < length, "{header:?} on {length}: {range:?}");
        let _ = range.content_range(length);
    }
});
