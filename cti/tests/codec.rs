//! The AMI codec on raw bytes: framing rules, incremental decoding, limits, a `Framed`
//! transport, and every capture in the fixtures decoded to the right number of messages.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::BytesMut;
use cti::ami::{Action, AmiCodec, CodecError, Frame, Frames, Limits, Message};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio_util::codec::{Decoder, FramedRead};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/asterisk"
);

const LOGIN_EXCHANGE: &[u8] = b"Asterisk Call Manager/11.0.0\r\n\
Response: Success\r\n\
ActionID: tamas-27271-001\r\n\
Message: Authentication accepted\r\n\
\r\n\
Event: OriginateResponse\r\n\
Privilege: call,all\r\n\
Timestamp: 1795343039.951433\r\n\
ActionID: tamas-27271-002\r\n\
Response: Success\r\n\
Channel: PJSIP/1002-00000009\r\n\
AccountCode: \r\n\
EventTV: 2026-11-22T10:22:58.587+0000\r\n\
ChanVariable(PJSIP/1002-00000009): DID=\r\n\
ChanVariable(PJSIP/1002-00000009): TAMAS_CLICK_ID=ctc-7f3a\r\n\
\r\n";

fn all_frames(input: &[u8]) -> Vec<Frame> {
    Frames::new(input.to_vec())
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

fn messages(input: &[u8]) -> Vec<Message> {
    all_frames(input)
        .into_iter()
        .filter_map(Frame::into_message)
        .collect()
}

#[test]
fn banner_then_messages() {
    let frames = all_frames(LOGIN_EXCHANGE);
    assert_eq!(frames.len(), 3);
    let Frame::Banner(banner) = &frames[0] else {
        panic!("first frame is {:?}", frames[0]);
    };
    assert_eq!(banner.version(), Some("11.0.0"));
    assert_eq!(banner.line(), b"Asterisk Call Manager/11.0.0");
    let login = frames[1].as_message().unwrap();
    assert_eq!(login.response(), Some("Success"));
    assert_eq!(login.action_id(), Some("tamas-27271-001"));
    let orig = frames[2].as_message().unwrap();
    assert!(orig.is_event("OriginateResponse"));
    assert_eq!(orig.get("AccountCode"), Some(""));
    assert_eq!(orig.get("EventTV"), Some("2026-11-22T10:22:58.587+0000"));
    assert_eq!(orig.chan_variable("TAMAS_CLICK_ID"), Some("ctc-7f3a"));
    assert_eq!(
        orig.get_all("ChanVariable(PJSIP/1002-00000009)")
            .collect::<Vec<_>>(),
        ["DID=", "TAMAS_CLICK_ID=ctc-7f3a"]
    );
    assert!(orig.as_bytes().ends_with(b"ctc-7f3a\r\n\r\n"));
}

#[test]
fn bare_line_feeds_and_blank_lines_between_messages() {
    let input = b"\r\n\nEvent: A\nKey: 1\n\n\n\r\nEvent: B\r\nKey: 2\n\r\n";
    let ms = messages(input);
    assert_eq!(ms.len(), 2);
    assert_eq!(ms[0].event(), Some("A"));
    assert_eq!(ms[0].get("Key"), Some("1"));
    assert_eq!(ms[1].get("key"), Some("2"));
}

#[test]
fn only_one_space_after_the_colon_is_dropped() {
    let ms = messages(b"Event: X\r\nA:  two\r\nB:none\r\nC:\r\nD: trailing \r\n\r\n");
    let m = &ms[0];
    assert_eq!(m.get("A"), Some(" two"));
    assert_eq!(m.get("B"), Some("none"));
    assert_eq!(m.get("C"), Some(""));
    assert_eq!(m.get("D"), Some("trailing "));
}

#[test]
fn non_utf8_bytes_do_not_break_decoding() {
    let ms = messages(
        b"Event: Newchannel\r\nCallerIDName: \xd8\xb9\xd9\x84\xdb\x8c \xff\r\nK\xfe: v\r\n\r\n",
    );
    let m = &ms[0];
    assert_eq!(m.get("CallerIDName"), None);
    assert_eq!(m.get_lossy("CallerIDName").unwrap(), "علی \u{fffd}");
    let h: Vec<_> = m.headers().collect();
    assert_eq!(h[2].key, b"K\xfe");
    assert_eq!(h[2].key_str(), None);
    assert_eq!(h[2].value_str(), Some("v"));
}

#[test]
fn a_line_without_colon_is_reported() {
    let err = Frames::new(&b"Event: X\r\nthis is not a header\r\n\r\n"[..])
        .find_map(Result::err)
        .unwrap();
    match err {
        CodecError::MissingColon { line_no, excerpt } => {
            assert_eq!(line_no, 2);
            assert_eq!(excerpt, "this is not a header");
        }
        other => panic!("{other}"),
    }
    // Not AMI at all (an HTTP server on the AMI port).
    let err = Frames::new(&b"HTTP/1.1 400 Bad Request\r\n\r\n"[..])
        .next()
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(err, CodecError::MissingColon { line_no: 1, .. }),
        "{err}"
    );
}

#[test]
fn input_ending_inside_a_message_is_incomplete() {
    let mut frames = Frames::new(&b"Event: A\r\n\r\nEvent: B\r\nKey: 1\r\n"[..]);
    assert!(frames.next().unwrap().is_ok());
    assert!(matches!(
        frames.next().unwrap(),
        Err(CodecError::Incomplete { len: 18 })
    ));
    assert!(frames.next().is_none());
}

/// Every split of the input into two reads, and byte-by-byte feeding, give the same frames.
#[test]
fn incremental_decoding_at_every_byte_boundary() {
    let expected = all_frames(LOGIN_EXCHANGE);
    for split in 0..=LOGIN_EXCHANGE.len() {
        let mut codec = AmiCodec::new();
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for part in [&LOGIN_EXCHANGE[..split], &LOGIN_EXCHANGE[split..]] {
            buf.extend_from_slice(part);
            while let Some(frame) = codec.decode(&mut buf).unwrap() {
                got.push(frame);
            }
        }
        assert!(codec.decode_eof(&mut buf).unwrap().is_none());
        assert_eq!(got, expected, "split at {split}");
    }
    let mut codec = AmiCodec::new();
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    for byte in LOGIN_EXCHANGE {
        buf.extend_from_slice(&[*byte]);
        while let Some(frame) = codec.decode(&mut buf).unwrap() {
            got.push(frame);
        }
    }
    assert_eq!(got, expected);
}

#[test]
fn oversize_line_is_an_error_even_before_its_end() {
    let limits = Limits {
        max_line: 32,
        max_message: 1024,
    };
    let mut codec = AmiCodec::with_limits(limits);
    let mut buf = BytesMut::from(&b"Event: X\r\nKey: "[..]);
    assert!(codec.decode(&mut buf).unwrap().is_none());
    buf.extend_from_slice(&[b'a'; 40]);
    let err = codec.decode(&mut buf).unwrap_err();
    assert!(
        matches!(err, CodecError::LineTooLong { limit: 32, .. }),
        "{err}"
    );
    assert!(buf.is_empty(), "the buffer is dropped after an error");

    let long_line = format!("Event: X\r\nKey: {}\r\n\r\n", "b".repeat(40));
    let err = Frames::with_limits(long_line.into_bytes(), limits)
        .next()
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(err, CodecError::LineTooLong { limit: 32, len: 45 }),
        "{err}"
    );
}

#[test]
fn a_line_of_exactly_the_limit_passes_whatever_the_chunks() {
    let limits = Limits {
        max_line: 32,
        max_message: 1024,
    };
    // "Key: " + 27 bytes = 32: at the limit, not over it.
    let text = format!("Event: X\r\nKey: {}\r\n\r\n", "c".repeat(27));
    let mut codec = AmiCodec::with_limits(limits);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for byte in text.as_bytes() {
        buf.extend_from_slice(&[*byte]);
        while let Some(frame) = codec.decode(&mut buf).unwrap() {
            frames.push(frame);
        }
    }
    let whole: Vec<_> = Frames::with_limits(text.into_bytes(), limits)
        .map(Result::unwrap)
        .collect();
    assert_eq!(frames, whole);
    assert_eq!(frames.len(), 1);
}

#[test]
fn oversize_message_is_an_error() {
    let limits = Limits {
        max_line: 64,
        max_message: 100,
    };
    let mut input = b"Event: X\r\n".to_vec();
    for i in 0..20 {
        input.extend_from_slice(format!("Key{i}: value\r\n").as_bytes());
    }
    input.extend_from_slice(b"\r\n");
    let err = Frames::with_limits(input.clone(), limits)
        .next()
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(err, CodecError::MessageTooLong { limit: 100, .. }),
        "{err}"
    );

    // Streaming: many short reads never hold more than the limit.
    let mut codec = AmiCodec::with_limits(limits);
    let mut buf = BytesMut::new();
    let mut failed = None;
    for chunk in input.chunks(7) {
        buf.extend_from_slice(chunk);
        match codec.decode(&mut buf) {
            Ok(None) => assert!(buf.len() <= 100 + 7),
            Ok(Some(frame)) => panic!("decoded {frame:?}"),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    assert!(matches!(failed, Some(CodecError::MessageTooLong { .. })));
    // A message one byte over the limit fails, one right at it passes.
    let exact = Limits {
        max_line: 64,
        max_message: 14,
    };
    assert!(matches!(
        Frames::with_limits(&b"Event: Ping\r\n\r\n"[..], exact).next(),
        Some(Err(CodecError::MessageTooLong { limit: 14, len: 15 }))
    ));
    let ok = Limits {
        max_line: 64,
        max_message: 15,
    };
    assert!(
        Frames::with_limits(&b"Event: Ping\r\n\r\n"[..], ok)
            .next()
            .unwrap()
            .is_ok()
    );
}

#[test]
fn decode_eof_reports_a_truncated_message() {
    let mut codec = AmiCodec::new();
    let mut buf = BytesMut::from(&b"Event: A\r\nKey: 1\r\n"[..]);
    assert!(codec.decode(&mut buf).unwrap().is_none());
    assert!(matches!(
        codec.decode_eof(&mut buf),
        Err(CodecError::Incomplete { len: 18 })
    ));
}

#[tokio::test]
async fn sits_under_a_framed_reader() {
    let (mut writer, reader) = tokio::io::duplex(64);
    let feeder = tokio::spawn(async move {
        for chunk in LOGIN_EXCHANGE.chunks(5) {
            writer.write_all(chunk).await.unwrap();
        }
    });
    let mut framed = FramedRead::new(reader, AmiCodec::new());
    let mut got = Vec::new();
    while let Some(frame) = framed.next().await {
        got.push(frame.unwrap());
    }
    feeder.await.unwrap();
    assert_eq!(got, all_frames(LOGIN_EXCHANGE));
}

#[test]
fn actions_decode_back_to_their_headers() {
    let action = Action::new("QueuePause")
        .action_id("tamas-1")
        .header("Queue", "support")
        .header("Interface", "PJSIP/1003")
        .header("Reason", "lunch: 30 min")
        .variable("A", "");
    let bytes = action.to_bytes().unwrap();
    let m = Message::parse(bytes).unwrap();
    assert_eq!(m.get("Action"), Some("QueuePause"));
    assert_eq!(m.action_id(), Some("tamas-1"));
    assert_eq!(m.get("Reason"), Some("lunch: 30 min"));
    assert_eq!(m.get("Variable"), Some("A="));
}

/// (file, messages after the banner) for every capture of the fixtures.
const CAPTURES: &[(&str, usize)] = &[
    ("01-inbound-answered.ami", 159),
    ("01-inbound-answered.sent.ami", 2),
    ("02-inbound-abandoned.ami", 268),
    ("02-inbound-abandoned.sent.ami", 2),
    ("03-ring-no-answer.ami", 180),
    ("03-ring-no-answer.sent.ami", 2),
    ("04-click-to-call.ami", 110),
    ("04-click-to-call.sent.ami", 3),
    ("05-attended-transfer.ami", 309),
    ("05-attended-transfer.sent.ami", 3),
    ("05-blind-transfer.ami", 214),
    ("05-blind-transfer.sent.ami", 3),
    ("06-outbound-from-phone.ami", 99),
    ("06-outbound-from-phone.sent.ami", 2),
    ("07-internal-call.ami", 100),
    ("07-internal-call.sent.ami", 2),
    ("10-failed-login.ami", 1),
    ("10-failed-login.sent.ami", 1),
    ("10-state-queries.ami", 343),
    ("10-state-queries.sent.ami", 20),
    ("11-asterisk-killed.ami", 100),
    ("11-asterisk-killed.sent.ami", 1),
    ("11-asterisk-stopped.ami", 151),
    ("11-asterisk-stopped.sent.ami", 1),
    ("11-reconnect-resync.ami", 16),
    ("11-reconnect-resync.sent.ami", 4),
    ("12-sales-local-members.ami", 355),
    ("12-sales-local-members.sent.ami", 2),
];

#[test]
fn every_capture_decodes_to_its_message_count() {
    let mut on_disk: Vec<String> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".ami"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<&str> = CAPTURES.iter().map(|(n, _)| *n).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "a capture is missing from CAPTURES");

    for (name, count) in CAPTURES {
        let bytes = std::fs::read(format!("{FIXTURES}/{name}")).unwrap();
        let frames: Vec<Frame> = Frames::new(bytes.clone())
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let banners = frames
            .iter()
            .filter(|f| matches!(f, Frame::Banner(_)))
            .count();
        let is_server_side = !name.ends_with(".sent.ami");
        assert_eq!(banners, usize::from(is_server_side), "{name}");
        assert_eq!(frames.len() - banners, *count, "{name}");
        // Every message holds its own bytes; together with the banner they are the file.
        let total: usize = frames
            .iter()
            .map(|f| match f {
                Frame::Banner(b) => b.line().len() + 2,
                Frame::Message(m) => m.as_bytes().len(),
            })
            .sum();
        assert_eq!(total, bytes.len(), "{name}");
        // The streaming codec agrees, fed in odd-sized reads.
        let mut codec = AmiCodec::new();
        let mut buf = BytesMut::new();
        let mut streamed = Vec::new();
        for chunk in bytes.chunks(1021) {
            buf.extend_from_slice(chunk);
            while let Some(frame) = codec.decode(&mut buf).unwrap() {
                streamed.push(frame);
            }
        }
        assert!(codec.decode_eof(&mut buf).unwrap().is_none());
        assert_eq!(streamed, frames, "{name}");
    }
}
