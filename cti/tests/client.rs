//! The AMI client against a scripted PBX on `127.0.0.1:0`: each test writes raw AMI bytes
//! (many taken from the real Asterisk captures) and asserts the raw bytes the client sends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cti::ami::client::{
    AmiClient, AmiClientSettings, AmiEvent, AmiEvents, AuthMethod, BackoffSettings, ClientError,
    Originate, QueuePause,
};
use cti::ami::{Action, Message};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/asterisk"
);
const BANNER: &str = "Asterisk Call Manager/11.0.0\r\n";

/// The messages of a capture (after the banner) that carry `ActionID: <id>`, with that
/// ActionID replaced by `new_id`, as raw bytes.
fn capture_answer(file: &str, id: &str, new_id: &str) -> String {
    let bytes = std::fs::read(format!("{FIXTURES}/{file}")).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let text = text.strip_prefix(BANNER).unwrap();
    let wanted = format!("ActionID: {id}\r\n");
    text.split_inclusive("\r\n\r\n")
        .filter(|m| m.contains(&wanted))
        .map(|m| m.replace(&wanted, &format!("ActionID: {new_id}\r\n")))
        .collect()
}

struct Pbx {
    listener: TcpListener,
}

impl Pbx {
    async fn start() -> Pbx {
        Pbx {
            listener: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        }
    }

    fn settings(&self) -> AmiClientSettings {
        let port = self.listener.local_addr().unwrap().port();
        let mut settings = AmiClientSettings::new("127.0.0.1", port, "cti", "cti-secret".into());
        settings.backoff = BackoffSettings {
            min: Duration::from_secs(1),
            max: Duration::from_secs(8),
        };
        settings
    }

    async fn accept(&self) -> Peer {
        let (stream, _) = self.listener.accept().await.unwrap();
        Peer::new(stream)
    }

    /// Accepts, logs the client in and answers its resync with empty lists.
    async fn accept_logged_in(&self) -> Peer {
        let mut peer = self.accept().await;
        peer.log_in().await;
        peer.answer_resync(0).await;
        peer
    }
}

struct Peer {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Peer {
    fn new(stream: TcpStream) -> Peer {
        let (r, w) = stream.into_split();
        Peer {
            reader: BufReader::new(r),
            writer: w,
        }
    }

    async fn send(&mut self, text: &str) {
        self.writer.write_all(text.as_bytes()).await.unwrap();
    }

    /// One action as raw text up to and including its blank line; empty at EOF.
    async fn read_action(&mut self) -> String {
        let mut action = String::new();
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).await.unwrap() == 0 {
                return action;
            }
            action.push_str(&line);
            if line == "\r\n" {
                return action;
            }
        }
    }

    async fn log_in(&mut self) {
        self.send(BANNER).await;
        let login = self.read_action().await;
        assert_eq!(
            login,
            "Action: Login\r\nActionID: tamas-1\r\nUsername: cti\r\nSecret: cti-secret\r\nEvents: on\r\n\r\n"
        );
        self.send(
            "Response: Success\r\nActionID: tamas-1\r\nMessage: Authentication accepted\r\n\r\n",
        )
        .await;
    }

    /// Reads `CoreShowChannels` and `QueueStatus` (ActionIDs `first`+1 and +2 after login)
    /// and answers both with empty lists, as 11-reconnect-resync's PBX did for channels.
    async fn answer_resync(&mut self, after: u32) {
        let channels = self.read_action().await;
        let id = after + 2;
        assert_eq!(
            channels,
            format!("Action: CoreShowChannels\r\nActionID: tamas-{id}\r\n\r\n")
        );
        let queues = self.read_action().await;
        let qid = id + 1;
        assert_eq!(
            queues,
            format!("Action: QueueStatus\r\nActionID: tamas-{qid}\r\n\r\n")
        );
        self.send(&format!(
            "Response: Success\r\nActionID: tamas-{id}\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n\
             Event: CoreShowChannelsComplete\r\nActionID: tamas-{id}\r\nEventList: Complete\r\nListItems: 0\r\n\r\n\
             Response: Success\r\nActionID: tamas-{qid}\r\nEventList: start\r\nMessage: Queue status will follow\r\n\r\n\
             Event: QueueStatusComplete\r\nActionID: tamas-{qid}\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"
        ))
        .await;
    }
}

fn action_id(action: &str) -> String {
    action
        .lines()
        .find_map(|l| l.strip_prefix("ActionID: "))
        .unwrap()
        .to_owned()
}

async fn next_event(events: &mut AmiEvents) -> AmiEvent {
    tokio::time::timeout(Duration::from_secs(60), events.recv())
        .await
        .expect("an event in time")
        .expect("the client is running")
}

async fn next_message(events: &mut AmiEvents) -> Message {
    match next_event(events).await {
        AmiEvent::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// Reads events up to and including the two resync `…Complete` events.
async fn skip_resync(events: &mut AmiEvents) {
    assert!(matches!(
        next_event(events).await,
        AmiEvent::Connected { .. }
    ));
    assert!(
        next_message(events)
            .await
            .is_event("CoreShowChannelsComplete")
    );
    assert!(next_message(events).await.is_event("QueueStatusComplete"));
}

#[tokio::test]
async fn plain_login_then_resync_forwarded_in_order() {
    let pbx = Pbx::start().await;
    let (client, mut events) = AmiClient::connect(pbx.settings());
    let mut peer = pbx.accept().await;
    peer.log_in().await;
    assert_eq!(
        peer.read_action().await,
        "Action: CoreShowChannels\r\nActionID: tamas-2\r\n\r\n"
    );
    assert_eq!(
        peer.read_action().await,
        "Action: QueueStatus\r\nActionID: tamas-3\r\n\r\n"
    );
    let channels = capture_answer("10-state-queries.ami", "tamas-27271-006", "tamas-2");
    let queues = capture_answer("11-reconnect-resync.ami", "tamas-29144-003", "tamas-3");
    peer.send(&channels).await;
    peer.send(&queues).await;

    match next_event(&mut events).await {
        AmiEvent::Connected { banner } => assert_eq!(banner, "Asterisk Call Manager/11.0.0"),
        other => panic!("{other:?}"),
    }
    let mut names = Vec::new();
    loop {
        let m = next_message(&mut events).await;
        assert!(m.response().is_none(), "responses are not forwarded: {m:?}");
        names.push(m.event().unwrap().to_owned());
        if m.is_event("QueueStatusComplete") {
            break;
        }
    }
    let expected: Vec<&str> = [
        &["CoreShowChannel"; 4][..],
        &["CoreShowChannelsComplete"],
        &["QueueParams"],
        &["QueueMember"; 3],
        &["QueueParams"],
        &["QueueMember"; 3],
        &["QueueStatusComplete"],
    ]
    .concat();
    assert_eq!(names, expected);
    client.shutdown().await;
}

#[tokio::test]
async fn md5_login_sends_the_challenge_digest() {
    let pbx = Pbx::start().await;
    let mut settings = pbx.settings();
    settings.auth = AuthMethod::Md5;
    let (client, mut events) = AmiClient::connect(settings);
    let mut peer = pbx.accept().await;
    peer.send(BANNER).await;
    assert_eq!(
        peer.read_action().await,
        "Action: Challenge\r\nActionID: tamas-1\r\nAuthType: MD5\r\n\r\n"
    );
    peer.send("Response: Success\r\nActionID: tamas-1\r\nChallenge: 123456789\r\n\r\n")
        .await;
    // md5("123456789" + "cti-secret")
    assert_eq!(
        peer.read_action().await,
        "Action: Login\r\nActionID: tamas-2\r\nUsername: cti\r\nAuthType: MD5\r\nKey: 9ae5818a547160fb25a0d45312bbfa54\r\nEvents: on\r\n\r\n"
    );
    peer.send("Response: Success\r\nActionID: tamas-2\r\nMessage: Authentication accepted\r\n\r\n")
        .await;
    peer.answer_resync(1).await;
    skip_resync(&mut events).await;
    client.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn failed_login_is_reported_and_retried_slowly() {
    let pbx = Pbx::start().await;
    let settings = pbx.settings();
    let max = settings.backoff.max;
    let (client, mut events) = AmiClient::connect(settings);
    let mut peer = pbx.accept().await;
    peer.send(BANNER).await;
    let login = peer.read_action().await;
    assert!(login.contains("Secret: cti-secret\r\n"));
    let refusal = capture_answer("10-failed-login.ami", "tamas-27271-001", "tamas-1");
    assert_eq!(
        refusal,
        "Response: Error\r\nActionID: tamas-1\r\nMessage: Authentication failed\r\n\r\n"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    peer.send(&refusal).await;
    drop(peer);
    let refused_at = Instant::now();
    match next_event(&mut events).await {
        AmiEvent::LoginFailed { message } => assert_eq!(message, "Authentication failed"),
        other => panic!("{other:?}"),
    }
    // Actions meanwhile fail at once instead of queueing up.
    let err = client.send(Action::new("Ping")).await.unwrap_err();
    assert!(matches!(err, ClientError::NotConnected), "{err}");

    let mut again = pbx.accept().await;
    let waited = refused_at.elapsed();
    assert!(waited >= max.mul_f64(0.75), "retried after {waited:?}");
    again.log_in().await;
    again.answer_resync(0).await;
    skip_resync(&mut events).await;
    client.shutdown().await;
}

#[tokio::test]
async fn responses_reach_their_callers_by_action_id_out_of_order() {
    let pbx = Pbx::start().await;
    let (client, mut events) = AmiClient::connect(pbx.settings());
    let mut peer = pbx.accept_logged_in().await;
    skip_resync(&mut events).await;

    let ping = tokio::spawn({
        let client = client.clone();
        async move { client.send(Action::new("Ping")).await }
    });
    let first = peer.read_action().await;
    let summary = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .send(Action::new("Command").header("Command", "core show uptime"))
                .await
        }
    });
    let second = peer.read_action().await;
    assert_eq!(first, "Action: Ping\r\nActionID: tamas-4\r\n\r\n");
    assert_eq!(
        second,
        "Action: Command\r\nActionID: tamas-5\r\nCommand: core show uptime\r\n\r\n"
    );
    peer.send("Response: Success\r\nActionID: tamas-5\r\nMessage: Command output follows\r\nOutput: System uptime: 5 minutes\r\n\r\n")
        .await;
    peer.send("Response: Success\r\nActionID: tamas-4\r\nPing: Pong\r\nTimestamp: 1795343300.200242\r\n\r\n")
        .await;
    let command = summary.await.unwrap().unwrap();
    assert_eq!(command.get("Output"), Some("System uptime: 5 minutes"));
    let pong = ping.await.unwrap().unwrap();
    assert_eq!(pong.get("Ping"), Some("Pong"));

    // An error response is an error, with the PBX's words.
    let frob = tokio::spawn({
        let client = client.clone();
        async move { client.send(Action::new("FrobnicateAll")).await }
    });
    let action = peer.read_action().await;
    let answer = capture_answer(
        "10-state-queries.ami",
        "tamas-27271-013",
        &action_id(&action),
    );
    peer.send(&answer).await;
    match frob.await.unwrap().unwrap_err() {
        ClientError::Rejected { action, message } => {
            assert_eq!(action, "FrobnicateAll");
            assert_eq!(
                message,
                "Invalid/unknown command: FrobnicateAll. Use Action: ListCommands to show available commands."
            );
        }
        other => panic!("{other}"),
    }

    // CR/LF inside a value never reaches the wire.
    let bad = Action::new("Redirect").header("Channel", "PJSIP/1\r\nAction: Logoff");
    assert!(matches!(
        client.send(bad).await,
        Err(ClientError::Invalid(_))
    ));
    client.shutdown().await;
    assert_eq!(
        peer.read_action().await,
        "Action: Logoff\r\nActionID: tamas-7\r\n\r\n"
    );
}

#[tokio::test]
async fn list_actions_are_collected_until_complete() {
    let pbx = Pbx::start().await;
    let (client, mut events) = AmiClient::connect(pbx.settings());
    let mut peer = pbx.accept_logged_in().await;
    skip_resync(&mut events).await;

    let list = tokio::spawn({
        let client = client.clone();
        async move { client.send_list(Action::new("QueueStatus")).await }
    });
    let action = peer.read_action().await;
    let id = action_id(&action);
    // Live events interleave with the list; they go to the stream, the items do not.
    peer.send("Event: DeviceStateChange\r\nPrivilege: call,all\r\nTimestamp: 1795343300.000001\r\nDevice: PJSIP/1002\r\nState: RINGING\r\n\r\n")
        .await;
    peer.send(&capture_answer(
        "10-state-queries.ami",
        "tamas-27271-003",
        &id,
    ))
    .await;
    let list = list.await.unwrap().unwrap();
    assert_eq!(list.response.get("EventList"), Some("start"));
    assert_eq!(list.items.len(), 9);
    assert!(list.items[0].is_event("QueueParams"));
    assert!(list.items[4].is_event("QueueEntry"));
    assert_eq!(list.items[4].get("CallerIDName"), Some("Sima Nouri"));
    let complete = list.complete.unwrap();
    assert_eq!(complete.get("ListItems"), Some("9"));
    assert!(
        next_message(&mut events)
            .await
            .is_event("DeviceStateChange")
    );

    // An unknown queue: Success with an empty list.
    let empty = tokio::spawn({
        let client = client.clone();
        async move {
            let action = Action::new("QueueStatus").header("Queue", "no-such-queue");
            client.send_list(action).await
        }
    });
    let action = peer.read_action().await;
    peer.send(&capture_answer(
        "10-state-queries.ami",
        "tamas-27271-016",
        &action_id(&action),
    ))
    .await;
    let empty = empty.await.unwrap().unwrap();
    assert!(empty.items.is_empty());
    assert_eq!(empty.complete.unwrap().get("ListItems"), Some("0"));
    client.shutdown().await;
}

#[tokio::test]
async fn originate_response_goes_to_the_waiter_and_the_stream() {
    let pbx = Pbx::start().await;
    let (client, mut events) = AmiClient::connect(pbx.settings());
    let mut peer = pbx.accept_logged_in().await;
    skip_resync(&mut events).await;

    let mut originate = Originate::new("PJSIP/1002", "agents", "09127654321");
    originate.caller_id = Some("\"Click-to-call\" <09127654321>".into());
    originate
        .variables
        .push(("__TAMAS_CLICK_ID".into(), "ctc-7f3a".into()));
    let call = tokio::spawn({
        let client = client.clone();
        async move { client.originate(originate).await }
    });
    let sent = peer.read_action().await;
    let capture = std::fs::read_to_string(format!("{FIXTURES}/04-click-to-call.sent.ami")).unwrap();
    let captured = capture.split_inclusive("\r\n\r\n").nth(1).unwrap();
    assert_eq!(sent, captured.replace("tamas-27271-002", "tamas-4"));

    // The capture's answer: the response, the call's events, the OriginateResponse.
    let answer = std::fs::read_to_string(format!("{FIXTURES}/04-click-to-call.ami")).unwrap();
    let from_queued = answer
        .find("Response: Success\r\nActionID: tamas-27271-002")
        .unwrap();
    let to_response = answer.find("Event: MixMonitorStart").unwrap();
    peer.send(&answer[from_queued..to_response].replace("tamas-27271-002", "tamas-4"))
        .await;

    let pending = call.await.unwrap().unwrap();
    assert_eq!(
        pending.queued.get("Message"),
        Some("Originate successfully queued")
    );
    let outcome = pending.outcome().await.unwrap();
    assert!(outcome.answered());
    assert_eq!(outcome.reason(), Some(4));
    assert_eq!(outcome.uniqueid(), Some("1795343037.15"));
    assert_eq!(
        outcome.message().chan_variable("TAMAS_CLICK_ID"),
        Some("ctc-7f3a")
    );

    let mut seen = Vec::new();
    loop {
        let m = next_message(&mut events).await;
        seen.push(m.event().unwrap().to_owned());
        if m.is_event("OriginateResponse") {
            assert_eq!(m.action_id(), Some("tamas-4"));
            break;
        }
    }
    assert_eq!(seen.first().map(String::as_str), Some("Newchannel"));
    client.shutdown().await;
}

#[tokio::test]
async fn a_refused_queue_pause_is_an_error_and_an_accepted_one_succeeds() {
    let pbx = Pbx::start().await;
    let (client, mut events) = AmiClient::connect(pbx.settings());
    let mut peer = pbx.accept_logged_in().await;
    skip_resync(&mut events).await;
    let pause = QueuePause {
        interface: "PJSIP/1003".into(),
        queue: Some("support".into()),
        paused: true,
        reason: Some("lunch".into()),
    };
    let call = tokio::spawn({
        let client = client.clone();
        async move { client.queue_member_pause(pause).await }
    });
    let sent = peer.read_action().await;
    assert_eq!(
        sent,
        "Action: QueuePause\r\nActionID: tamas-4\r\nQueue: support\r\nInterface: PJSIP/1003\r\nPaused: true\r\nReason: lunch\r\n\r\n"
    );
    peer.send(&capture_answer(
        "10-state-queries.ami",
        "tamas-27271-010",
        "tamas-4",
    ))
    .await;
    let ok = call.await.unwrap().unwrap();
    assert_eq!(ok.get("Message"), Some("Interface paused successfully"));
    client.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn pings_when_idle_and_reconnects_when_the_ping_goes_unanswered() {
    let pbx = Pbx::start().await;
    let mut settings = pbx.settings();
    settings.ping_interval = Duration::from_secs(20);
    settings.ping_timeout = Duration::from_secs(2);
    settings.action_timeout = Duration::from_secs(30);
    let (client, mut events) = AmiClient::connect(settings);
    let mut peer = pbx.accept_logged_in().await;
    skip_resync(&mut events).await;
    let connected = Instant::now();

    let ping = peer.read_action().await;
    assert_eq!(ping, "Action: Ping\r\nActionID: tamas-4\r\n\r\n");
    assert!(connected.elapsed() >= Duration::from_secs(20));
    peer.send("Response: Success\r\nActionID: tamas-4\r\nPing: Pong\r\nTimestamp: 1795343300.200242\r\n\r\n")
        .await;
    // The pong is not an event.
    let ping = peer.read_action().await;
    assert_eq!(ping, "Action: Ping\r\nActionID: tamas-5\r\n\r\n");
    let pinged = Instant::now();
    // No pong this time: the session is declared dead after the ping timeout (not the
    // much longer action timeout), and its socket closed.
    match next_event(&mut events).await {
        AmiEvent::Disconnected { reason } => assert!(reason.contains("Ping"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(pinged.elapsed() >= Duration::from_secs(2));
    assert!(pinged.elapsed() < Duration::from_secs(30));
    assert_eq!(peer.read_action().await, "", "the dead link is closed");
    let mut again = pbx.accept_logged_in().await;
    skip_resync(&mut events).await;
    client.shutdown().await;
    assert!(again.read_action().await.starts_with("Action: Logoff\r\n"));
    drop(peer);
}

#[tokio::test(start_paused = true)]
async fn an_unanswered_action_times_out() {
    let pbx = Pbx::start().await;
    let mut settings = pbx.settings();
    settings.action_timeout = Duration::from_secs(3);
    settings.ping_interval = Duration::from_secs(3600);
    let (client, mut events) = AmiClient::connect(settings);
    let mut peer = pbx.accept_logged_in().await;
    skip_resync(&mut events).await;
    let started = Instant::now();
    let err = client
        .send(Action::new("Status"))
        .await
        .expect_err("no answer");
    assert!(
        matches!(err, ClientError::Timeout { ref action, .. } if action == "Status"),
        "{err}"
    );
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert!(peer.read_action().await.starts_with("Action: Status\r\n"));
    // The late answer is dropped; the session goes on.
    peer.send("Response: Success\r\nActionID: tamas-4\r\nEventList: start\r\n\r\n")
        .await;
    let pong = tokio::spawn({
        let client = client.clone();
        async move { client.send(Action::new("Ping")).await }
    });
    assert_eq!(
        peer.read_action().await,
        "Action: Ping\r\nActionID: tamas-5\r\n\r\n"
    );
    peer.send("Response: Success\r\nActionID: tamas-5\r\nPing: Pong\r\n\r\n")
        .await;
    assert!(pong.await.unwrap().is_ok());
    client.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_closed_socket_fails_pending_actions_then_reconnects_and_resyncs() {
    let pbx = Pbx::start().await;
    let settings = pbx.settings();
    let min = settings.backoff.min;
    let (client, mut events) = AmiClient::connect(settings);
    let mut peer = pbx.accept_logged_in().await;
    skip_resync(&mut events).await;

    let waiting = tokio::spawn({
        let client = client.clone();
        async move { client.send_list(Action::new("CoreShowChannels")).await }
    });
    assert!(
        peer.read_action()
            .await
            .starts_with("Action: CoreShowChannels\r\n")
    );
    // The PBX was killed (11-asterisk-killed: plain EOF).
    drop(peer);
    let closed_at = Instant::now();
    match waiting.await.unwrap().unwrap_err() {
        ClientError::ConnectionLost { action, reason } => {
            assert_eq!(action, "CoreShowChannels");
            assert!(reason.contains("closed"), "{reason}");
        }
        other => panic!("{other}"),
    }
    match next_event(&mut events).await {
        AmiEvent::Disconnected { reason } => assert!(reason.contains("closed"), "{reason}"),
        other => panic!("{other:?}"),
    }

    // The PBX restarted: login, then the client resyncs by itself.
    let mut peer = pbx.accept().await;
    assert!(
        closed_at.elapsed() >= min,
        "reconnected after {:?}",
        closed_at.elapsed()
    );
    peer.log_in().await;
    assert_eq!(
        peer.read_action().await,
        "Action: CoreShowChannels\r\nActionID: tamas-2\r\n\r\n"
    );
    assert_eq!(
        peer.read_action().await,
        "Action: QueueStatus\r\nActionID: tamas-3\r\n\r\n"
    );
    peer.send(&capture_answer(
        "11-reconnect-resync.ami",
        "tamas-29144-002",
        "tamas-2",
    ))
    .await;
    peer.send(&capture_answer(
        "11-reconnect-resync.ami",
        "tamas-29144-003",
        "tamas-3",
    ))
    .await;
    assert!(matches!(
        next_event(&mut events).await,
        AmiEvent::Connected { .. }
    ));
    let complete = next_message(&mut events).await;
    assert!(complete.is_event("CoreShowChannelsComplete"));
    assert_eq!(complete.get("ListItems"), Some("0"));
    client.shutdown().await;
}

#[tokio::test]
async fn a_slow_consumer_loses_nothing() {
    let pbx = Pbx::start().await;
    let mut settings = pbx.settings();
    settings.event_buffer = 4;
    let (client, mut events) = AmiClient::connect(settings);
    let mut peer = pbx.accept_logged_in().await;
    skip_resync(&mut events).await;

    const EVENTS: usize = 5_000;
    let writer = tokio::spawn(async move {
        let mut batch = String::new();
        for n in 0..EVENTS {
            batch.push_str(&format!(
                "Event: VarSet\r\nPrivilege: dialplan,all\r\nTimestamp: 1795342979.{n:06}\r\nChannel: PJSIP/trunk-00000000\r\nVariable: N\r\nValue: {n}\r\n\r\n"
            ));
        }
        peer.send(&batch).await;
        peer
    });
    for n in 0..EVENTS {
        if n % 500 == 0 {
            // The consumer is busy now and then; the client must wait, not drop.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let m = next_message(&mut events).await;
        assert_eq!(m.get("Value"), Some(n.to_string().as_str()));
    }
    let _peer = writer.await.unwrap();
    client.shutdown().await;
}

#[tokio::test]
async fn a_shutdown_logs_off_keeps_the_last_events_and_says_stopped() {
    let pbx = Pbx::start().await;
    let tasks = tokio_util::task::TaskTracker::new();
    let stop = tokio_util::sync::CancellationToken::new();
    let (_client, mut events) = AmiClient::connect_in(pbx.settings(), &tasks, stop.clone());
    let mut peer = pbx.accept_logged_in().await;
    skip_resync(&mut events).await;

    stop.cancel();
    let logoff = peer.read_action().await;
    assert!(logoff.starts_with("Action: Logoff\r\n"), "{logoff}");
    // A call ended on the PBX just before it read the Logoff.
    peer.send("Event: Hangup\r\nPrivilege: call,all\r\nUniqueid: 1795342978.0\r\nLinkedid: 1795342978.0\r\nCause: 16\r\n\r\n")
        .await;
    peer.send(&format!(
        "Response: Goodbye\r\nActionID: {}\r\nMessage: Thanks for all the fish.\r\n\r\n",
        action_id(&logoff)
    ))
    .await;
    assert!(next_message(&mut events).await.is_event("Hangup"));
    match next_event(&mut events).await {
        AmiEvent::Stopped { logged_off } => assert!(logged_off),
        other => panic!("a shutdown is not a lost connection: {other:?}"),
    }
    assert!(events.recv().await.is_none(), "nothing after Stopped");
    tasks.close();
    tokio::time::timeout(Duration::from_secs(10), tasks.wait())
        .await
        .expect("the connection task is owned by the tracker and ended");
}

#[tokio::test(start_paused = true)]
async fn a_shutdown_while_disconnected_says_stopped_without_a_logoff() {
    let pbx = Pbx::start().await;
    let settings = pbx.settings();
    drop(pbx);
    let (client, mut events) = AmiClient::connect(settings);
    assert!(matches!(
        next_event(&mut events).await,
        AmiEvent::ConnectFailed { .. }
    ));
    client.shutdown().await;
    match next_event(&mut events).await {
        AmiEvent::Stopped { logged_off } => assert!(!logged_off),
        other => panic!("{other:?}"),
    }
}
