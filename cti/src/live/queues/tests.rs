//! Tests of the live queues, from the fixtures' captures and hand-written events.

use super::*;
use crate::ami::{Frame, Frames};

fn capture(name: &str) -> Vec<Message> {
    let path = format!(
        "{}/../../shared/fixtures/asterisk/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(path).expect("capture");
    Frames::new(bytes)
        .filter_map(|f| match f {
            Ok(Frame::Message(m)) => Some(m),
            _ => None,
        })
        .collect()
}

#[test]
fn a_waiting_caller_appears_rings_and_leaves() {
    let mut board = QueueBoard::new();
    let mut seen_waiting = false;
    let mut seen_ringing = false;
    let mut seen_on_call = false;
    for msg in capture("01-inbound-answered.ami") {
        board.handle(&msg);
        for queue in board.snapshot() {
            seen_waiting |= queue.waiting.iter().any(|c| {
                c.number.as_deref() == Some("09121234567")
                    && c.name.as_deref() == Some("Ali Rezaei")
            });
            for member in &queue.members {
                seen_ringing |=
                    member.interface == "PJSIP/1001" && member.state == MemberState::Ringing;
                seen_on_call |=
                    member.interface == "PJSIP/1001" && member.state == MemberState::OnCall;
            }
        }
    }
    assert!(seen_waiting && seen_ringing && seen_on_call);
    let support = board
        .snapshot()
        .into_iter()
        .find(|q| q.name == "support")
        .expect("support");
    assert!(support.waiting.is_empty(), "the caller left the queue");
}

#[test]
fn a_joining_caller_s_escaped_name_is_unescaped_and_a_listed_one_kept() {
    let mut board = QueueBoard::new();
    // QueueCallerJoin carries the channel's name escaped (`ast_escape_c`) ...
    let join = Message::parse(
        &b"Event: QueueCallerJoin\r\nQueue: support\r\nUniqueid: 1.1\r\nPosition: 1\r\n\
           CallerIDNum: 09121234567\r\nCallerIDName: Tose\\'e \\\"A\\\\B\\\"\r\n\r\n"[..],
    )
    .unwrap();
    board.handle(&join);
    let waiting = |board: &QueueBoard| -> Vec<Option<String>> {
        board
            .snapshot()
            .into_iter()
            .flat_map(|q| q.waiting)
            .map(|c| c.name)
            .collect()
    };
    assert_eq!(waiting(&board), [Some("Tose'e \"A\\B\"".to_owned())]);
    // ... QueueStatus's QueueEntry as it is: `\t` here is no tab.
    let entry = Message::parse(
        &b"Event: QueueEntry\r\nQueue: sales\r\nUniqueid: 2.2\r\nPosition: 1\r\n\
           CallerIDNum: 09121234568\r\nCallerIDName: C:\\temp\r\nWait: 3\r\n\r\n"[..],
    )
    .unwrap();
    board.handle(&entry);
    board.handle(
        &Message::parse(&b"Event: QueueStatusComplete\r\nListItems: 1\r\n\r\n"[..]).unwrap(),
    );
    assert_eq!(waiting(&board), [Some("C:\\temp".to_owned())]);
}

#[test]
fn queue_status_replaces_the_board() {
    let mut board = QueueBoard::new();
    for msg in capture("10-state-queries.ami") {
        board.handle(&msg);
    }
    // The reconnect's QueueStatus lists members and no callers: stale callers go.
    for msg in capture("11-reconnect-resync.ami") {
        board.handle(&msg);
    }
    let queues = board.snapshot();
    assert_eq!(
        queues.iter().map(|q| q.name.as_str()).collect::<Vec<_>>(),
        vec!["sales", "support"]
    );
    assert!(queues.iter().all(|q| q.waiting.is_empty()));
    assert!(board.is_synced());
    assert!(board.connection_lost(), "no longer current");
    assert!(!board.is_synced() && !board.connection_lost());
    for msg in capture("11-reconnect-resync.ami") {
        board.handle(&msg);
    }
    assert!(board.is_synced(), "current again after the resync");
    let support = &queues[1];
    assert_eq!(support.members.len(), 3);
    assert!(
        support
            .members
            .iter()
            .all(|m| m.state == MemberState::Available)
    );
    let sales = &queues[0];
    assert!(
        sales
            .members
            .iter()
            .any(|m| m.interface == "Local/1002@queue-agents/n")
    );
}

#[test]
fn queue_entry_from_a_resync_knows_how_long_the_caller_waited() {
    let mut board = QueueBoard::new();
    let mut entry_seen = false;
    let mut shown = None;
    for msg in capture("10-state-queries.ami") {
        entry_seen |= msg.is_event("QueueEntry");
        let complete = msg.is_event("QueueStatusComplete");
        board.handle(&msg);
        if entry_seen && complete && shown.is_none() {
            shown = board
                .snapshot()
                .into_iter()
                .find(|q| q.name == "support")
                .and_then(|q| q.waiting.into_iter().next());
        }
    }
    let caller = shown.expect("the QueueStatus answer listed a waiting caller");
    assert_eq!(caller.uniqueid, "1795343298.108");
    assert_eq!(caller.name.as_deref(), Some("Sima Nouri"));
    assert_eq!(caller.position, 1);
    assert!(caller.joined_at_ms > 1_795_343_290_000);
    assert_eq!(
        parse_timestamp_ms("1795342979.722247"),
        Some(1_795_342_979_722)
    );
    assert_eq!(parse_timestamp_ms("1795342979"), Some(1_795_342_979_000));
}

#[test]
fn a_queue_forgets_its_longest_waiting_caller_past_the_bound() {
    let mut board = QueueBoard::new();
    for n in 0..=MAX_WAITING_PER_QUEUE {
        board.handle(&message(&format!(
            "Event: QueueCallerJoin\nTimestamp: {}.000000\nQueue: support\n\
             Uniqueid: 1.{n}\nPosition: {}\nCallerIDNum: 0912{n:07}",
            1_795_300_000 + n,
            n + 1
        )));
    }
    let waiting = &board.snapshot()[0].waiting;
    assert_eq!(waiting.len(), MAX_WAITING_PER_QUEUE);
    assert!(
        waiting.iter().all(|c| c.uniqueid != "1.0"),
        "the oldest went"
    );
    assert!(waiting.iter().any(|c| c.uniqueid == "1.1"));
}

fn message(text: &str) -> Message {
    let bytes = format!("{}\r\n\r\n", text.replace('\n', "\r\n"));
    match Frames::new(bytes.into_bytes()).next() {
        Some(Ok(Frame::Message(m))) => m,
        other => panic!("not a message: {other:?}"),
    }
}

fn member_state(board: &QueueBoard, queue: &str, interface: &str) -> MemberView {
    board
        .snapshot()
        .into_iter()
        .find(|q| q.name == queue)
        .and_then(|q| q.members.into_iter().find(|m| m.interface == interface))
        .expect("member on the board")
}

#[test]
fn an_unreachable_or_unregistered_phone_makes_its_member_unavailable() {
    let mut board = QueueBoard::new();
    for msg in capture("11-reconnect-resync.ami") {
        board.handle(&msg);
    }
    assert_eq!(
        member_state(&board, "support", "PJSIP/1001").state,
        MemberState::Available
    );
    let changed = board.handle(&message(
        "Event: ContactStatus\nTimestamp: 1795343500.000100\nURI: sip:1001@10.0.0.5:5060;ob\nContactStatus: Unreachable\nAOR: 1001\nEndpointName: 1001",
    ));
    assert!(changed);
    let member = member_state(&board, "support", "PJSIP/1001");
    assert_eq!(member.state, MemberState::Unavailable);
    assert_eq!(member.since_ms, Some(1_795_343_500_000));
    assert_eq!(member.registered_from.as_deref(), Some("10.0.0.5:5060"));

    board.handle(&message(
        "Event: ContactStatus\nURI: sip:1001@10.0.0.5:5060\nContactStatus: Reachable\nAOR: 1001\nEndpointName: 1001",
    ));
    assert_eq!(
        member_state(&board, "support", "PJSIP/1001").state,
        MemberState::Available
    );

    // A Local-channel member follows its extension's phone.
    board.handle(&message(
        "Event: DeviceStateChange\nDevice: PJSIP/1002\nState: UNAVAILABLE",
    ));
    assert_eq!(
        member_state(&board, "sales", "Local/1002@queue-agents/n").state,
        MemberState::Unavailable
    );
    assert!(!board.handle(&message(
        "Event: DeviceStateChange\nDevice: PJSIP/trunk\nState: INUSE"
    )));
    board.handle(&message(
        "Event: DeviceStateChange\nDevice: PJSIP/1002\nState: NOT_INUSE",
    ));
    assert_eq!(
        member_state(&board, "sales", "Local/1002@queue-agents/n").state,
        MemberState::Available
    );
}

#[test]
fn member_interfaces_name_their_extension() {
    assert_eq!(member_extension("PJSIP/1003"), Some("1003"));
    assert_eq!(member_extension("Local/1003@queue-agents/n"), Some("1003"));
    assert_eq!(member_extension("SIP/1003"), Some("1003"));
    assert_eq!(member_extension("PJSIP/trunk"), None);
    assert_eq!(member_extension("1003"), None);
}
