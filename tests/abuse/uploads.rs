//! Recording uploads that should not be taken, against a real `tamas serve`: a file over
//! `[recordings] max_upload_mb` is refused with 413 while it arrives, nothing of it is
//! left on disk, and the server's memory does not grow by the upload's size (it is never
//! held whole); a `uniqueid` of another call than the `linkedid` given is refused with
//! 422; quarantined files older than `quarantine_retention_days` are deleted and audited.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crm_core::{
    AgentAttemptInput, CallRecordInput, Locale, NewUser, Role, Store, TokenScope, Username,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::database_down::Server;

/// The limit of these tests.
const MAX_UPLOAD_MB: u64 = 16;
/// What the oversized upload tries to send: five times the limit.
const OVERSIZED: usize = 80 * 1024 * 1024;

/// A server over a fresh SQLite database with an ingest token; its recordings in `data`.
struct UploadApp {
    server: Server,
    store: std::sync::Arc<dyn Store>,
    token: String,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

async fn start(extra_config: &str, before_start: impl FnOnce(&Path)) -> UploadApp {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("tamas.db").display());
    let store = crm_core::connect(&url, crm_core::PhoneNormalizer::new("IR"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let pbx = store
        .create_user(&NewUser {
            username: Username::parse("pbx").unwrap(),
            display_name: "The PBX".into(),
            role: Role::Admin,
            extension: None,
            locale: Locale::En,
            password_hash: "not used: tokens only".into(),
        })
        .await
        .unwrap();
    let (_, token) = store
        .create_token(pbx.id, TokenScope::Ingest)
        .await
        .unwrap();
    let data = dir.path().join("recordings");
    before_start(&data);
    let config = format!(
        "[recordings]\ndata_dir = \"{}\"\nmax_upload_mb = {MAX_UPLOAD_MB}\n{extra_config}",
        data.display()
    );
    let server = Server::start(&url, &config, dir.path()).await;
    server.wait_ready(false).await;
    UploadApp {
        server,
        store,
        token: token.expose().to_owned(),
        data,
        _dir: dir,
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// A `/proc/<pid>/status` figure in kB (`VmRSS`, `VmHWM`).
fn memory_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// Sends `head` and then `body_chunks` (HTTP chunked) on a new connection while reading
/// the answer; the answer's status line. Stops sending once the server answers.
async fn raw_upload(host: &str, head: String, body: Option<(Vec<u8>, usize)>) -> String {
    let stream = TcpStream::connect(host).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let sender = tokio::spawn(async move {
        if writer.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let Some((preamble, size)) = body else {
            return;
        };
        let chunk = |bytes: &[u8]| {
            let mut out = format!("{:x}\r\n", bytes.len()).into_bytes();
            out.extend_from_slice(bytes);
            out.extend_from_slice(b"\r\n");
            out
        };
        if writer.write_all(&chunk(&preamble)).await.is_err() {
            return;
        }
        let block = chunk(&vec![0u8; 64 * 1024]);
        for _ in 0..size / (64 * 1024) {
            // The server stops reading once it refused: writing then fails.
            if writer.write_all(&block).await.is_err() {
                return;
            }
        }
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    sender.abort();
    assert!(read.is_ok(), "no answer within a minute");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    answer.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_upload_is_refused_without_being_held() {
    let app = start("", |_| {}).await;
    let host = app.server.host.clone();
    let pid = app.server.pid();
    let head = |framing: &str| {
        format!(
            "POST /api/recordings HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: multipart/form-data; boundary=XyZ\r\n{framing}\r\n",
            app.token
        )
    };
    // Announced too large: refused before a byte of the body is read.
    let status = raw_upload(&host, head("Content-Length: 10000000000\r\n"), None).await;
    assert!(status.contains(" 413 "), "{status}");

    let rss_before = memory_kb(pid, "VmRSS");
    let peak_before = memory_kb(pid, "VmHWM");
    let preamble = b"--XyZ\r\nContent-Disposition: form-data; name=\"linkedid\"\r\n\r\n\
        1795342979.0\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; \
        filename=\"1795342979.0.wav\"\r\nContent-Type: audio/wav\r\n\r\n"
        .to_vec();
    let status = raw_upload(
        &host,
        head("Transfer-Encoding: chunked\r\n"),
        Some((preamble, OVERSIZED)),
    )
    .await;
    assert!(status.contains(" 413 "), "{status}");
    let rss_after = memory_kb(pid, "VmRSS");
    let peak_after = memory_kb(pid, "VmHWM");
    eprintln!(
        "oversized upload: VmRSS {rss_before} → {rss_after} kB, VmHWM {peak_before} → \
         {peak_after} kB (limit {MAX_UPLOAD_MB} MB, {} MB sent at most)",
        OVERSIZED / (1024 * 1024)
    );
    // Generous: half the limit, a tenth of what was offered; holding the file would
    // take the whole limit at least.
    let bound_kb = MAX_UPLOAD_MB * 1024 / 2;
    assert!(
        peak_after.saturating_sub(peak_before) < bound_kb,
        "peak memory grew by {} kB",
        peak_after - peak_before
    );
    assert!(rss_after.saturating_sub(rss_before) < bound_kb);
    let left = files_under(&app.data);
    assert!(left.is_empty(), "files left behind: {left:?}");
    let recordings = app
        .store
        .audit_log(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("recording."))
        .count();
    assert_eq!(recordings, 0);
}

/// One second of 8 kHz 16-bit mono tone, as MixMonitor writes it.
fn wav() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::new(&mut out, spec).unwrap();
    for i in 0..8000i32 {
        writer
            .write_sample(i16::try_from((i % 40) * 500 - 10_000).unwrap())
            .unwrap();
    }
    writer.finalize().unwrap();
    out.into_inner()
}

/// A finished inbound call `linkedid`, recorded (as the tracker saw it) in `file`.
async fn record_call(store: &dyn Store, linkedid: &str, file: &str) {
    let started_at_ms = 1_795_342_979_000;
    store
        .record_call(&CallRecordInput {
            pbx: "asterisk".into(),
            linkedid: linkedid.into(),
            direction: crm_core::Direction::Inbound,
            customer_number_raw: Some("09121234567".into()),
            customer_number_e164: Some("+989121234567".into()),
            customer_name: None,
            did: None,
            queue: None,
            agents_rung: vec![AgentAttemptInput {
                extension: Some("1001".into()),
                result: crm_core::LegResult::Answered,
                ring_ms: Some(3000),
                rang_at_ms: started_at_ms,
            }],
            answered_by_extension: Some("1001".into()),
            agent_extension: Some("1001".into()),
            started_at_ms,
            queued_at_ms: None,
            answered_at_ms: Some(started_at_ms + 3000),
            ended_at_ms: Some(started_at_ms + 13_000),
            wait_ms: None,
            ring_ms: Some(3000),
            talk_ms: Some(10_000),
            hold_ms: Some(0),
            disposition: crm_core::Disposition::Answered,
            hangup_by: Some(crm_core::HangupBy::Customer),
            hangup_by_extension: None,
            hangup_cause: Some(16),
            transfers: serde_json::json!([]),
            agent_segments: Vec::new(),
            failure_reason: None,
            recording_file: Some(file.into()),
            click_id: None,
            end_known: true,
        })
        .await
        .unwrap();
}

async fn upload(app: &UploadApp, uniqueid: &str, linkedid: &str) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("linkedid", linkedid.to_owned())
        .text("uniqueid", uniqueid.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(wav()).file_name(format!("{uniqueid}.wav")),
        );
    reqwest::Client::new()
        .post(format!("{}/api/recordings", app.server.url()))
        .bearer_auth(&app.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uniqueid_of_another_call_is_refused() {
    let app = start("", |_| {}).await;
    record_call(app.store.as_ref(), "1795342979.0", "1795342979.1.wav").await;
    record_call(app.store.as_ref(), "1795343013.12", "1795343013.13.wav").await;

    // The channel recorded in the first call, claimed for the second.
    let refused = upload(&app, "1795342979.1", "1795343013.12").await;
    assert_eq!(refused.status(), 422);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("belongs to call 1795342979.0"),
        "{body}"
    );
    // A Linkedid of another call, as a uniqueid.
    let refused = upload(&app, "1795342979.0", "1795343013.12").await;
    assert_eq!(refused.status(), 422);
    let left = files_under(&app.data);
    assert!(left.is_empty(), "files kept: {left:?}");

    // The right call takes it; a channel nobody knows is trusted.
    assert_eq!(
        upload(&app, "1795342979.1", "1795342979.0").await.status(),
        201
    );
    assert_eq!(
        upload(&app, "1795349999.5", "1795343013.12").await.status(),
        201
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quarantine_retention_deletes_old_files() {
    let mut paths = Vec::new();
    let app = start("quarantine_retention_days = 30\n", |data| {
        let files = recordings::RecordingStore::new(data);
        for (name, age_days) in [("old.wav", 40u64), ("new.wav", 2)] {
            let kept = files
                .quarantine(b"not a wav", name, "not a RIFF file")
                .unwrap();
            let when = SystemTime::now() - Duration::from_secs(age_days * 24 * 3600);
            for path in [&kept.path, &kept.reason_path] {
                std::fs::File::options()
                    .write(true)
                    .open(path)
                    .unwrap()
                    .set_modified(when)
                    .unwrap();
            }
            paths.push(kept);
        }
    })
    .await;
    let (old, new) = (&paths[0], &paths[1]);
    let mut gone = false;
    for _ in 0..120 {
        if !old.path.exists() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        gone,
        "the old quarantined file is still there: {}",
        app.server.log()
    );
    assert!(!old.reason_path.exists());
    assert!(new.path.exists() && new.reason_path.exists());
    let name = old.path.file_name().unwrap().to_string_lossy().into_owned();
    let mut audited = None;
    for _ in 0..40 {
        audited = app
            .store
            .audit_log(100)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.action == "recording.quarantine_delete");
        if audited.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let audited = audited.expect("the deletion is audited");
    assert_eq!(audited.subject, format!("quarantine:{name}"));
    assert_eq!(audited.detail["retention_days"], 30);
    assert!(app.server.log().contains("quarantined recording deleted"));
}
