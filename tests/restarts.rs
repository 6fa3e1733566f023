//! Nothing lost when Tamas or the PBX stops mid-call: `tamas serve` (a real process) is
//! stopped with SIGTERM or SIGKILL while calls of the simulated PBX are in progress and
//! started again; the call log then holds each call once, equal to what the simulator
//! really did (its `--truth` lines). The simulated PBX runs in this process for the
//! restarts of Tamas (calls placed at will) and as its own process, killed, for the crash
//! of the PBX. SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crm_core::{CallFilter, CallRow};
use cti::sim::{CallSpec, Scenario, SimCall, SimHandle, SimSettings, Simulator};
use serde_json::Value;
use support::{Serve, Served, TestDatabase, became_true};

/// The simulated PBX in this process, writing its truth.
struct Pbx {
    sim: SimHandle,
    port: u16,
    truth: PathBuf,
}

impl Pbx {
    async fn start(dir: &Path) -> Pbx {
        let truth = dir.join("truth.jsonl");
        let settings = SimSettings {
            hostile_names: 0.0,
            max_extra_talk: Duration::ZERO,
            truth: Some(truth.clone()),
            ..SimSettings::lab()
        };
        let simulator = Simulator::new(settings).unwrap();
        let sim = simulator.handle();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(simulator.serve(listener, std::future::pending()));
        Pbx { sim, port, truth }
    }

    /// An inbound call to `support` answered by `agent` after `wait` in the queue, talking
    /// for `talk`.
    fn call(&self, number: &str, agent: &str, wait: u64, talk: u64) -> SimCall {
        self.sim
            .place(
                CallSpec::new(Scenario::InboundAnswered)
                    .customer(number, "Caller")
                    .agent(agent)
                    .extra_wait(Duration::from_secs(wait))
                    .extra_talk(Duration::from_secs(talk)),
            )
            .unwrap()
    }

    /// The truth line of the call `linkedid`.
    fn truth(&self, linkedid: &str) -> Value {
        truth_lines(&self.truth)
            .into_iter()
            .find(|t| t["linkedid"] == linkedid)
            .unwrap_or_else(|| panic!("no truth for {linkedid}"))
    }
}

impl Drop for Pbx {
    fn drop(&mut self) {
        self.sim.shutdown();
    }
}

fn truth_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// `tamas serve` connected to the PBX on `port` (started through the harness's launcher).
struct Server {
    served: Served,
    config: PathBuf,
    url: String,
}

impl Server {
    async fn start(db: &TestDatabase, port: u16, dir: &Path, run: u32) -> Server {
        let config = dir.join("tamas.toml");
        let agents: String = ["1001", "1002", "1003"]
            .iter()
            .map(|e| format!("[[pbx.agents]]\nextension = \"{e}\"\n"))
            .collect();
        std::fs::write(
            &config,
            format!(
                "[pbx]\nname = \"sim\"\nhost = \"127.0.0.1\"\nport = {port}\nusername = \"cti\"\n\
                 secret = \"cti-secret\"\ntrunks = [\"trunk\"]\n\n{agents}\n[recordings]\n\
                 data_dir = \"{}\"\n",
                dir.join("recordings").display()
            ),
        )
        .unwrap();
        Self::spawn(db, config, dir, run).await
    }

    async fn spawn(db: &TestDatabase, config: PathBuf, dir: &Path, run: u32) -> Server {
        let served = Serve::new(&db.url)
            .config(&config)
            .log_filter("info,sqlx=warn,tower_http=warn")
            .log_file(&dir.join(format!("server-{run}.log")))
            .start()
            .await;
        Server {
            url: served.url.clone(),
            served,
            config,
        }
    }

    fn log(&self) -> String {
        self.served.log()
    }

    /// Waits until it answers HTTP and has resynced with the PBX.
    async fn wait_connected(&self) {
        support::wait_until_up(&self.url).await;
        let connected = became_true(Duration::from_secs(20), || {
            std::future::ready(self.log().contains("connected to the PBX"))
        })
        .await;
        assert!(
            connected,
            "tamas never connected to the PBX: {}",
            self.log()
        );
        // The listing follows the login at once.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    /// Stops it with `signal` (`TERM` or `KILL`) and waits for the exit.
    async fn stop(mut self, signal: &str) -> PathBuf {
        self.served.signal(signal);
        if self.served.exited(Duration::from_secs(15)).await.is_none() {
            panic!("tamas did not exit after SIG{signal}: {}", self.log());
        }
        self.config.clone()
    }
}

async fn logged(db: &TestDatabase) -> Vec<CallRow> {
    let every = CallFilter {
        limit: 100_000,
        ..CallFilter::default()
    };
    db.store.list_calls(&every).await.unwrap()
}

/// Waits until the call `linkedid` is in the log (30 s at most).
async fn logged_call(db: &TestDatabase, linkedid: &str) -> CallRow {
    for _ in 0..300 {
        if let Some(row) = logged(db)
            .await
            .into_iter()
            .find(|c| c.linkedid == linkedid)
        {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("call {linkedid} never logged");
}

/// The row agrees with the truth: who, what, when, to the tolerance of the tracker.
fn assert_matches_truth(row: &CallRow, truth: &Value) {
    let ctx = &row.linkedid;
    let ms = |v: &Value| v.as_i64();
    let near = |what: &str, got: Option<i64>, want: Option<i64>, tol: i64| match (got, want) {
        (Some(g), Some(w)) => assert!((g - w).abs() <= tol, "{ctx} {what}: {g} vs {w}"),
        (g, w) => assert_eq!(g, w, "{ctx} {what}"),
    };
    assert_eq!(
        row.direction.as_str(),
        truth["direction"].as_str().unwrap(),
        "{ctx}"
    );
    assert_eq!(
        row.disposition.as_str(),
        truth["disposition"].as_str().unwrap(),
        "{ctx}"
    );
    assert_eq!(row.queue.as_deref(), truth["queue"].as_str(), "{ctx}");
    assert_eq!(
        row.answered_by_extension.as_deref(),
        truth["answered_by_extension"].as_str(),
        "{ctx}"
    );
    near(
        "started",
        Some(row.started_at_ms),
        ms(&truth["started_at_ms"]),
        1,
    );
    near("wait", row.wait_ms, ms(&truth["wait_ms"]), 50);
    near("talk", row.talk_ms, ms(&truth["talk_ms"]), 50);
    near("ended", row.ended_at_ms, ms(&truth["ended_at_ms"]), 50);
    assert!(row.end_known, "{ctx}: the end is known");
    assert_eq!(
        row.hangup_by.map(crm_core::HangupBy::as_str),
        truth["hangup_by"].as_str(),
        "{ctx}"
    );
}

/// (a)/(b) Stopped while a call is answered; started again 3 s later; the call ends
/// afterwards: one row, equal to the truth; `/api/calls/active` lists the call at once.
async fn answered_call_survives(db: TestDatabase, dir: &Path, signal: &str) {
    let pbx = Pbx::start(dir).await;
    let server = Server::start(&db, pbx.port, dir, 1).await;
    server.wait_connected().await;
    let call = pbx.call("09121234567", "1001", 0, 12);
    let linkedid = call.linkedid.clone();
    // Answered after 5 s; stop 3 s into the talk.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let config = server.stop(signal).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let server = Server::spawn(&db, config, dir, 2).await;
    server.wait_connected().await;
    let open = db.store.open_calls("sim").await.unwrap();
    assert_eq!(open.len(), 1, "the call is still saved as open");
    call.finished().await;
    let row = logged_call(&db, &linkedid).await;
    assert_matches_truth(&row, &pbx.truth(&linkedid));
    assert_eq!(row.agent_extension.as_deref(), Some("1001"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(logged(&db).await.len(), 1, "one row");
    assert!(db.store.open_calls("sim").await.unwrap().is_empty());
    drop(server);
}

/// (c) Killed while the caller waits; the agent answers while Tamas is down; the call ends
/// after the restart: one answered row, with its queue and a wait between the stop and
/// the truth.
async fn call_answered_during_the_downtime(db: TestDatabase, dir: &Path) {
    let pbx = Pbx::start(dir).await;
    let server = Server::start(&db, pbx.port, dir, 1).await;
    server.wait_connected().await;
    let call = pbx.call("09351234567", "1002", 6, 10);
    let linkedid = call.linkedid.clone();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let stopped = now_ms();
    let config = server.stop("KILL").await;
    // The agent answers about 8 s after the join (6 s extra wait + ring).
    tokio::time::sleep(Duration::from_secs(9)).await;
    let server = Server::spawn(&db, config, dir, 2).await;
    server.wait_connected().await;
    call.finished().await;
    let row = logged_call(&db, &linkedid).await;
    let truth = pbx.truth(&linkedid);
    assert_eq!(row.disposition.as_str(), "answered");
    assert_eq!(row.queue.as_deref(), Some("support"));
    assert_eq!(row.answered_by_extension.as_deref(), Some("1002"));
    let wait = row.wait_ms.unwrap();
    let joined = row.queued_at_ms.unwrap();
    assert!(
        wait >= stopped - joined - 1500 && wait <= truth["wait_ms"].as_i64().unwrap() + 1000,
        "wait {wait} ms: the stop was {} ms after the join, the truth {}",
        stopped - joined,
        truth["wait_ms"]
    );
    assert!(row.end_known);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(logged(&db).await.len(), 1, "one row");
    drop(server);
}

/// (d) A call up at the stop ends while Tamas is down: one row, `end_known: false`, ended
/// within the downtime, with its queue, wait and agent.
async fn call_ended_during_the_downtime(db: TestDatabase, dir: &Path) {
    let pbx = Pbx::start(dir).await;
    let server = Server::start(&db, pbx.port, dir, 1).await;
    server.wait_connected().await;
    let call = pbx.call("02144556677", "1003", 0, 2);
    let linkedid = call.linkedid.clone();
    tokio::time::sleep(Duration::from_secs(7)).await;
    let stopped = now_ms();
    let config = server.stop("TERM").await;
    call.finished().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let restarted = now_ms();
    let server = Server::spawn(&db, config, dir, 2).await;
    server.wait_connected().await;
    let row = logged_call(&db, &linkedid).await;
    let truth = pbx.truth(&linkedid);
    assert!(!row.end_known);
    let ended = row.ended_at_ms.unwrap();
    assert!(
        (stopped - 200..=restarted).contains(&ended),
        "ended {ended}: stopped {stopped}, restarted {restarted}"
    );
    assert_eq!(row.disposition.as_str(), "answered");
    assert_eq!(row.queue.as_deref(), Some("support"));
    assert_eq!(row.answered_by_extension.as_deref(), Some("1003"));
    let wait = row.wait_ms.unwrap();
    assert!((wait - truth["wait_ms"].as_i64().unwrap()).abs() <= 50);
    assert_eq!(logged(&db).await.len(), 1);
    assert!(db.store.open_calls("sim").await.unwrap().is_empty());
    drop(server);
}

/// (e) The PBX is killed mid-call and started again: the call ends at the crash, ± 1 s.
async fn pbx_crash_ends_calls_when_it_died(db: TestDatabase, dir: &Path) {
    let truth = dir.join("truth.jsonl");
    let sim_args = |truth: &Path| {
        vec![
            OsStr::new("--scenarios").to_owned(),
            OsStr::new("inbound-answered").to_owned(),
            OsStr::new("--calls-per-minute").to_owned(),
            OsStr::new("30").to_owned(),
            OsStr::new("--talk-seconds").to_owned(),
            OsStr::new("30").to_owned(),
            OsStr::new("--truth").to_owned(),
            truth.as_os_str().to_owned(),
        ]
    };
    let args = sim_args(&truth);
    let refs: Vec<&OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let (sim, address) = support::simulate_pbx(&refs);
    let port: u16 = address.rsplit_once(':').unwrap().1.parse().unwrap();
    let server = Server::start(&db, port, dir, 1).await;
    server.wait_connected().await;
    // Wait until some call is up (answered) in Tamas' view.
    let mut up = false;
    for _ in 0..600 {
        if db
            .store
            .open_calls("sim")
            .await
            .unwrap()
            .iter()
            .any(|c| c.state.contains("\"answered_us\":1"))
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "a call was answered: {}", server.log());
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(sim); // SIGKILL
    let crashed = now_ms();
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Started again on the same port, with no calls.
    let again = Command::new(support::tamas_bin())
        .args([
            "simulate-pbx",
            "--listen",
            &address,
            "--calls-per-minute",
            "0",
        ])
        .env_remove("TAMAS_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let again = support::KillOnDrop(again);
    let mut rows = Vec::new();
    for _ in 0..300 {
        rows = logged(&db).await;
        if rows.iter().any(|r| !r.end_known) && db.store.open_calls("sim").await.unwrap().is_empty()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let vanished: Vec<&CallRow> = rows.iter().filter(|r| !r.end_known).collect();
    assert!(
        !vanished.is_empty(),
        "the calls up at the crash were closed"
    );
    for row in vanished {
        let ended = row.ended_at_ms.unwrap();
        assert!(
            (ended - crashed).abs() <= 1000,
            "{}: ended {ended}, crashed {crashed}",
            row.linkedid
        );
    }
    // Calls that ended before the crash agree with the truth.
    for line in truth_lines(&truth) {
        let linkedid = line["linkedid"].as_str().unwrap();
        let row = rows.iter().find(|r| r.linkedid == linkedid).unwrap();
        assert_matches_truth(row, &line);
    }
    drop(again);
    drop(server);
}

/// (g) Calls of every common kind for a few minutes, `tamas serve` stopped three times at
/// random moments (SIGTERM and SIGKILL in turn) for 3 s each: every call of the truth is in
/// the call log once; each one that ended while Tamas ran is exactly right, each that
/// ended during a downtime is there with its end marked unknown.
async fn many_calls_across_restarts(db: TestDatabase, dir: &Path) {
    const CALLS: usize = 200;
    let truth = dir.join("truth.jsonl");
    let agents: Vec<String> = (1001..=1020).map(|e| e.to_string()).collect();
    let agent_list = agents.join(",");
    let args: Vec<&OsStr> = vec![
        OsStr::new("--agents"),
        OsStr::new(&agent_list),
        OsStr::new("--scenarios"),
        OsStr::new("inbound-answered:4,inbound-abandoned,ring-no-answer,ringall-answered"),
        OsStr::new("--calls-per-minute"),
        OsStr::new("60"),
        OsStr::new("--talk-seconds"),
        OsStr::new("8-20"),
        OsStr::new("--truth"),
        truth.as_os_str(),
    ];
    let (sim, address) = support::simulate_pbx(&args);
    let port: u16 = address.rsplit_once(':').unwrap().1.parse().unwrap();
    let config = dir.join("tamas.toml");
    let members: String = agents
        .iter()
        .map(|e| format!("[[pbx.agents]]\nextension = \"{e}\"\n"))
        .collect();
    std::fs::write(
        &config,
        format!(
            "[pbx]\nname = \"sim\"\nhost = \"127.0.0.1\"\nport = {port}\nusername = \"cti\"\n\
             secret = \"cti-secret\"\ntrunks = [\"trunk\"]\n\n{members}"
        ),
    )
    .unwrap();
    let mut run = 1;
    let mut server = Server::spawn(&db, config.clone(), dir, run).await;
    server.wait_connected().await;
    let started = std::time::Instant::now();
    // Calls from before Tamas first connected are not its to log.
    let watched_from = now_ms();
    // Restarts after roughly a quarter, a half and three quarters of the calls.
    let mut downtimes: Vec<(i64, i64)> = Vec::new();
    let mut rng_state = u64::from(std::process::id());
    for (i, signal) in ["TERM", "KILL", "TERM"].iter().enumerate() {
        let at = CALLS * (i + 1) / 4;
        rng_state = rng_state.wrapping_mul(6364136223846793005).wrapping_add(1);
        let jitter = (rng_state >> 33) % 10;
        while truth_lines(&truth).len() < at + usize::try_from(jitter).unwrap() {
            assert!(
                started.elapsed() < Duration::from_secs(900),
                "the simulator is too slow"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let down = now_ms();
        server.stop(signal).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        run += 1;
        server = Server::spawn(&db, config.clone(), dir, run).await;
        server.wait_connected().await;
        downtimes.push((down, now_ms()));
    }
    let watched = || {
        truth_lines(&truth)
            .into_iter()
            .filter(|t| t["started_at_ms"].as_i64().unwrap() > watched_from)
            .collect::<Vec<_>>()
    };
    while watched().len() < CALLS {
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "the simulator is too slow"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The calls judged are those the PBX has finished by now. The simulator keeps running
    // while their rows are awaited: a call's truth line can be written before the PBX has
    // sent the rest of its events, and killing it then would cut the call short.
    let lines = watched();
    let mut rows = Vec::new();
    for _ in 0..300 {
        rows = logged(&db).await;
        if lines
            .iter()
            .all(|t| rows.iter().any(|r| t["linkedid"] == r.linkedid.as_str()))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(sim);
    let during = |ms: i64| {
        downtimes
            .iter()
            .any(|(a, b)| ms >= a - 1500 && ms <= b + 1500)
    };
    let (mut exact, mut ended_while_down, mut answered_while_down, mut began_while_down) =
        (0, 0, 0, 0);
    for t in &lines {
        let linkedid = t["linkedid"].as_str().unwrap();
        let matching: Vec<&CallRow> = rows.iter().filter(|r| r.linkedid == linkedid).collect();
        if matching.len() != 1 {
            print_server_logs(dir, linkedid, t);
        }
        assert_eq!(matching.len(), 1, "{linkedid} is in the call log once");
        let row = matching[0];
        let ended = t["ended_at_ms"].as_i64().unwrap();
        if during(ended) {
            ended_while_down += 1;
            if !row.end_known {
                assert!(
                    during(row.ended_at_ms.unwrap()),
                    "{linkedid}: closed in a downtime"
                );
            }
            continue;
        }
        if during(t["started_at_ms"].as_i64().unwrap()) {
            // Began while nobody watched: adopted from the listing, its start not known; the
            // caller's Queue() there gives its queue.
            began_while_down += 1;
            assert_eq!(row.queue.as_deref(), t["queue"].as_str(), "{linkedid}");
            continue;
        }
        if t["answered_at_ms"].as_i64().is_some_and(during) {
            // Answered while nobody watched: who and which queue are known, the moment
            // only to within the downtime.
            answered_while_down += 1;
            assert_eq!(row.disposition.as_str(), "answered", "{linkedid}");
            assert_eq!(row.queue.as_deref(), t["queue"].as_str(), "{linkedid}");
            assert_eq!(
                row.answered_by_extension.as_deref(),
                t["answered_by_extension"].as_str(),
                "{linkedid}"
            );
            assert!(row.end_known, "{linkedid}");
            continue;
        }
        assert_matches_truth(row, t);
        exact += 1;
    }
    assert!(
        rows.iter().all(|r| truth_lines(&truth)
            .iter()
            .any(|t| t["linkedid"] == r.linkedid.as_str())
            || !r.end_known),
        "no call that the PBX did not make (the last calls were cut by stopping the PBX)"
    );
    eprintln!(
        "RESTARTS({}): {} calls, 3 restarts: {exact} exact, {answered_while_down} answered \
         during a downtime (answer time bounded), {ended_while_down} ended during a downtime \
         (end not known), {began_while_down} began during a downtime (adopted), 0 lost, \
         0 twice, in {:.0} s",
        db.store.backend(),
        lines.len(),
        started.elapsed().as_secs_f64()
    );
    drop(server);
}

/// On a failure: the truth about `linkedid`, and what each run of the server said about
/// it, with its warnings and errors.
fn print_server_logs(dir: &Path, linkedid: &str, truth: &Value) {
    eprintln!("truth: {truth}");
    for run in 1..=4 {
        let log =
            std::fs::read_to_string(dir.join(format!("server-{run}.log"))).unwrap_or_default();
        for line in log
            .lines()
            .filter(|l| l.contains(linkedid) || l.contains("WARN") || l.contains("ERROR"))
            .filter(|l| !l.contains("spool folder"))
        {
            eprintln!("server-{run}: {line}");
        }
    }
}

macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let db = TestDatabase::sqlite(dir.path()).await;
                ($body)(db, dir.path()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = TestDatabase::postgres(stringify!($name)).await else {
                    return;
                };
                let dir = tempfile::tempdir().unwrap();
                ($body)(db, dir.path()).await;
            }
        }
    };
}

both_backends!(a_sigterm_while_answered, |db, dir| answered_call_survives(
    db, dir, "TERM"
));
both_backends!(b_sigkill_while_answered, |db, dir| answered_call_survives(
    db, dir, "KILL"
));
both_backends!(
    c_sigkill_while_queued_answered_while_down,
    call_answered_during_the_downtime
);
both_backends!(d_ended_while_down, call_ended_during_the_downtime);
both_backends!(e_pbx_killed, pbx_crash_ends_calls_when_it_died);
both_backends!(g_many_calls_three_restarts, many_calls_across_restarts);
