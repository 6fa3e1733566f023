//! `tamas simulate-pbx` as its own process, as the restart tests run it: it says when it
//! listens, writes a truth line per finished call, and once killed (SIGKILL) and started
//! again on the same port, it never reuses a Uniqueid of its previous run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::tamas_bin;

/// Starts the simulator on `listen`; returns it with the address it printed.
fn simulate_pbx(listen: &str, truth: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(tamas_bin())
        .args(["simulate-pbx", "--listen", listen])
        .args([
            "--calls-per-minute",
            "600",
            "--agents",
            "1001,1002,1003,1004,1005,1006",
        ])
        .args(["--scenarios", "inbound-abandoned", "--truth"])
        .arg(truth)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("tamas simulate-pbx starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    let address = line
        .strip_prefix("Simulated PBX: AMI on ")
        .unwrap_or_else(|| panic!("{line}"))
        .parse()
        .unwrap();
    std::thread::spawn(move || for _ in lines {});
    (child, address)
}

/// Logs in and returns the Uniqueid of the first `Newchannel` received.
fn first_uniqueid(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
        .write_all(b"Action: Login\r\nUsername: cti\r\nSecret: cti-secret\r\n\r\n")
        .unwrap();
    let mut in_newchannel = false;
    for line in BufReader::new(stream).lines() {
        let line = line.unwrap();
        if line == "Event: Newchannel" {
            in_newchannel = true;
        } else if in_newchannel && let Some(u) = line.strip_prefix("Uniqueid: ") {
            return u.to_owned();
        }
    }
    panic!("EOF before a call")
}

/// The truth file's lines, each a whole JSON object.
fn truth(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "a torn line: {text}"
    );
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn wait_for_lines(path: &Path, count: usize) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let lines = truth(path);
        if lines.len() >= count {
            return lines;
        }
        assert!(Instant::now() < deadline, "{} truth lines", lines.len());
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn epoch(uniqueid: &str) -> i64 {
    uniqueid.split_once('.').unwrap().0.parse().unwrap()
}

#[test]
fn killed_and_started_again_it_writes_the_truth_and_never_reuses_a_uniqueid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truth.jsonl");
    let (mut first, addr) = simulate_pbx("127.0.0.1:0", &path);
    let seen = first_uniqueid(addr);
    let before = wait_for_lines(&path, 1);
    assert_eq!(before[0]["scenario"], "inbound-abandoned");
    assert_eq!(before[0]["disposition"], "abandoned");
    first.kill().unwrap();
    first.wait().unwrap();

    let (mut second, again) = simulate_pbx(&addr.to_string(), &path);
    assert_eq!(again, addr);
    let fresh = first_uniqueid(addr);
    assert!(epoch(&fresh) > epoch(&seen), "{fresh} after {seen}");
    let killed_with = truth(&path).len();
    let after = wait_for_lines(&path, killed_with + 1);
    second.kill().unwrap();
    second.wait().unwrap();
    let last_epoch = before
        .iter()
        .map(|l| epoch(l["linkedid"].as_str().unwrap()))
        .max()
        .unwrap();
    for line in &after[killed_with..] {
        let linkedid = line["linkedid"].as_str().unwrap();
        assert!(epoch(linkedid) > last_epoch, "{linkedid} is new");
    }
}
