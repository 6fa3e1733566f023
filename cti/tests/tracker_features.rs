//! The tracker on hand-written event sequences for what the captures do not show: hold,
//! blind and attended transfers (fields as Asterisk 22 documents `BlindTransfer` and
//! `AttendedTransfer`), shutdown, and never emitting a call twice.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cti::ami::Message;
use cti::replay::replay_files;
use cti::tracker::{
    AgentSettings, CallEvent, CallEventKind, CallRecord, CallTracker, Direction, HangupBy,
    TrackerSettings, TransferKind,
};

const T0: f64 = 1_800_000_000.0;

/// A scripted PBX: writes AMI events as text and feeds them to a tracker.
struct Pbx {
    tracker: CallTracker,
    events: Vec<CallEvent>,
}

impl Pbx {
    fn new() -> Self {
        let agent = |ext: &str, name: &str| AgentSettings {
            extension: ext.into(),
            name: Some(name.into()),
            devices: vec![],
        };
        let settings = TrackerSettings {
            pbx: "test".into(),
            agents: vec![
                agent("1001", "Sara"),
                agent("1002", "Reza"),
                agent("1003", "Maryam"),
            ],
            trunks: vec!["trunk".into()],
            ..TrackerSettings::default()
        };
        Pbx {
            tracker: CallTracker::new(settings),
            events: Vec::new(),
        }
    }

    fn feed(&mut self, text: &str) {
        let msg = Message::parse(text.replace('\n', "\r\n").into_bytes()).unwrap();
        self.tracker.handle(&msg, &mut self.events);
    }

    /// A channel event at `T0 + at` seconds.
    fn chan(&mut self, event: &str, at: f64, ch: (&str, &str, &str), extra: &str) {
        let (name, uid, linkedid) = ch;
        self.feed(&format!(
            "Event: {event}\nTimestamp: {:.6}\nChannel: {name}\nUniqueid: {uid}\nLinkedid: {linkedid}\n{extra}",
            T0 + at
        ));
    }

    fn new_channel(&mut self, at: f64, ch: (&str, &str, &str), caller: &str, exten: &str) {
        self.chan(
            "Newchannel",
            at,
            ch,
            &format!(
                "ChannelState: 0\nCallerIDNum: {caller}\nCallerIDName: <unknown>\nExten: {exten}\n"
            ),
        );
    }

    fn dial(
        &mut self,
        event: &str,
        at: f64,
        from: (&str, &str, &str),
        to: (&str, &str, &str),
        extra: &str,
    ) {
        let (name, uid, linkedid) = to;
        self.chan(
            event,
            at,
            from,
            &format!("DestChannel: {name}\nDestUniqueid: {uid}\nDestLinkedid: {linkedid}\n{extra}"),
        );
    }

    /// `from` dials `to`, which rings and answers `ring` seconds later.
    fn dial_and_answer(
        &mut self,
        at: f64,
        from: (&str, &str, &str),
        to: (&str, &str, &str),
        ring: f64,
    ) {
        self.new_channel(at, to, "x", "s");
        self.dial("DialBegin", at, from, to, "DialString: x\n");
        self.chan("Newstate", at + ring, to, "ChannelState: 6\n");
        self.dial("DialEnd", at + ring, from, to, "DialStatus: ANSWER\n");
    }

    fn hangup(&mut self, at: f64, ch: (&str, &str, &str), request: bool) {
        if request {
            self.chan("HangupRequest", at, ch, "");
        }
        self.chan("Hangup", at, ch, "Cause: 16\n");
    }

    fn ended(&self) -> Vec<&CallRecord> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                CallEventKind::Ended(r) => Some(r.as_ref()),
                _ => None,
            })
            .collect()
    }

    fn kinds(&self, name: &str) -> Vec<&CallEvent> {
        self.events
            .iter()
            .filter(|e| serde_json::to_value(e).unwrap()["type"] == name)
            .collect()
    }
}

const CUSTOMER: (&str, &str, &str) = ("PJSIP/trunk-00000001", "1800000000.1", "1800000000.1");
const AGENT1: (&str, &str, &str) = ("PJSIP/1001-00000002", "1800000000.2", "1800000000.1");

/// A customer calls in and agent 1001 answers after 2 s (at T0+2).
fn answered_call(pbx: &mut Pbx) {
    pbx.new_channel(0.0, CUSTOMER, "09121234567", "02191001000");
    pbx.dial_and_answer(0.0, CUSTOMER, AGENT1, 2.0);
}

#[test]
fn hold_and_music_on_hold_count_once() {
    let mut pbx = Pbx::new();
    answered_call(&mut pbx);
    pbx.chan("Hold", 10.0, AGENT1, "MusicClass: default\n");
    pbx.chan("MusicOnHoldStart", 10.000_1, CUSTOMER, "Class: default\n");
    pbx.chan("MusicOnHoldStop", 25.0, CUSTOMER, "");
    pbx.chan("Unhold", 25.000_2, AGENT1, "");
    pbx.chan("Hold", 30.0, AGENT1, "");
    pbx.chan("Unhold", 32.5, AGENT1, "");
    pbx.hangup(40.0, CUSTOMER, true);
    pbx.hangup(40.001, AGENT1, false);
    assert_eq!(pbx.kinds("held").len(), 2);
    let unheld: Vec<_> = pbx
        .kinds("unheld")
        .iter()
        .map(|e| match e.kind {
            CallEventKind::Unheld { hold_ms } => hold_ms,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(unheld, [15_000, 2_500]);
    let rec = pbx.ended()[0];
    assert_eq!(rec.hold_ms, 17_500);
    assert_eq!(rec.talk_ms, Some(38_000));
    assert_eq!(rec.direction, Direction::Inbound);
    assert_eq!(rec.answered_by_extension.as_deref(), Some("1001"));
    assert_eq!(rec.hangup_by, Some(HangupBy::Customer));
}

#[test]
fn blind_transfer_moves_the_customer_to_the_next_agent() {
    let mut pbx = Pbx::new();
    answered_call(&mut pbx);
    let l = CUSTOMER.2;
    pbx.feed(&format!(
        "Event: BlindTransfer\nTimestamp: {:.6}\nResult: Success\n\
         TransfererChannel: {}\nTransfererUniqueid: {}\nTransfererLinkedid: {l}\n\
         TransfereeChannel: {}\nTransfereeUniqueid: {}\nTransfereeLinkedid: {l}\n\
         BridgeUniqueid: b-1\nBridgeType: basic\nIsExternal: Yes\nContext: transfer\nExtension: 1002\n",
        T0 + 12.0,
        AGENT1.0,
        AGENT1.1,
        CUSTOMER.0,
        CUSTOMER.1
    ));
    // The transferring phone hangs up its leg: not the end of the call.
    pbx.hangup(12.1, AGENT1, true);
    let agent2 = ("PJSIP/1002-00000003", "1800000012.3", l);
    pbx.dial_and_answer(12.2, CUSTOMER, agent2, 3.0);
    pbx.hangup(30.0, agent2, true);
    pbx.hangup(30.001, CUSTOMER, false);

    let rec = pbx.ended()[0];
    assert_eq!(rec.transfers.len(), 1);
    let t = &rec.transfers[0];
    assert_eq!(t.kind, TransferKind::Blind);
    assert!(t.succeeded);
    assert_eq!(t.from_extension.as_deref(), Some("1001"));
    assert_eq!(t.to_extension.as_deref(), Some("1002"));
    assert_eq!(t.target.as_deref(), Some("1002@transfer"));
    assert_eq!(rec.answered_by_extension.as_deref(), Some("1001"));
    assert_eq!(rec.hangup_by, Some(HangupBy::Agent));
    assert_eq!(rec.hangup_by_extension.as_deref(), Some("1002"));
    assert_eq!(rec.talk_ms, Some(28_001));
    let segments: Vec<_> = rec
        .agent_segments
        .iter()
        .map(|s| (s.extension.as_str(), s.talk_ms))
        .collect();
    assert_eq!(segments, [("1001", Some(10_100)), ("1002", Some(14_800))]);
    // The transfer target's phone pops with the customer's number.
    let ringing: Vec<_> = pbx
        .kinds("agent_ringing")
        .iter()
        .map(|e| match &e.kind {
            CallEventKind::AgentRinging {
                extension,
                caller_number,
                ..
            } => (extension.clone(), caller_number.clone()),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        ringing,
        [
            ("1001".to_owned(), Some("09121234567".to_owned())),
            ("1002".to_owned(), Some("09121234567".to_owned()))
        ]
    );
    assert_eq!(pbx.kinds("transferred").len(), 1);
}

#[test]
fn attended_transfer_joins_the_target_to_the_customer_call() {
    let mut pbx = Pbx::new();
    answered_call(&mut pbx);
    let l1 = CUSTOMER.2;
    // Agent 1001 holds the customer and calls 1002 from a second line: a call of its own.
    pbx.chan("Hold", 10.0, AGENT1, "");
    pbx.chan("MusicOnHoldStart", 10.0, CUSTOMER, "");
    let consult = ("PJSIP/1001-00000003", "1800000011.3", "1800000011.3");
    let target = ("PJSIP/1002-00000004", "1800000011.4", "1800000011.3");
    pbx.new_channel(11.0, consult, "1001", "1002");
    pbx.dial_and_answer(11.0, consult, target, 2.0);
    pbx.feed(&format!(
        "Event: AttendedTransfer\nTimestamp: {:.6}\nResult: Success\n\
         OrigTransfererChannel: {}\nOrigTransfererUniqueid: {}\nOrigTransfererLinkedid: {l1}\n\
         OrigBridgeUniqueid: b-1\n\
         SecondTransfererChannel: {}\nSecondTransfererUniqueid: {}\nSecondTransfererLinkedid: {}\n\
         SecondTransfererConnectedLineNum: 1002\nSecondBridgeUniqueid: b-2\n\
         TransfereeChannel: {}\nTransfereeUniqueid: {}\nTransfereeLinkedid: {l1}\n\
         TransferTargetChannel: {}\nTransferTargetUniqueid: {}\nTransferTargetLinkedid: {}\n\
         IsExternal: No\nDestType: Bridge\nDestBridgeUniqueid: b-1\n",
        T0 + 20.0,
        AGENT1.0,
        AGENT1.1,
        consult.0,
        consult.1,
        consult.2,
        CUSTOMER.0,
        CUSTOMER.1,
        target.0,
        target.1,
        target.2,
    ));
    // Bridging gives the target the customer call's (older) Linkedid.
    let moved = (target.0, target.1, l1);
    pbx.chan("BridgeEnter", 20.001, moved, "BridgeUniqueid: b-1\n");
    pbx.chan("MusicOnHoldStop", 20.001, CUSTOMER, "");
    pbx.hangup(20.002, AGENT1, true);
    pbx.hangup(20.003, consult, true);
    pbx.hangup(50.0, CUSTOMER, true);
    pbx.hangup(50.001, moved, false);

    let ended = pbx.ended();
    assert_eq!(ended.len(), 2);
    let consult_rec = ended.iter().find(|r| r.linkedid == consult.2).unwrap();
    assert_eq!(consult_rec.direction, Direction::Internal);
    assert_eq!(consult_rec.from_extension.as_deref(), Some("1001"));
    assert_eq!(consult_rec.to_extension.as_deref(), Some("1002"));
    let rec = ended.iter().find(|r| r.linkedid == l1).unwrap();
    assert_eq!(rec.transfers.len(), 1);
    let t = &rec.transfers[0];
    assert_eq!(t.kind, TransferKind::Attended);
    assert_eq!(t.from_extension.as_deref(), Some("1001"));
    assert_eq!(t.to_extension.as_deref(), Some("1002"));
    assert_eq!(t.target.as_deref(), Some(target.0));
    assert_eq!(rec.hangup_by, Some(HangupBy::Customer));
    assert_eq!(rec.talk_ms, Some(48_000));
    assert_eq!(
        rec.hold_ms, 10_002,
        "held from 10.0 until the transferer's leg left"
    );
    let segments: Vec<_> = rec
        .agent_segments
        .iter()
        .map(|s| (s.extension.as_str(), s.talk_ms))
        .collect();
    assert_eq!(segments, [("1001", Some(18_002)), ("1002", Some(30_000))]);
    assert_eq!(pbx.tracker.open_calls(), 0);
}

#[test]
fn shutdown_hangups_are_the_system_and_nothing_is_emitted_twice() {
    let mut pbx = Pbx::new();
    answered_call(&mut pbx);
    // A second call still ringing when Asterisk stops without hanging it up.
    let other = ("PJSIP/trunk-00000005", "1800000001.5", "1800000001.5");
    pbx.new_channel(1.0, other, "09350000000", "02191001000");
    pbx.chan("SoftHangupRequest", 5.0, CUSTOMER, "Cause: 4\n");
    pbx.chan("SoftHangupRequest", 5.0, AGENT1, "Cause: 4\n");
    pbx.hangup(5.001, AGENT1, false);
    pbx.hangup(5.002, CUSTOMER, false);
    pbx.feed(&format!(
        "Event: Shutdown\nTimestamp: {:.6}\nShutdown: Cleanly\nRestart: False\n",
        T0 + 5.5
    ));
    pbx.feed(&format!(
        "Event: Shutdown\nTimestamp: {:.6}\nShutdown: Cleanly\nRestart: False\n",
        T0 + 5.6
    ));
    pbx.tracker.connection_lost();
    pbx.feed("Event: CoreShowChannelsComplete\nEventList: Complete\nListItems: 0\n");
    // Stray events of the ended calls change nothing.
    pbx.hangup(5.7, CUSTOMER, true);
    pbx.new_channel(5.8, AGENT1, "1001", "s");
    let ended = pbx.ended();
    assert_eq!(ended.len(), 2, "{ended:?}");
    let first = ended.iter().find(|r| r.linkedid == CUSTOMER.2).unwrap();
    assert_eq!(first.hangup_by, Some(HangupBy::System));
    assert!(first.end_known);
    assert_eq!(first.talk_ms, Some(3_002));
    let second = ended.iter().find(|r| r.linkedid == other.2).unwrap();
    assert!(!second.end_known);
    assert_eq!(second.hangup_by, None);
    assert_eq!(second.ended_at_ms, 1_800_000_005_500);
    assert_eq!(pbx.tracker.open_calls(), 0);
}

#[test]
fn a_capture_replayed_twice_still_yields_each_call_once() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/asterisk/01-inbound-answered.ami"
    );
    let mut tracker = CallTracker::new(TrackerSettings {
        trunks: vec!["trunk".into()],
        ..TrackerSettings::default()
    });
    let replay = replay_files(&mut tracker, &[file, file]).unwrap();
    assert_eq!(replay.records.len(), 1);
    assert_eq!(replay.stats.connections, 2);
    assert_eq!(replay.stats.open_calls, 0);
}

#[test]
fn a_resync_keeps_listed_calls_and_closes_the_rest() {
    const LOST_AT: i64 = 1_800_000_002_000;
    let mut pbx = Pbx::new();
    answered_call(&mut pbx);
    let other = ("PJSIP/trunk-00000005", "1800000001.5", "1800000001.5");
    pbx.new_channel(1.0, other, "09350000000", "02191001000");
    assert_eq!(pbx.tracker.clock_ms(), Some(LOST_AT));
    pbx.tracker.connection_lost();
    pbx.feed(&format!(
        "Event: SuccessfulAuth\nTimestamp: {:.6}\nService: AMI\n",
        T0 + 60.0
    ));
    pbx.feed(&format!(
        "Event: CoreShowChannel\nActionID: r-1\nChannel: {}\nUniqueid: {}\nLinkedid: {}\nChannelState: 6\nDuration: 00:01:00\n",
        CUSTOMER.0, CUSTOMER.1, CUSTOMER.2
    ));
    // A call that started while Tamas was away is adopted.
    pbx.feed(
        "Event: CoreShowChannel\nActionID: r-1\nChannel: PJSIP/trunk-00000009\nUniqueid: 1800000050.9\nLinkedid: 1800000050.9\nCallerIDNum: 09120000000\nChannelState: 6\nDuration: 00:00:10\n",
    );
    pbx.feed("Event: CoreShowChannelsComplete\nActionID: r-1\nEventList: Complete\nListItems: 2\n");
    let ended = pbx.ended();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].linkedid, other.2);
    assert!(!ended[0].end_known);
    // Ended at the last PBX time known before the connection broke, not at the reconnect.
    assert_eq!(ended[0].ended_at_ms, LOST_AT);
    assert_eq!(pbx.tracker.open_calls(), 2);
    // The kept call ends normally later; the adopted one too.
    pbx.hangup(70.0, CUSTOMER, true);
    pbx.hangup(70.0, AGENT1, false);
    pbx.hangup(
        71.0,
        ("PJSIP/trunk-00000009", "1800000050.9", "1800000050.9"),
        true,
    );
    let ended = pbx.ended();
    assert_eq!(ended.len(), 3);
    let kept = ended.iter().find(|r| r.linkedid == CUSTOMER.2).unwrap();
    assert!(kept.end_known);
    assert_eq!(kept.talk_ms, Some(68_000));
    let adopted = ended.iter().find(|r| r.linkedid == "1800000050.9").unwrap();
    assert!(!adopted.start_known);
    assert_eq!(adopted.direction, Direction::Inbound);
    assert_eq!(adopted.customer_number_raw.as_deref(), Some("09120000000"));
    assert_eq!(adopted.started_at_ms, 1_800_000_050_000);
}

#[test]
fn a_click_to_call_whose_agent_does_not_answer_is_an_unplaced_click() {
    let mut pbx = Pbx::new();
    // The Originate rings 1002 (busy: the phone rejects it at once) and gives up.
    let agent = ("PJSIP/1002-00000009", "1800000000.9", "1800000000.9");
    pbx.chan(
        "Newchannel",
        0.0,
        agent,
        "ChannelState: 0\nCallerIDNum: 09127654321\nCallerIDName: Ali\nExten: s\n\
         ChanVariable: TAMAS_CLICK_ID=ctc-7f3a\n",
    );
    pbx.chan(
        "Hangup",
        0.1,
        agent,
        "ChanVariable: TAMAS_CLICK_ID=ctc-7f3a\nCause: 17\n",
    );
    let ended = pbx.ended();
    assert_eq!(ended.len(), 1, "{:?}", pbx.events);
    assert_eq!(ended[0].click_id.as_deref(), Some("ctc-7f3a"));
    assert!(ended[0].is_unplaced_click(), "{:?}", ended[0]);

    // The same call once the agent answered and the customer was dialled is a call.
    let mut placed = Pbx::new();
    let customer = ("PJSIP/trunk-0000000a", "1800000000.10", "1800000000.9");
    placed.chan(
        "Newchannel",
        0.0,
        agent,
        "ChannelState: 0\nCallerIDNum: 09127654321\nCallerIDName: Ali\nExten: s\n\
         ChanVariable: TAMAS_CLICK_ID=ctc-7f3a\n",
    );
    placed.chan("Newstate", 2.0, agent, "ChannelState: 6\n");
    placed.dial_and_answer(2.0, agent, customer, 4.0);
    placed.hangup(10.0, agent, true);
    placed.hangup(10.0, customer, false);
    let ended = placed.ended();
    assert_eq!(ended.len(), 1, "{:?}", placed.events);
    assert_eq!(ended[0].direction, Direction::Outbound, "{:?}", ended[0]);
    assert!(!ended[0].is_unplaced_click());
}
