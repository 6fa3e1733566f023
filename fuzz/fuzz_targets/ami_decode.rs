//! Fuzz target: arbitrary bytes through the AMI decoder, whole and in reads of varying size.
//! Any panic, or a buffer held past the limits, is a bug.

#![no_main]

use bytes::BytesMut;
use cti::ami::{AmiCodec, Frame, Frames, Limits};
use libfuzzer_sys::fuzz_target;
use tokio_util::codec::Decoder;

const LIMITS: Limits = Limits {
    max_line: 256,
    max_message: 2048,
};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the read size, the rest is the stream.
    let Some((&chunk, stream)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);

    let whole: Vec<_> = Frames::with_limits(stream.to_vec(), LIMITS).collect();
    for frame in whole.iter().flatten() {
        if let Frame::Message(m) = frame {
            assert!(m.as_bytes().len() <= LIMITS.max_message);
            let _ = (m.event(), m.get_lossy("Channel"), m.chan_variable("DID"));
        }
    }

    let mut codec = AmiCodec::with_limits(LIMITS);
    let mut buf = BytesMut::new();
    for part in stream.chunks(chunk) {
        buf.extend_from_slice(part);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
        assert!(buf.len() <= LIMITS.max_message + chunk);
    }
    let _ = codec.decode_eof(&mut buf);
});
