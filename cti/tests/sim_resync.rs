//! A client that connects to the simulated PBX mid-call, as Tamas does after a restart:
//! the calls went on while nobody listened, no past event is replayed, and the resync
//! lists (`CoreShowChannels`, `QueueStatus`) describe them as Asterisk 22 does
//! (capture 10-state-queries). And a simulator started again never reuses a Uniqueid.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use cti::ami::client::{AmiClient, AmiClientSettings, AmiEvent};
use cti::sim::{CallSpec, Scenario, SimAgent, SimSettings, Simulator};
use cti::tracker::{
    AgentSettings, CallEventKind, CallTracker, Disposition, HangupBy, TrackerSettings,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/asterisk/10-state-queries.ami"
);

/// A client speaking raw AMI text.
struct Raw {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Raw {
    async fn logged_in(addr: SocketAddr) -> Raw {
        let (r, w) = TcpStream::connect(addr).await.unwrap().into_split();
        let mut raw = Raw {
            reader: BufReader::new(r),
            writer: w,
        };
        let mut banner = String::new();
        raw.reader.read_line(&mut banner).await.unwrap();
        raw.send("Action: Login\r\nActionID: 1\r\nUsername: cti\r\nSecret: cti-secret\r\n\r\n")
            .await;
        let accepted = raw.read().await;
        assert!(accepted.contains("Authentication accepted"), "{accepted}");
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

    /// Sends a list action; returns every message received until its `…Complete` event
    /// (those before the answer included).
    async fn list(&mut self, action: &str, complete: &str) -> Vec<String> {
        self.send(action).await;
        let mut messages = Vec::new();
        loop {
            let m = self.read().await;
            assert!(!m.is_empty(), "EOF before {complete}");
            let done = m.starts_with(&format!("Event: {complete}\r\n"));
            messages.push(m);
            if done {
                return messages;
            }
        }
    }
}

fn header<'a>(raw: &'a str, key: &str) -> Option<&'a str> {
    raw.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
}

/// The keys of a message, in order.
fn keys(raw: &str) -> Vec<&str> {
    raw.lines()
        .filter_map(|l| l.split_once(": ").map(|(k, _)| k))
        .collect()
}

/// The keys of the first `event` of capture 10.
fn captured_keys(event: &str) -> Vec<String> {
    let capture = std::fs::read_to_string(CAPTURE).unwrap();
    let message = capture
        .split_inclusive("\r\n\r\n")
        .find(|m| m.starts_with(&format!("Event: {event}\r\n")))
        .unwrap();
    keys(message).into_iter().map(str::to_owned).collect()
}

fn items<'a>(messages: &'a [String], event: &str) -> Vec<&'a str> {
    let start = format!("Event: {event}\r\n");
    messages
        .iter()
        .filter(|m| m.starts_with(&start))
        .map(String::as_str)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_client_connecting_mid_call_gets_the_live_channels_and_the_waiting_caller() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sim = Simulator::new(SimSettings::lab()).unwrap();
    let handle = sim.handle();
    tokio::spawn(sim.serve(listener, std::future::pending()));

    // Nobody connected: 1001 answers a call (5 s in), another caller waits in the queue.
    let talking = handle
        .place(
            CallSpec::new(Scenario::InboundAnswered)
                .agent("1001")
                .extra_talk(Duration::from_secs(120)),
        )
        .unwrap();
    let waiting = handle
        .place(
            CallSpec::new(Scenario::InboundAnswered)
                .agent("1002")
                .extra_wait(Duration::from_secs(120)),
        )
        .unwrap();
    tokio::time::sleep(Duration::from_secs(20)).await;

    let mut raw = Raw::logged_in(addr).await;
    let listed = raw
        .list(
            "Action: CoreShowChannels\r\nActionID: csc\r\n\r\n",
            "CoreShowChannelsComplete",
        )
        .await;
    // Nothing from before the login is replayed: only the login's own events come first.
    let before: Vec<&str> = listed
        .iter()
        .take_while(|m| !m.starts_with("Response: "))
        .filter_map(|m| header(m, "Event"))
        .collect();
    assert_eq!(before, ["FullyBooted", "SuccessfulAuth"]);
    let channels = items(&listed, "CoreShowChannel");
    assert_eq!(channels.len(), 3, "{channels:#?}");
    let expected_keys = captured_keys("CoreShowChannel");
    for c in &channels {
        assert_eq!(keys(c), expected_keys, "{c}");
        assert_eq!(header(c, "ActionID"), Some("csc"));
    }
    let of = |linkedid: &str, device: &str| {
        *channels
            .iter()
            .find(|c| {
                header(c, "Linkedid") == Some(linkedid)
                    && header(c, "Channel").unwrap().starts_with(device)
            })
            .unwrap_or_else(|| panic!("{device} of {linkedid} in {channels:#?}"))
    };
    let customer = of(&talking.linkedid, "PJSIP/trunk-");
    let agent = of(&talking.linkedid, "PJSIP/1001-");
    let bridge = header(customer, "BridgeId").unwrap();
    assert_eq!(bridge.len(), 36, "{customer}");
    assert_eq!(header(agent, "BridgeId"), Some(bridge));
    assert_eq!(
        header(customer, "Uniqueid"),
        Some(talking.linkedid.as_str())
    );
    assert_eq!(header(customer, "Application"), Some("Queue"));
    assert_eq!(header(customer, "ConnectedLineNum"), Some("1001"));
    // 20 s after the call was placed; it starts within a second (once the PBX has booted).
    let duration = header(customer, "Duration").unwrap();
    assert!(["00:00:19", "00:00:20"].contains(&duration), "{customer}");
    assert_eq!(header(agent, "ChannelStateDesc"), Some("Up"));
    assert_eq!(header(agent, "Application"), Some("AppQueue"));
    assert_eq!(header(agent, "ApplicationData"), Some("(Outgoing Line)"));
    assert_eq!(
        header(agent, "ConnectedLineNum"),
        Some(talking.customer_number.as_str())
    );
    let queued = of(&waiting.linkedid, "PJSIP/trunk-");
    assert_eq!(header(queued, "BridgeId"), Some(""));
    assert_eq!(header(queued, "Application"), Some("Queue"));
    assert!(header(customer, "Timestamp").is_none());

    let status = raw
        .list(
            "Action: QueueStatus\r\nActionID: qs\r\nQueue: support\r\n\r\n",
            "QueueStatusComplete",
        )
        .await;
    let entries = items(&status, "QueueEntry");
    assert_eq!(entries.len(), 1, "{status:#?}");
    let entry = entries[0];
    assert_eq!(keys(entry), captured_keys("QueueEntry"));
    assert_eq!(header(entry, "Uniqueid"), Some(waiting.linkedid.as_str()));
    assert_eq!(header(entry, "Position"), Some("1"));
    let wait = header(entry, "Wait").unwrap();
    assert!(["19", "20"].contains(&wait), "{entry}");
    assert_eq!(
        header(entry, "CallerIDNum"),
        Some(waiting.customer_number.as_str())
    );
    let members = items(&status, "QueueMember");
    assert_eq!(members.len(), 3);
    for m in &members {
        assert_eq!(keys(m), captured_keys("QueueMember"));
    }
    let sara = members
        .iter()
        .find(|m| header(m, "Location") == Some("PJSIP/1001"))
        .unwrap();
    assert_eq!(header(sara, "InCall"), Some("1"), "{sara}");
    let params = items(&status, "QueueParams")[0];
    assert_eq!(header(params, "Calls"), Some("1"));

    // The real client and tracker, joining now, follow both calls to their end.
    let settings = AmiClientSettings::new("127.0.0.1", addr.port(), "cti", "cti-secret".into());
    let (client, mut events) = AmiClient::connect(settings);
    let mut tracker = CallTracker::new(TrackerSettings {
        pbx: "sim".into(),
        agents: SimAgent::lab()
            .into_iter()
            .map(|a| AgentSettings {
                extension: a.extension,
                name: Some(a.name),
                devices: vec![],
            })
            .collect(),
        trunks: vec!["trunk".into()],
        ..TrackerSettings::default()
    });
    let mut records = Vec::new();
    let mut out = Vec::new();
    while records.len() < 2 {
        if let Some(AmiEvent::Message(m)) = events.recv().await {
            tracker.handle(&m, &mut out);
            records.extend(out.drain(..).filter_map(|e| match e.kind {
                CallEventKind::Ended(r) => Some(r),
                _ => None,
            }));
        }
    }
    client.shutdown().await;
    let record = |linkedid: &str| records.iter().find(|r| r.linkedid == linkedid).unwrap();
    // (What the tracker makes of a call answered before it joined is its own business;
    // the resync above carries the answer: the agent's channel up in the caller's bridge.)
    let talked = record(&talking.linkedid);
    assert_eq!(talked.hangup_by, Some(HangupBy::Customer));
    assert!(talked.end_known && !talked.start_known);
    let waited = record(&waiting.linkedid);
    assert_eq!(waited.answered_by_extension.as_deref(), Some("1002"));
    assert_eq!(waited.disposition, Disposition::Answered);
}

/// The first Uniqueid a freshly logged-in client sees in a `Newchannel`.
async fn first_uniqueid(addr: SocketAddr) -> String {
    let mut raw = Raw::logged_in(addr).await;
    loop {
        let m = raw.read().await;
        assert!(!m.is_empty(), "EOF before a call");
        if m.starts_with("Event: Newchannel\r\n") {
            return header(&m, "Uniqueid").unwrap().to_owned();
        }
    }
}

/// `1795342979.12` → (1795342979, 12).
fn split(uniqueid: &str) -> (i64, u64) {
    let (epoch, counter) = uniqueid.split_once('.').unwrap();
    (epoch.parse().unwrap(), counter.parse().unwrap())
}

#[tokio::test]
async fn a_simulator_started_again_at_once_never_reuses_a_uniqueid() {
    let mut previous: Option<(SocketAddr, i64)> = None;
    for _ in 0..2 {
        let address = previous.map_or("127.0.0.1:0".parse().unwrap(), |(a, _)| a);
        let listener = TcpListener::bind(address).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let sim = Simulator::new(SimSettings::lab()).unwrap();
        let handle = sim.handle();
        let stop = CancellationToken::new();
        let served = tokio::spawn(sim.serve(listener, stop.clone().cancelled_owned()));
        let reader = tokio::spawn(first_uniqueid(addr));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let call = handle
            .place(CallSpec::new(Scenario::InboundAbandoned))
            .unwrap();
        let seen = reader.await.unwrap();
        assert_eq!(seen, call.linkedid);
        let (epoch, counter) = split(&seen);
        assert_eq!(counter, 0, "the counter starts at 0, as Asterisk's");
        if let Some((_, before)) = previous {
            assert!(epoch > before, "{epoch} after {before}");
        }
        previous = Some((addr, epoch));
        stop.cancel();
        served.await.unwrap().unwrap();
    }
}
