//! The simulated PBX over TCP: raw AMI bytes in and out (login, errors, lists, originate),
//! and its calls decoded by the real codec and client and tracked into call records.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use cti::ami::client::{AmiClient, AmiClientSettings, AmiEvent, AmiEvents, Originate};
use cti::ami::{Frame, Frames, Message};
use cti::sim::{
    CallSpec, ReplayPace, ReplaySettings, Scenario, SimAgent, SimHandle, SimSettings, Simulator,
};
use cti::tracker::{
    AgentSettings, CallEventKind, CallRecord, CallTracker, Direction, Disposition, HangupBy,
    TrackerSettings, TransferKind,
};
use md5::{Digest, Md5};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/asterisk"
);

async fn start(settings: SimSettings) -> (SocketAddr, SimHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sim = Simulator::new(settings).unwrap();
    let handle = sim.handle();
    tokio::spawn(sim.serve(listener, std::future::pending()));
    (addr, handle)
}

/// A client speaking raw AMI text.
struct Raw {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Raw {
    async fn connect(addr: SocketAddr) -> Raw {
        let (r, w) = TcpStream::connect(addr).await.unwrap().into_split();
        let mut raw = Raw {
            reader: BufReader::new(r),
            writer: w,
        };
        let mut banner = String::new();
        raw.reader.read_line(&mut banner).await.unwrap();
        assert_eq!(banner, "Asterisk Call Manager/11.0.0\r\n");
        raw
    }

    async fn send(&mut self, text: &str) {
        self.writer.write_all(text.as_bytes()).await.unwrap();
    }

    /// One message as raw text including its blank line; empty at EOF.
    async fn read(&mut self) -> String {
        let mut out = String::new();
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).await.unwrap() == 0 {
                return out;
            }
            out.push_str(&line);
            if line == "\r\n" {
                return out;
            }
        }
    }

    /// Reads messages until one starts with `start`; returns it.
    async fn read_until(&mut self, start: &str) -> String {
        loop {
            let m = self.read().await;
            assert!(!m.is_empty(), "EOF before {start}");
            if m.starts_with(start) {
                return m;
            }
        }
    }

    async fn log_in(&mut self) {
        self.send("Action: Login\r\nActionID: 1\r\nUsername: cti\r\nSecret: cti-secret\r\nEvents: on\r\n\r\n")
            .await;
        assert_eq!(
            self.read().await,
            "Response: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\n"
        );
        assert!(
            self.read()
                .await
                .starts_with("Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: ")
        );
        let auth = self.read().await;
        assert!(
            auth.starts_with("Event: SuccessfulAuth\r\nPrivilege: security,all\r\nTimestamp: "),
            "{auth}"
        );
        assert!(auth.contains("\r\nAccountID: cti\r\n"));
    }
}

fn header<'a>(raw: &'a str, key: &str) -> Option<&'a str> {
    raw.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
}

fn tracker() -> CallTracker {
    tracker_for(&SimAgent::lab())
}

fn tracker_for(agents: &[SimAgent]) -> CallTracker {
    CallTracker::new(TrackerSettings {
        pbx: "sim".into(),
        agents: agents
            .iter()
            .map(|a| AgentSettings {
                extension: a.extension.clone(),
                name: Some(a.name.clone()),
                devices: vec![],
            })
            .collect(),
        trunks: vec!["trunk".into()],
        ..TrackerSettings::default()
    })
}

fn client_settings(addr: SocketAddr) -> AmiClientSettings {
    AmiClientSettings::new("127.0.0.1", addr.port(), "cti", "cti-secret".into())
}

/// Feeds the client's events to a tracker until `count` calls have ended.
async fn track_calls(
    events: &mut AmiEvents,
    tracker: &mut CallTracker,
    count: usize,
) -> Vec<CallRecord> {
    let mut records = Vec::new();
    let mut out = Vec::new();
    while records.len() < count {
        let event = tokio::time::timeout(Duration::from_secs(600), events.recv())
            .await
            .expect("calls end in time")
            .expect("client running");
        if let AmiEvent::Message(m) = event {
            tracker.handle(&m, &mut out);
            for e in out.drain(..) {
                if let CallEventKind::Ended(record) = e.kind {
                    records.push(*record);
                }
            }
        }
    }
    records
}

async fn connected(events: &mut AmiEvents) {
    loop {
        match events.recv().await.unwrap() {
            AmiEvent::Message(m) if m.is_event("QueueStatusComplete") => return,
            AmiEvent::LoginFailed { message } => panic!("{message}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn plain_login_and_errors_as_asterisk_sends_them() {
    let (addr, handle) = start(SimSettings::lab()).await;
    let mut raw = Raw::connect(addr).await;
    raw.send("Action: Ping\r\nActionID: early\r\n\r\n").await;
    assert_eq!(
        raw.read().await,
        "Response: Error\r\nActionID: early\r\nMessage: Permission denied\r\n\r\n"
    );
    raw.log_in().await;
    raw.send("Action: FrobnicateAll\r\nActionID: tamas-27271-013\r\n\r\n")
        .await;
    let capture = std::fs::read_to_string(format!("{FIXTURES}/10-state-queries.ami")).unwrap();
    let expected = capture
        .split_inclusive("\r\n\r\n")
        .find(|m| m.contains("ActionID: tamas-27271-013\r\n"))
        .unwrap();
    // As in the capture: the answer, then the security event.
    assert_eq!(raw.read_until("Response: ").await, expected);
    let bad = raw.read_until("Event: RequestBadFormat").await;
    assert_eq!(header(&bad, "RequestType"), Some("Action: FrobnicateAll"));
    assert!(bad.ends_with("\r\nAccountID: cti\r\n\r\n"), "{bad}");

    raw.send("Action: Ping\r\n\r\n").await;
    let pong = raw.read_until("Response: ").await;
    assert!(
        pong.starts_with("Response: Success\r\nPing: Pong\r\nTimestamp: "),
        "{pong}"
    );
    raw.send("Action: Login\r\nActionID: again\r\nUsername: cti\r\nSecret: cti-secret\r\n\r\n")
        .await;
    assert_eq!(
        raw.read_until("Response: ").await,
        "Response: Success\r\nActionID: again\r\nMessage: Already authenticated\r\n\r\n"
    );
    raw.send("Action: Logoff\r\nActionID: bye\r\n\r\n").await;
    assert_eq!(
        raw.read_until("Response: ").await,
        "Response: Goodbye\r\nActionID: bye\r\nMessage: Thanks for all the fish.\r\n\r\n"
    );
    assert_eq!(raw.read().await, "");
    let actions = handle.actions();
    let login = actions.iter().find(|a| a.name == "Login").unwrap();
    assert_eq!(login.get("Secret"), Some("<redacted>"));
    assert_eq!(actions.last().unwrap().name, "Logoff");
}

#[tokio::test]
async fn md5_login_checks_the_digest() {
    let (addr, _handle) = start(SimSettings::lab()).await;
    let mut raw = Raw::connect(addr).await;
    raw.send("Action: Challenge\r\nActionID: c\r\nAuthType: MD5\r\n\r\n")
        .await;
    let answer = raw.read().await;
    let challenge = header(&answer, "Challenge").unwrap().to_owned();
    assert!(answer.starts_with("Response: Success\r\nActionID: c\r\nChallenge: "));
    let mut md5 = Md5::new();
    md5.update(format!("{challenge}cti-secret").as_bytes());
    let key = hex::encode(md5.finalize());
    raw.send(&format!(
        "Action: Login\r\nActionID: 1\r\nUsername: cti\r\nAuthType: MD5\r\nKey: {key}\r\nEvents: on\r\n\r\n"
    ))
    .await;
    assert_eq!(
        raw.read().await,
        "Response: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\n"
    );

    // And through the real client.
    let mut settings = client_settings(addr);
    settings.auth = cti::ami::client::AuthMethod::Md5;
    let (client, mut events) = AmiClient::connect(settings);
    connected(&mut events).await;
    client.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_wrong_secret_is_refused_after_a_delay_then_closed() {
    let (addr, _handle) = start(SimSettings::lab()).await;
    let mut raw = Raw::connect(addr).await;
    let sent = std::fs::read_to_string(format!("{FIXTURES}/10-failed-login.sent.ami")).unwrap();
    raw.send(&sent).await;
    let asked = Instant::now();
    let capture = std::fs::read_to_string(format!("{FIXTURES}/10-failed-login.ami")).unwrap();
    let refusal = capture
        .strip_prefix("Asterisk Call Manager/11.0.0\r\n")
        .unwrap();
    assert_eq!(raw.read().await, refusal);
    assert!(asked.elapsed() >= Duration::from_secs(1));
    assert_eq!(raw.read().await, "", "the connection is closed");
}

#[tokio::test(start_paused = true)]
async fn a_rung_call_tracks_into_the_capture_s_record() {
    let (addr, handle) = start(SimSettings::lab()).await;
    let (client, mut events) = AmiClient::connect(client_settings(addr));
    connected(&mut events).await;
    let call = handle
        .ring("+989121234567", "Ali \"Ali\" <b>Rezaei</b>", "1002")
        .unwrap();
    let linkedid = call.linkedid.clone();
    let mut tracker = tracker();
    let records = track_calls(&mut events, &mut tracker, 1).await;
    let r = &records[0];
    assert_eq!(r.linkedid, linkedid);
    assert_eq!(r.direction, Direction::Inbound);
    assert_eq!(r.customer_number_raw.as_deref(), Some("+989121234567"));
    assert_eq!(
        r.customer_name.as_deref(),
        Some("Ali \"Ali\" <b>Rezaei</b>")
    );
    assert_eq!(r.queue.as_deref(), Some("support"));
    assert_eq!(r.answered_by_extension.as_deref(), Some("1002"));
    assert_eq!(r.answered_by_name.as_deref(), Some("Reza Karimi"));
    // The capture's timings, re-stamped exactly (01: wait 5009 ms, talk 8284 ms).
    assert_eq!(r.wait_ms, Some(5009));
    assert_eq!(r.talk_ms, Some(8284));
    assert_eq!(r.disposition, Disposition::Answered);
    assert_eq!(r.hangup_by, Some(HangupBy::Customer));
    assert_eq!(r.hangup_cause, Some(16));
    let recording = r.recording.as_ref().unwrap();
    assert_eq!(recording.file, format!("{linkedid}.wav"));
    call.finished().await;
    assert_eq!(handle.live_channels(), 0);
    client.shutdown().await;
}

/// AMI escapes caller-ID names C-style (`ast_escape_c`): the wire shows `Tose\'e`, the
/// tracked call `Tose'e`; `QueueStatus` shows the name unescaped, as Asterisk prints it.
#[tokio::test(start_paused = true)]
async fn caller_id_names_are_escaped_on_the_wire_and_unescaped_by_the_tracker() {
    let name = "Tose'e \\ \"Boss\"\nLine 2";
    let (addr, handle) = start(SimSettings::lab()).await;
    let mut raw = Raw::connect(addr).await;
    raw.log_in().await;
    let (client, mut events) = AmiClient::connect(client_settings(addr));
    connected(&mut events).await;
    let call = handle.ring("09121234567", name, "1002").unwrap();
    let newchannel = raw.read_until("Event: Newchannel").await;
    assert_eq!(
        header(&newchannel, "CallerIDName"),
        Some(r#"Tose\'e \\ \"Boss\"\nLine 2"#)
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    raw.send("Action: QueueStatus\r\nActionID: qs\r\nQueue: support\r\n\r\n")
        .await;
    let entry = raw.read_until("Event: QueueEntry").await;
    assert!(
        entry.contains("\r\nCallerIDName: Tose'e \\ \"Boss\"\n"),
        "{entry}"
    );
    let mut tracker = tracker();
    let records = track_calls(&mut events, &mut tracker, 1).await;
    assert_eq!(records[0].customer_name.as_deref(), Some(name));
    call.finished().await;
    client.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_longer_talk_moves_every_later_time_and_duration() {
    let (addr, handle) = start(SimSettings::lab()).await;
    let mut raw = Raw::connect(addr).await;
    raw.log_in().await;
    let (client, mut events) = AmiClient::connect(client_settings(addr));
    connected(&mut events).await;
    let spec = CallSpec::new(Scenario::InboundAnswered).extra_talk(Duration::from_secs(30));
    let call = handle.place(spec).unwrap();
    let record = track_calls(&mut events, &mut tracker(), 1).await.remove(0);
    assert_eq!(record.linkedid, call.linkedid);
    assert_eq!(record.wait_ms, Some(5009));
    assert_eq!(record.talk_ms, Some(8284 + 30_000));
    // Capture 01: AgentComplete TalkTime 9, CDR 10:22:59 → 10:23:13, duration and
    // billable 13 s.
    let complete = raw.read_until("Event: AgentComplete").await;
    assert_eq!(header(&complete, "TalkTime"), Some("39"));
    let cdr = raw.read_until("Event: Cdr").await;
    assert_eq!(header(&cdr, "Duration"), Some("43"));
    assert_eq!(header(&cdr, "BillableSeconds"), Some("43"));
    let time = |key: &str| {
        time::PrimitiveDateTime::parse(
            header(&cdr, key).unwrap(),
            time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        )
        .unwrap()
    };
    // Asterisk's duration is a difference of exact times: 14 whole-second steps there.
    assert_eq!((time("EndTime") - time("StartTime")).whole_seconds(), 44);
    assert_eq!(time("AnswerTime"), time("StartTime"));
    client.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn every_scenario_tracks_into_a_finished_call() {
    let (addr, handle) = start(SimSettings::lab()).await;
    let (client, mut events) = AmiClient::connect(client_settings(addr));
    connected(&mut events).await;
    let scenarios = [
        (
            Scenario::InboundAnswered,
            Direction::Inbound,
            Disposition::Answered,
        ),
        (
            Scenario::InboundAbandoned,
            Direction::Inbound,
            Disposition::Abandoned,
        ),
        (
            Scenario::RingNoAnswer,
            Direction::Inbound,
            Disposition::Answered,
        ),
        (
            Scenario::RingAllAnswered,
            Direction::Inbound,
            Disposition::Answered,
        ),
        (
            Scenario::Outbound,
            Direction::Outbound,
            Disposition::Answered,
        ),
        (
            Scenario::Internal,
            Direction::Internal,
            Disposition::Answered,
        ),
        (Scenario::Hold, Direction::Inbound, Disposition::Answered),
        (
            Scenario::BlindTransfer,
            Direction::Inbound,
            Disposition::Answered,
        ),
        (
            Scenario::AttendedTransfer,
            Direction::Inbound,
            Disposition::Answered,
        ),
    ];
    let mut tracker = tracker();
    for (scenario, direction, disposition) in scenarios {
        let call = handle.place(CallSpec::new(scenario)).unwrap();
        // An attended transfer's consultation call ends first, as a call of its own.
        let record = loop {
            let record = track_calls(&mut events, &mut tracker, 1).await.remove(0);
            if record.linkedid == call.linkedid {
                break record;
            }
            assert_eq!(scenario, Scenario::AttendedTransfer);
            assert_eq!(record.direction, Direction::Internal);
        };
        assert_eq!(record.direction, direction, "{scenario:?}");
        assert_eq!(record.disposition, disposition, "{scenario:?}");
        if direction != Direction::Internal {
            assert_eq!(
                record.customer_number_raw.as_deref(),
                Some(call.customer_number.as_str())
            );
        }
        if disposition == Disposition::Answered && scenario != Scenario::Internal {
            let agent = record
                .answered_by_extension
                .clone()
                .or(record.agent_extension.clone());
            assert_eq!(
                agent.as_deref(),
                call.agents.first().map(String::as_str),
                "{scenario:?}"
            );
        }
        match scenario {
            Scenario::Hold => assert_eq!(record.hold_ms, 7_000),
            Scenario::BlindTransfer | Scenario::AttendedTransfer => {
                let transfer = &record.transfers[0];
                let kind = if scenario == Scenario::BlindTransfer {
                    TransferKind::Blind
                } else {
                    TransferKind::Attended
                };
                assert_eq!(transfer.kind, kind);
                assert!(transfer.succeeded);
                assert_eq!(transfer.from_extension.as_ref(), Some(&call.agents[0]));
                assert_eq!(transfer.to_extension.as_ref(), Some(&call.agents[1]));
                let segments: Vec<&str> = record
                    .agent_segments
                    .iter()
                    .map(|s| s.extension.as_str())
                    .collect();
                assert_eq!(segments, [&call.agents[0], &call.agents[1]]);
                assert_eq!(record.hangup_by, Some(HangupBy::Customer));
            }
            _ => {}
        }
        call.finished().await;
    }
    assert_eq!(tracker.open_calls(), 0);
    client.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn originate_answers_at_once_then_originate_response_with_the_click_id() {
    let (addr, handle) = start(SimSettings::lab()).await;
    let mut raw = Raw::connect(addr).await;
    raw.log_in().await;
    let sent = std::fs::read_to_string(format!("{FIXTURES}/04-click-to-call.sent.ami")).unwrap();
    let originate = sent.split_inclusive("\r\n\r\n").nth(1).unwrap();
    raw.send(originate).await;
    assert_eq!(
        raw.read_until("Response: ").await,
        "Response: Success\r\nActionID: tamas-27271-002\r\nMessage: Originate successfully queued\r\n\r\n"
    );
    let newchannel = raw.read_until("Event: Newchannel").await;
    assert!(
        header(&newchannel, "Channel")
            .unwrap()
            .starts_with("PJSIP/1002-")
    );
    let ringing = raw.read_until("Event: NewCallerid").await;
    assert!(
        ringing.contains("\r\nChanVariable: TAMAS_CLICK_ID=ctc-7f3a\r\n"),
        "{ringing}"
    );
    assert_eq!(header(&ringing, "CallerIDName"), Some("Click-to-call"));
    let response = raw.read_until("Event: OriginateResponse").await;
    assert_eq!(header(&response, "ActionID"), Some("tamas-27271-002"));
    assert_eq!(header(&response, "Response"), Some("Success"));
    assert_eq!(header(&response, "Reason"), Some("4"));
    let channel = header(&response, "Channel").unwrap();
    assert!(
        response.contains(&format!(
            "ChanVariable({channel}): TAMAS_CLICK_ID=ctc-7f3a\r\n"
        )),
        "{response}"
    );
    let logged = handle
        .actions()
        .into_iter()
        .find(|a| a.name == "Originate")
        .unwrap();
    assert_eq!(logged.get("Channel"), Some("PJSIP/1002"));
    assert_eq!(logged.get("Variable"), Some("__TAMAS_CLICK_ID=ctc-7f3a"));

    // Through the real client: queued, then answered, then tracked as outbound.
    let (client, mut events) = AmiClient::connect(client_settings(addr));
    connected(&mut events).await;
    let mut tracker = tracker();
    let mut request = Originate::new("PJSIP/1001", "agents", "00989351112233");
    request.caller_id = Some("\"Tamas\" <00989351112233>".into());
    request
        .variables
        .push(("__TAMAS_CLICK_ID".into(), "ctc-42".into()));
    let pending = client.originate(request).await.unwrap();
    assert_eq!(
        pending.queued.get("Message"),
        Some("Originate successfully queued")
    );
    let outcome = pending.outcome().await.unwrap();
    assert!(outcome.answered());
    let linkedid = outcome.uniqueid().unwrap().to_owned();
    let records = loop {
        let records = track_calls(&mut events, &mut tracker, 1).await;
        if records[0].linkedid == linkedid {
            break records;
        }
    };
    let r = &records[0];
    assert_eq!(r.direction, Direction::Outbound);
    assert_eq!(r.customer_number_raw.as_deref(), Some("00989351112233"));
    assert_eq!(r.agent_extension.as_deref(), Some("1001"));
    assert_eq!(r.disposition, Disposition::Answered);

    // A phone that is not an agent's: queued, then a failed OriginateResponse.
    let pending = client
        .originate(Originate::new("PJSIP/9999", "agents", "09120000000"))
        .await
        .unwrap();
    let outcome = pending.outcome().await.unwrap();
    assert!(!outcome.answered());
    assert_eq!(outcome.reason(), Some(0));
    // No Channel at all: refused with Asterisk's words.
    let err = client
        .send(
            cti::ami::Action::new("Originate")
                .header("Exten", "1001")
                .header("Context", "agents"),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Channel not specified"), "{err}");
    client.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn lists_show_the_live_call_and_queue_state() {
    let (addr, handle) = start(SimSettings::lab()).await;
    let mut raw = Raw::connect(addr).await;
    raw.log_in().await;
    let call = handle
        .place(CallSpec::new(Scenario::InboundAnswered).agent("1003"))
        .unwrap();
    // 2 s in: the caller waits in the queue, 1003 rings.
    tokio::time::sleep(Duration::from_secs(2)).await;
    raw.send("Action: CoreShowChannels\r\nActionID: csc\r\n\r\n")
        .await;
    assert_eq!(
        raw.read_until("Response: ").await,
        "Response: Success\r\nActionID: csc\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n"
    );
    let mut listed = Vec::new();
    loop {
        let m = raw.read().await;
        if m.starts_with("Event: CoreShowChannelsComplete") {
            assert_eq!(
                header(&m, "ListItems"),
                Some(listed.len().to_string().as_str())
            );
            break;
        }
        if m.starts_with("Event: CoreShowChannel\r\n") {
            assert!(m.starts_with("Event: CoreShowChannel\r\nActionID: csc\r\nChannel: "));
            assert_eq!(header(&m, "Linkedid"), Some(call.linkedid.as_str()));
            listed.push(header(&m, "Channel").unwrap().to_owned());
        }
    }
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed[0].starts_with("PJSIP/trunk-"));
    assert!(listed[1].starts_with("PJSIP/1003-"));

    raw.send("Action: QueueStatus\r\nActionID: qs\r\nQueue: support\r\n\r\n")
        .await;
    raw.read_until("Response: Success\r\nActionID: qs\r\nEventList: start")
        .await;
    let params = raw.read().await;
    assert!(
        params.starts_with(
            "Event: QueueParams\r\nQueue: support\r\nMax: 0\r\nStrategy: linear\r\nCalls: 1\r\n"
        ),
        "{params}"
    );
    let entry = raw.read_until("Event: QueueEntry").await;
    assert_eq!(header(&entry, "Uniqueid"), Some(call.linkedid.as_str()));
    assert_eq!(header(&entry, "Position"), Some("1"));
    let complete = raw.read_until("Event: QueueStatusComplete").await;
    assert_eq!(header(&complete, "ListItems"), Some("5"));

    // Pausing 1001: the event, the answer, and the member shows paused.
    raw.send("Action: QueuePause\r\nActionID: qp\r\nQueue: support\r\nInterface: PJSIP/1001\r\nPaused: true\r\nReason: lunch\r\n\r\n")
        .await;
    assert_eq!(
        raw.read_until("Response: ").await,
        "Response: Success\r\nActionID: qp\r\nMessage: Interface paused successfully\r\n\r\n"
    );
    let pause = raw.read_until("Event: QueueMemberPause").await;
    assert_eq!(header(&pause, "Paused"), Some("1"));
    assert_eq!(header(&pause, "PausedReason"), Some("lunch"));
    raw.send("Action: QueueSummary\r\nActionID: sum\r\nQueue: support\r\n\r\n")
        .await;
    let summary = raw.read_until("Event: QueueSummary\r\n").await;
    assert_eq!(header(&summary, "Callers"), Some("1"));
    assert_eq!(
        header(&summary, "Available"),
        Some("1"),
        "1001 paused, 1003 ringing: 1002 left"
    );

    call.finished().await;
    raw.send("Action: CoreShowChannels\r\nActionID: after\r\n\r\n")
        .await;
    let complete = raw.read_until("Event: CoreShowChannelsComplete").await;
    assert_eq!(header(&complete, "ListItems"), Some("0"));
}

#[tokio::test(start_paused = true)]
async fn generated_traffic_decodes_never_double_books_and_reaches_every_client() {
    let mut settings = SimSettings::lab();
    settings.agents = SimAgent::for_extensions(&["1001", "1002", "1003", "1004", "1005", "1006"]);
    settings.calls_per_minute = 6.0;
    settings.max_extra_talk = Duration::from_secs(40);
    settings.seed = 7;
    settings.hostile_names = 0.3;
    let agents = settings.agents.clone();
    let (addr, handle) = start(settings).await;
    let mut first = Raw::connect(addr).await;
    first.log_in().await;
    let (client, mut events) = AmiClient::connect(client_settings(addr));
    connected(&mut events).await;
    let mut tracker = tracker_for(&agents);
    let records = track_calls(&mut events, &mut tracker, 40).await;
    assert!(
        records
            .iter()
            .any(|r| r.disposition == Disposition::Abandoned)
    );
    assert!(records.iter().any(|r| r.direction == Direction::Outbound));
    assert!(records.iter().any(|r| {
        r.customer_number_raw
            .as_deref()
            .is_some_and(|n| n.starts_with('+'))
    }));
    client.shutdown().await;

    // The raw client got the same bytes; it decodes, and no agent's phone ever had two
    // calls at once.
    handle.shutdown();
    let mut bytes = Vec::new();
    loop {
        let m = first.read().await;
        if m.is_empty() {
            break;
        }
        bytes.extend_from_slice(m.as_bytes());
    }
    // An agent's phone rung (a channel created towards it, state Down) must have no other
    // channel up; channels the agent's own phone opens (consultation calls) may overlap.
    let mut open: HashMap<String, i32> = HashMap::new();
    let mut calls = 0;
    let mut last_shutdown = false;
    for frame in Frames::new(bytes) {
        let Frame::Message(m) = frame.unwrap() else {
            continue;
        };
        last_shutdown = m.is_event("Shutdown");
        let Some(device) = agent_device(&m) else {
            continue;
        };
        let count = open.entry(device.clone()).or_default();
        if m.is_event("Newchannel") {
            if m.get("ChannelState") == Some("0") {
                assert_eq!(*count, 0, "{device} rung while on a call");
                calls += 1;
            }
            *count += 1;
        } else if m.is_event("Hangup") {
            *count -= 1;
        }
    }
    assert!(calls > 40);
    assert!(last_shutdown, "clients are told the PBX shuts down");
}

fn agent_device(m: &Message) -> Option<String> {
    let channel = m.get("Channel")?;
    let device = channel.strip_prefix("PJSIP/")?.rsplit_once('-')?.0;
    (device != "trunk").then(|| device.to_owned())
}

#[tokio::test(start_paused = true)]
async fn replays_a_capture_to_the_client() {
    let mut settings = SimSettings::lab();
    settings.replay = Some(ReplaySettings {
        files: vec![format!("{FIXTURES}/01-inbound-answered.ami").into()],
        pace: ReplayPace::RealTime,
        restamp: false,
    });
    let (addr, _handle) = start(settings).await;
    let (client, mut events) = AmiClient::connect(client_settings(addr));
    // The replay starts right after the login: every event goes to the tracker.
    let mut tracker = tracker();
    let r = track_calls(&mut events, &mut tracker, 1).await.remove(0);
    assert_eq!(r.linkedid, "1795342979.0");
    assert_eq!(r.wait_ms, Some(5009));
    assert_eq!(r.talk_ms, Some(8284));
    assert_eq!(r.answered_by_extension.as_deref(), Some("1001"));
    client.shutdown().await;
}
