//! Properties of the AMI codec: no input makes it panic or hold more than its limits, and
//! what the encoder writes the decoder reads back unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::BytesMut;
use cti::ami::{Action, AmiCodec, Frame, Frames, Limits, Message};
use proptest::prelude::*;
use tokio_util::codec::Decoder;

/// Bytes that look like AMI often enough to reach every branch.
fn ami_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop_oneof![
        Just(b"Event: ".to_vec()),
        Just(b"Asterisk Call Manager/11.0.0".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b":".to_vec()),
        Just(b" ".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..24),
    ];
    proptest::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

fn small_limits() -> Limits {
    Limits {
        max_line: 48,
        max_message: 160,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for frame in Frames::new(input.clone()) {
            let _ = frame;
        }
        let mut codec = AmiCodec::new();
        let mut buf = BytesMut::from(&input[..]);
        while let Ok(Some(_)) = codec.decode(&mut buf) {}
        let _ = codec.decode_eof(&mut buf);
    }

    #[test]
    fn ami_like_bytes_in_any_chunking_stay_within_limits(
        input in ami_like_bytes(),
        chunk in 1usize..64,
    ) {
        let limits = small_limits();
        let whole: Vec<_> = Frames::with_limits(input.clone(), limits).collect();
        let mut codec = AmiCodec::with_limits(limits);
        let mut buf = BytesMut::new();
        let mut streamed = Vec::new();
        let mut error = None;
        'feed: for part in input.chunks(chunk) {
            buf.extend_from_slice(part);
            loop {
                match codec.decode(&mut buf) {
                    Ok(Some(frame)) => streamed.push(frame),
                    Ok(None) => break,
                    Err(e) => { error = Some(e); break 'feed; }
                }
            }
            // Never more than one message plus one read is held.
            prop_assert!(buf.len() <= limits.max_message + chunk);
        }
        if error.is_none() {
            match codec.decode_eof(&mut buf) {
                Ok(Some(frame)) => streamed.push(frame),
                Ok(None) => {}
                Err(e) => error = Some(e),
            }
        }
        // Streaming and in-memory decoding agree on the frames and on failing.
        let whole_ok: Vec<Frame> = whole.iter().filter_map(|r| r.as_ref().ok().cloned()).collect();
        prop_assert_eq!(&streamed, &whole_ok);
        prop_assert_eq!(error.is_some(), whole.iter().any(Result::is_err));
        for frame in &whole_ok {
            if let Frame::Message(m) = frame {
                prop_assert!(m.as_bytes().len() <= limits.max_message);
                for h in m.headers() {
                    prop_assert!(h.key.len() + h.value.len() < limits.max_line);
                }
            }
        }
    }

    #[test]
    fn encode_then_decode_roundtrips(
        name in "[A-Za-z][A-Za-z0-9]{0,15}",
        id in proptest::option::of("[ -~]{0,20}"),
        headers in proptest::collection::vec(
            ("[!-9;-~][ -9;-~]{0,15}", "[^\r\n\u{0}]{0,40}"),
            0..12,
        ),
    ) {
        let mut action = Action::new(name.clone());
        if let Some(id) = &id {
            action = action.action_id(id.clone());
        }
        for (k, v) in &headers {
            // `Variable` values need a '='; other keys take any value.
            let v = if k.eq_ignore_ascii_case("variable") { format!("x={v}") } else { v.clone() };
            action = action.header(k.clone(), v);
        }
        let bytes = action.to_bytes().unwrap();
        let frames: Vec<Frame> = Frames::new(bytes.clone()).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(frames.len(), 1);
        let m = Message::parse(bytes).unwrap();
        let got: Vec<(String, String)> = m
            .headers()
            .map(|h| (h.key_str().unwrap().to_owned(), h.value_str().unwrap().to_owned()))
            .collect();
        let mut want = vec![("Action".to_owned(), name)];
        if let Some(id) = id {
            want.push(("ActionID".to_owned(), id));
        }
        want.extend(action.headers().map(|(k, v)| (k.to_owned(), v.to_owned())));
        prop_assert_eq!(got, want);
    }
}
