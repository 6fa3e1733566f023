//! A PBX that misbehaves, against a real `tamas serve` (its memory read from `/proc`):
//!
//! - it opens tens of thousands of calls and never ends them: the server's memory stays
//!   flat while they flow (the tracker closes calls out past `pbx.max_open_calls`, with a
//!   warning, and writes them to the call log with `end_known: false`), no call event is
//!   lost, and a normal call afterwards still pops up on its agent's screen. (Memory is
//!   judged between the per-minute jobs that read the call log: those hold a period's
//!   calls while they run, so they step up with the log's size, whatever the PBX does.)
//! - it stops answering after the login: Tamas declares the link dead when a `Ping` goes
//!   unanswered, closes it and logs in again, and SIGTERM still ends within the drain time.
//!
//! The PBX is a small AMI server in this process ([`fake_pbx`]) replaying events as the
//! captures of a real Asterisk 22 show them.

mod fake_pbx;
/// The `tamas serve` child process (shared with `idle_cpu`).
pub(crate) mod server;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crm_core::{CallFilter, NewUser, Role, Store, TokenScope, Username};
use futures_util::StreamExt as _;
use tokio_tungstenite::tungstenite;

use crate::support::TestDatabase;
use fake_pbx::FakePbx;
use server::Server;

/// Calls the flood opens (none ends).
const FLOOD: u32 = 20_000;
/// The cap configured for the flood.
const MAX_OPEN_CALLS: usize = 1_000;
/// The most the server's resident memory may grow per call closed out during a stretch
/// of the flood, once the calls at the cap have filled it (the first seconds). 0.5 to
/// 0.9 kB were seen (caches of callers' numbers, SQLite's page cache as the log grows);
/// without the cap each call held several kB (tracker, live view, popups, open-calls
/// table, queue board: 736 MB for 200,000 calls in the adversarial pass).
const GROWTH_PER_CALL_BOUND_BYTES: u64 = 1536;
/// The fewest calls written to the log in a stretch that is judged.
const STRETCH_CALLS: u64 = 1_500;
/// The jobs that act on the call log (per-call metrics, alert checks) run on the minute
/// from the start, reading the calls written since; the first run reads the whole log.
/// Stretches are taken a minute at a time: from this long after one run
/// ([`JOB_SETTLE_S`], by when the calls at the cap have also filled it) to just before the
/// next.
const JOB_PERIOD_S: f64 = 60.0;
/// See [`JOB_PERIOD_S`].
const JOB_SETTLE_S: f64 = 12.0;
/// `server.shutdown_timeout_s` of these probes.
const DRAIN_S: u64 = 5;
/// What SIGTERM may take beyond the drain time (process start-up of `kill`, the runtime).
const EXIT_MARGIN: Duration = Duration::from_secs(5);
/// The capture whose call is the normal call after the flood.
const CAPTURE: &str = "/work/shared/fixtures/asterisk/01-inbound-answered.ami";
/// Its Linkedid.
const CAPTURED_CALL: &str = "1795342979.0";

/// On SQLite only: the bounds are the tracker's, whatever the store, and each call closed
/// out is one write to the call log, which a shared PostgreSQL takes at about 30 a
/// second here (the flood would take ten minutes).
#[tokio::test]
async fn a_pbx_opening_calls_without_end_keeps_memory_bounded() {
    let tempdir = tempfile::tempdir().unwrap();
    let db = TestDatabase::sqlite(tempdir.path()).await;
    let dir = tempdir.path();
    let Ok(capture) = std::fs::read(CAPTURE) else {
        panic!("the capture {CAPTURE} is missing");
    };
    let pbx = FakePbx::start(false).await;
    let token = agent_token(db.store.as_ref(), "sara", "1001").await;
    let mut server = Server::start(
        &db.url,
        pbx.port,
        &format!("max_open_calls = {MAX_OPEN_CALLS}"),
        &format!("[server]\nshutdown_timeout_s = {DRAIN_S}\n"),
        dir,
    )
    .await;
    server.wait_connected().await;
    let socket = agent_socket(&server.host, &token).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before_kb = server.rss_kb();

    let flood_started = std::time::Instant::now();
    let samples = Arc::new(Mutex::new(Vec::new()));
    let sampler = tokio::spawn(sample_memory(
        db.url.clone(),
        server.pid(),
        server.started,
        Arc::clone(&samples),
    ));
    // The agent's socket is read all along (it answers the hub's pings, as a browser does).
    let the_call = tokio::spawn(wait_for_the_call(socket));
    let mut batch = Vec::new();
    for n in 0..FLOOD {
        batch.extend_from_slice(&endless_call(n));
        if batch.len() > 256 * 1024 {
            pbx.send(std::mem::take(&mut batch)).await;
        }
    }
    pbx.send(batch).await;
    // Then a normal call, as a real Asterisk sent it: agent 1001 rings, answers, hangs up.
    pbx.send(captured_events(&capture)).await;
    eprintln!("flood sent in {:?}", flood_started.elapsed());
    let (rang, ended) = the_call.await.unwrap();
    eprintln!("normal call seen after {:?}", flood_started.elapsed());
    let log = server.log();
    assert!(
        rang && ended,
        "the normal call popped up and ended: {rang} {ended}: {}",
        &log[log.len().saturating_sub(4000)..]
    );
    // Every call closed out is in the call log, marked as not ended by the PBX.
    let closed_out = u64::from(FLOOD) - MAX_OPEN_CALLS as u64;
    let logged = wait_for_logged(db.store.as_ref(), closed_out).await;
    assert!(
        logged >= closed_out,
        "{logged} of {closed_out} calls in the log"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after_kb = server.rss_kb();
    sampler.abort();
    judge_memory(&samples.lock().unwrap(), before_kb, after_kb, &db.url);
    let log = server.log();
    assert!(
        log.contains("calls closed out by the open-calls limits"),
        "the warning is logged: {log}"
    );
    let minutes = server.started.elapsed().as_secs() / 60;
    let warnings = log
        .matches("calls closed out by the open-calls limits")
        .count() as u64;
    assert!(
        warnings <= minutes + 2,
        "the warning is rate-limited (once a minute; {warnings} in {minutes} minutes)"
    );
    // (The wallboard's own, lossy, feed of wrap-ups may say it missed some: it says so.)
    for lost in ["events lost", "popups fell behind"] {
        assert!(!log.contains(lost), "nothing lost ({lost}): {log}");
    }

    server.sigterm();
    let (status, took) = server
        .exited(Duration::from_secs(DRAIN_S) + EXIT_MARGIN)
        .await;
    eprintln!("endless calls: SIGTERM → exit {status} in {took:?}");
}

#[tokio::test]
async fn a_pbx_that_stops_answering_is_dropped_and_does_not_hold_the_stop() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::sqlite(dir.path()).await;
    let pbx = FakePbx::start(true).await;
    let mut server = Server::start(
        &db.url,
        pbx.port,
        "ping_interval_s = 1\nping_timeout_s = 1",
        &format!("[server]\nshutdown_timeout_s = {DRAIN_S}\n"),
        dir.path(),
    )
    .await;
    server.wait_connected().await;
    // The first Ping goes out after a second and is not answered within another.
    for _ in 0..300 {
        if pbx.logins() >= 2 && pbx.closed_by_client() >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(pbx.logins() >= 2, "logged in again: {}", server.log());
    assert!(pbx.closed_by_client() >= 1, "the dead link was closed");
    assert!(
        server.log().contains("no answer to Ping"),
        "{}",
        server.log()
    );

    server.sigterm();
    let (status, took) = server
        .exited(Duration::from_secs(DRAIN_S) + EXIT_MARGIN)
        .await;
    eprintln!("silent PBX: SIGTERM → exit {status} in {took:?}");
}

#[tokio::test]
async fn sigterm_during_a_flood_of_calls_ends_within_the_drain_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::sqlite(dir.path()).await;
    let pbx = FakePbx::start(false).await;
    let mut server = Server::start(
        &db.url,
        pbx.port,
        &format!("max_open_calls = {MAX_OPEN_CALLS}"),
        &format!("[server]\nshutdown_timeout_s = {DRAIN_S}\n"),
        dir.path(),
    )
    .await;
    server.wait_connected().await;
    let flood = tokio::spawn({
        let pbx = pbx.clone();
        async move {
            for n in 0..FLOOD {
                if !pbx.try_send(endless_call(n)).await {
                    return;
                }
            }
        }
    });
    // Thousands of calls open, more being closed out and written, the socket full.
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(!flood.is_finished(), "the PBX is still flooding");
    server.sigterm();
    let (status, took) = server
        .exited(Duration::from_secs(DRAIN_S) + EXIT_MARGIN)
        .await;
    eprintln!("flood: SIGTERM → exit {status} in {took:?}");
    flood.abort();
}

/// An inbound call on the trunk as the captures' `Newchannel`, `Newstate` (the dialplan's
/// `Answer()`) and `QueueCallerJoin` show it, numbered `n`, before the captured call's
/// time: a caller who waits in the queue for ever.
fn endless_call(n: u32) -> Vec<u8> {
    let at = format!("{}.{:06}", 1_795_300_000 + n / 100, (n % 100) * 10_000);
    let uid = format!("1795300000.{n}");
    let channel = format!("PJSIP/trunk-{:08x}", n + 0x100);
    let number = format!("0912{:07}", n);
    let position = n + 1;
    format!(
        "Event: Newchannel\r\nPrivilege: call,all\r\nTimestamp: {at}\r\nChannel: {channel}\r\n\
         ChannelState: 4\r\nChannelStateDesc: Ring\r\nCallerIDNum: {number}\r\n\
         CallerIDName: Caller {n}\r\nConnectedLineNum: <unknown>\r\nConnectedLineName: <unknown>\r\n\
         Language: en\r\nAccountCode: \r\nContext: from-trunk\r\nExten: 02191001000\r\n\
         Priority: 1\r\nUniqueid: {uid}\r\nLinkedid: {uid}\r\nChanVariable: DID=\r\n\
         ChanVariable: TAMAS_CLICK_ID=\r\n\r\n\
         Event: Newstate\r\nPrivilege: call,all\r\nTimestamp: {at}\r\nChannel: {channel}\r\n\
         ChannelState: 6\r\nChannelStateDesc: Up\r\nCallerIDNum: {number}\r\n\
         CallerIDName: Caller {n}\r\nConnectedLineNum: <unknown>\r\nConnectedLineName: <unknown>\r\n\
         Language: en\r\nAccountCode: \r\nContext: from-trunk\r\nExten: 02191001000\r\n\
         Priority: 3\r\nUniqueid: {uid}\r\nLinkedid: {uid}\r\nChanVariable: DID=02191001000\r\n\
         ChanVariable: TAMAS_CLICK_ID=\r\n\r\n\
         Event: QueueCallerJoin\r\nPrivilege: agent,all\r\nTimestamp: {at}\r\nChannel: {channel}\r\n\
         ChannelState: 6\r\nChannelStateDesc: Up\r\nCallerIDNum: {number}\r\n\
         CallerIDName: Caller {n}\r\nConnectedLineNum: <unknown>\r\nConnectedLineName: <unknown>\r\n\
         Language: en\r\nAccountCode: \r\nContext: inbound-queue\r\nExten: s\r\nPriority: 6\r\n\
         Uniqueid: {uid}\r\nLinkedid: {uid}\r\nChanVariable: DID=02191001000\r\n\
         ChanVariable: TAMAS_CLICK_ID=\r\nQueue: support\r\nPosition: {position}\r\n\
         Count: {position}\r\n\r\n"
    )
    .into_bytes()
}

/// The events of a capture (not its banner, login answer or `Goodbye`).
fn captured_events(capture: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(capture);
    let mut out = String::new();
    for message in text.split("\r\n\r\n") {
        let message = message.trim_start_matches("\r\n");
        if message.starts_with("Event: ") {
            out.push_str(message);
            out.push_str("\r\n\r\n");
        }
    }
    out.into_bytes()
}

/// An agent with `extension` and a bearer token for them.
async fn agent_token(store: &dyn Store, username: &str, extension: &str) -> String {
    let user = store
        .create_user(&NewUser {
            username: Username::parse(username).unwrap(),
            display_name: format!("{username} (test)"),
            role: Role::Agent,
            extension: Some(crm_core::Extension::parse(extension).unwrap()),
            locale: crm_core::Locale::En,
            password_hash: "not a password".into(),
        })
        .await
        .unwrap();
    let (_, token) = store.create_token(user.id, TokenScope::Full).await.unwrap();
    token.expose().to_owned()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn agent_socket(host: &str, token: &str) -> Socket {
    let mut request =
        tungstenite::client::IntoClientRequest::into_client_request(format!("ws://{host}/ws"))
            .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket
}

/// Reads the agent's socket until the captured call rang and ended (seven minutes at most:
/// the flood is tracked first, in order, at the pace the call log is written).
async fn wait_for_the_call(mut socket: Socket) -> (bool, bool) {
    let (mut rang, mut ended) = (false, false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(420);
    while !(rang && ended) {
        let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, socket.next()).await else {
            break;
        };
        let tungstenite::Message::Text(text) = message else {
            continue;
        };
        let frame: serde_json::Value = serde_json::from_str(&text).unwrap();
        if frame["call_id"] != CAPTURED_CALL {
            continue;
        }
        match frame["type"].as_str() {
            Some("call.ringing") => {
                assert_eq!(frame["number"], "09121234567");
                rang = true;
            }
            Some("call.ended") => ended = true,
            _ => {}
        }
    }
    (rang, ended)
}

/// Waits until the call log holds `at_least` calls that did not end by the PBX's word
/// (two minutes at most); how many it holds.
async fn wait_for_logged(store: &dyn Store, at_least: u64) -> u64 {
    let filter = CallFilter {
        limit: 1_000_000,
        ..CallFilter::default()
    };
    let mut logged = 0;
    for _ in 0..240 {
        let calls = store.list_calls(&filter).await.unwrap();
        logged = calls.iter().filter(|c| !c.end_known).count() as u64;
        if logged >= at_least {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    logged
}

/// Memory stays flat while calls are closed out: at most [`GROWTH_PER_CALL_BOUND_BYTES`] per
/// call in every stretch between the per-minute jobs.
fn judge_memory(samples: &[Sample], before_kb: u64, after_kb: u64, database_url: &str) {
    let stretches = stretches(samples);
    eprintln!(
        "endless calls ({}): VmRSS {before_kb} kB before, {after_kb} kB after {FLOOD} calls; \
         between the per-minute jobs (calls written, kB grown): {stretches:?}",
        database_url.split(':').next().unwrap_or("")
    );
    assert!(!stretches.is_empty(), "no stretch long enough: {samples:?}");
    for (calls, grown_kb) in stretches {
        assert!(
            grown_kb * 1000 < GROWTH_PER_CALL_BOUND_BYTES * calls,
            "memory grew by {grown_kb} kB while {calls} calls were closed out: {samples:?}"
        );
    }
}

/// One sample: seconds since the server started, calls in the log, resident memory (kB).
type Sample = (f64, u64, u64);

/// Every second: how many calls the call log holds, and the server's resident memory.
async fn sample_memory(
    database_url: String,
    pid: u32,
    started: std::time::Instant,
    samples: Arc<Mutex<Vec<Sample>>>,
) {
    use sqlx::Connection as _;
    const COUNT: &str = "SELECT COUNT(*) FROM calls";
    loop {
        let logged: i64 = if database_url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(&database_url)
                .await
                .unwrap();
            sqlx::query_scalar(COUNT)
                .fetch_one(&mut conn)
                .await
                .unwrap()
        } else {
            let mut conn = sqlx::PgConnection::connect(&database_url).await.unwrap();
            sqlx::query_scalar(COUNT)
                .fetch_one(&mut conn)
                .await
                .unwrap()
        };
        let rss = server::rss_kb(pid);
        let at = started.elapsed().as_secs_f64();
        samples
            .lock()
            .unwrap()
            .push((at, u64::try_from(logged).unwrap(), rss));
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// For each minute between the jobs' runs, the calls written and the memory grown (kB)
/// from [`JOB_SETTLE_S`] after one run to just before the next; only stretches with at
/// least [`STRETCH_CALLS`] calls.
fn stretches(samples: &[Sample]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let minutes = samples.last().map_or(0, |s| (s.0 / JOB_PERIOD_S) as u64);
    for minute in 0..=minutes {
        let from = minute as f64 * JOB_PERIOD_S + JOB_SETTLE_S;
        let to = (minute + 1) as f64 * JOB_PERIOD_S - 2.0;
        let inside: Vec<&Sample> = samples
            .iter()
            .filter(|s| (from..to).contains(&s.0))
            .collect();
        let (Some(first), Some(last)) = (inside.first(), inside.last()) else {
            continue;
        };
        let calls = last.1.saturating_sub(first.1);
        if calls >= STRETCH_CALLS {
            out.push((calls, last.2.saturating_sub(first.2)));
        }
    }
    out
}
