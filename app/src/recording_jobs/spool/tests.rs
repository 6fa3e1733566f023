//! The watcher against real stores — SQLite always, PostgreSQL too when
//! `TAMAS_TEST_DATABASE_URL` is set (a fresh database per test) — and real files: scans are
//! driven by hand, and "a long time ago" is a modification time set in the past.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use crm_core::{CallId, CallRecordInput, Recording, Store};
use cti::live::LiveCalls;
use cti::tracker::{CallEvent, CallEventKind};
use sqlx::Connection as _;

use super::*;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/asterisk/recordings"
);
/// A fixture call with audio (8.28 s) and one with header-only files (abandoned).
const TALKED: &str = "1795342979.0";
const ABANDONED: &str = "1795343000.2";

/// Keeps a test's database alive; drops a PostgreSQL database afterwards.
struct Backend {
    name: &'static str,
    store: Arc<dyn Store>,
    drop_pg: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Drop for Backend {
    fn drop(&mut self) {
        let Some((admin_url, database)) = self.drop_pg.take() else {
            return;
        };
        // Drop cannot await: a runtime of its own, on a thread of its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// A fresh SQLite store, and a fresh PostgreSQL one when `TAMAS_TEST_DATABASE_URL` is set.
async fn backends() -> Vec<Backend> {
    let normalizer = || crm_core::PhoneNormalizer::new("IR");
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    let store = crm_core::connect(&url, normalizer()).await.unwrap();
    store.migrate().await.unwrap();
    let mut out = vec![Backend {
        name: "sqlite",
        store,
        drop_pg: None,
        _dir: dir,
    }];
    let Ok(admin_url) = std::env::var("TAMAS_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED: TAMAS_TEST_DATABASE_URL not set; the spool watcher ran on SQLite only");
        return out;
    };
    let database = format!("tamas_test_{:016x}", rand::random::<u64>());
    let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")))
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    let (base, _) = admin_url
        .split_once('?')
        .map_or(admin_url.as_str(), |(url, _)| url)
        .rsplit_once('/')
        .unwrap();
    let store = crm_core::connect(&format!("{base}/{database}"), normalizer())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    out.push(Backend {
        name: "postgres",
        store,
        drop_pg: Some((admin_url, database)),
        _dir: tempfile::tempdir().unwrap(),
    });
    out
}

/// One backend's store, a desk, a spool folder and the live view.
struct Setup {
    store: Arc<dyn Store>,
    desk: Arc<RecordingDesk>,
    spool: PathBuf,
    live: Arc<RwLock<LiveCalls>>,
    settings: RecordingsSettings,
    _dir: tempfile::TempDir,
}

impl Setup {
    fn new(backend: &Backend) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("spool");
        fs::create_dir_all(&spool).unwrap();
        let settings = RecordingsSettings {
            data_dir: dir.path().join("recordings"),
            spool_dirs: vec![spool.clone()],
            stable_size_s: 1,
            stable_empty_s: 600,
            ..RecordingsSettings::default()
        };
        Setup {
            store: Arc::clone(&backend.store),
            desk: Arc::new(crate::recording_jobs::desk(&settings, "asterisk")),
            spool,
            live: Arc::new(RwLock::new(LiveCalls::new())),
            settings,
            _dir: dir,
        }
    }

    /// A watcher as started by `serve` (a new one stands for a restart).
    fn watcher(&self) -> SpoolWatcher {
        SpoolWatcher::new(
            &self.settings,
            Arc::clone(&self.store),
            Arc::clone(&self.desk),
            Some(Arc::clone(&self.live)),
        )
        .unwrap()
    }

    /// Writes the fixture files of `fixture` under the name `uniqueid`, modified `age` ago.
    fn write(&self, fixture: &str, uniqueid: &str, age: Duration) {
        for leg in ["", "-rx", "-tx"] {
            let path = self.spool.join(format!("{uniqueid}{leg}.wav"));
            fs::write(
                &path,
                fs::read(format!("{FIXTURES}/{fixture}{leg}.wav")).unwrap(),
            )
            .unwrap();
            age_file(&path, age);
        }
    }

    /// A call in progress in the live view, waiting in a queue.
    fn call_in_progress(&self, linkedid: &str) {
        self.live.write().unwrap().apply(&CallEvent {
            linkedid: linkedid.into(),
            at_ms: 1_795_342_979_719,
            click_id: None,
            kind: CallEventKind::Queued {
                queue: "support".into(),
                position: Some(1),
            },
        });
    }

    /// The call ends: out of the live view, into the call log.
    async fn call_ended(&self, linkedid: &str, recording_file: Option<&str>) -> CallId {
        *self.live.write().unwrap() = LiveCalls::new();
        let input: CallRecordInput = serde_json::from_value(serde_json::json!({
            "pbx": "asterisk", "linkedid": linkedid, "direction": "inbound",
            "customer_number_raw": "09121234567", "customer_number_e164": null,
            "customer_name": null, "did": null, "queue": "support", "agents_rung": [],
            "answered_by_extension": null, "agent_extension": null,
            "started_at_ms": 1_795_342_979_000_i64, "queued_at_ms": null,
            "answered_at_ms": null, "ended_at_ms": 1_795_342_993_000_i64, "wait_ms": null,
            "ring_ms": null, "talk_ms": null, "hold_ms": null, "disposition": "answered",
            "hangup_by": "customer", "hangup_by_extension": null, "hangup_cause": 16,
            "transfers": [], "recording_file": recording_file, "click_id": null,
            "end_known": true,
        }))
        .unwrap();
        self.store.record_call(&input).await.unwrap()
    }

    /// Every recording registered, linked or not.
    async fn recordings(&self) -> Vec<Recording> {
        self.store
            .recordings_older_than(i64::MAX, 1000)
            .await
            .unwrap()
    }
}

fn age_file(path: &Path, age: Duration) {
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::now() - age)
        .unwrap();
}

async fn scans(watcher: &mut SpoolWatcher, n: usize) {
    for _ in 0..n {
        watcher.scan_once().await;
    }
}

const LONG_AGO: Duration = Duration::from_secs(2 * 86_400);
const JUST_NOW: Duration = Duration::ZERO;

#[tokio::test]
async fn a_call_in_progress_is_never_taken_then_its_real_recording_once() {
    for backend in backends().await {
        let s = Setup::new(&backend);
        let mut watcher = s.watcher();
        // MixMonitor with `b`: a header while the caller waits, however long.
        s.call_in_progress(TALKED);
        s.write(ABANDONED, TALKED, LONG_AGO);
        scans(&mut watcher, 3).await;
        assert!(s.recordings().await.is_empty(), "{}", backend.name);
        // Bridged: audio, then quiet for a while (a hold, say): still the call's.
        s.write(TALKED, TALKED, LONG_AGO);
        scans(&mut watcher, 3).await;
        assert!(s.recordings().await.is_empty(), "{}", backend.name);
        // The call ends: taken once, the real recording.
        let call = s.call_ended(TALKED, None).await;
        scans(&mut watcher, 4).await;
        let all = s.recordings().await;
        assert_eq!(all.len(), 1, "{}", backend.name);
        assert_eq!(all[0].call, Some(call));
        assert!(!all[0].is_empty());
        assert_eq!(all[0].duration_ms, Some(8280));
        assert_eq!(all[0].channels, Some(2));
        // A restart takes nothing again.
        scans(&mut s.watcher(), 3).await;
        assert_eq!(s.recordings().await.len(), 1, "{}", backend.name);
    }
}

#[tokio::test]
async fn a_header_only_file_of_an_ended_call_is_one_empty_recording() {
    for backend in backends().await {
        let s = Setup::new(&backend);
        let mut watcher = s.watcher();
        s.call_in_progress(ABANDONED);
        s.write(ABANDONED, ABANDONED, JUST_NOW);
        scans(&mut watcher, 2).await;
        assert!(s.recordings().await.is_empty(), "{}", backend.name);
        // The caller gives up: the call log has the call.
        let call = s.call_ended(ABANDONED, None).await;
        watcher.scan_once().await;
        let all = s.recordings().await;
        assert_eq!(all.len(), 1, "{}", backend.name);
        assert!(all[0].is_empty());
        assert_eq!(all[0].call, Some(call));
        scans(&mut watcher, 2).await;
        scans(&mut s.watcher(), 3).await;
        assert_eq!(s.recordings().await.len(), 1, "{}", backend.name);
    }
}

#[tokio::test]
async fn a_header_only_file_nobody_saw_waits_for_stable_empty_s() {
    for backend in backends().await {
        let s = Setup::new(&backend);
        let mut watcher = s.watcher();
        // Unchanged far longer than stable_size_s (1 s), shorter than stable_empty_s (600 s).
        s.write(ABANDONED, ABANDONED, Duration::from_secs(30));
        scans(&mut watcher, 3).await;
        assert!(s.recordings().await.is_empty(), "{}", backend.name);
        // With audio, stable_size_s is enough.
        s.write(TALKED, TALKED, Duration::from_secs(30));
        scans(&mut watcher, 2).await;
        let all = s.recordings().await;
        assert_eq!(all.len(), 1, "{}", backend.name);
        assert_eq!(all[0].uniqueid.as_deref(), Some(TALKED));
        // Past stable_empty_s: an empty recording.
        for leg in ["", "-rx", "-tx"] {
            age_file(
                &s.spool.join(format!("{ABANDONED}{leg}.wav")),
                Duration::from_secs(601),
            );
        }
        scans(&mut watcher, 2).await;
        let all = s.recordings().await;
        assert_eq!(all.len(), 2, "{}", backend.name);
        assert!(all.iter().any(|r| r.is_empty()));
    }
}

#[tokio::test]
async fn a_taken_file_that_changes_is_not_taken_again_even_after_a_restart() {
    for backend in backends().await {
        let s = Setup::new(&backend);
        let mut watcher = s.watcher();
        let call = s.call_ended(TALKED, None).await;
        s.write(TALKED, TALKED, JUST_NOW);
        scans(&mut watcher, 2).await;
        assert_eq!(s.recordings().await.len(), 1, "{}", backend.name);
        // The files grow afterwards.
        for leg in ["", "-rx", "-tx"] {
            let path = s.spool.join(format!("{TALKED}{leg}.wav"));
            let mut bytes = fs::read(&path).unwrap();
            bytes.extend_from_slice(&[0x11; 16_000]);
            fs::write(&path, bytes).unwrap();
        }
        scans(&mut watcher, 3).await;
        let mut restarted = s.watcher();
        scans(&mut restarted, 3).await;
        assert_eq!(s.recordings().await.len(), 1, "{}", backend.name);
        // Not even once retention deleted the recording.
        let only = s.store.recordings_of_call(call).await.unwrap().remove(0);
        s.store.delete_recording(only.id).await.unwrap();
        scans(&mut s.watcher(), 3).await;
        assert!(s.recordings().await.is_empty(), "{}", backend.name);
    }
}

#[tokio::test]
async fn files_taken_under_the_old_keys_are_not_taken_again() {
    for backend in backends().await {
        let s = Setup::new(&backend);
        // Taken while its caller waited, as a bare header (the old bug); it holds audio now.
        let grown = "1795343013.12";
        for uniqueid in [TALKED, ABANDONED, grown] {
            s.call_ended(uniqueid, None).await;
        }
        s.write(TALKED, TALKED, LONG_AGO);
        s.write(ABANDONED, ABANDONED, LONG_AGO);
        s.write(TALKED, grown, LONG_AGO);
        // What versions before this one recorded: each file's path and size.
        let old_key = |uniqueid: &str, size: u64| {
            ["", "-rx", "-tx"]
                .map(|leg| {
                    let path = s.spool.join(format!("{uniqueid}{leg}.wav"));
                    format!("{}:{size}", path.display())
                })
                .join("|")
        };
        for (uniqueid, size) in [(TALKED, 132_524), (ABANDONED, 44), (grown, 44)] {
            assert!(
                s.store
                    .take_spool_file(&old_key(uniqueid, size))
                    .await
                    .unwrap()
            );
        }

        let mut watcher = s.watcher();
        scans(&mut watcher, 3).await;
        let all = s.recordings().await;
        assert_eq!(all.len(), 1, "{}: {all:?}", backend.name);
        assert_eq!(all[0].uniqueid.as_deref(), Some(grown));
        assert!(!all[0].is_empty());
        // Every group is now taken under the new key.
        for uniqueid in [TALKED, ABANDONED, grown] {
            let key = taken_key("asterisk", &Uniqueid::parse(uniqueid).unwrap());
            assert!(s.store.spool_file_taken(&key).await.unwrap(), "{uniqueid}");
        }
        scans(&mut s.watcher(), 2).await;
        assert_eq!(s.recordings().await.len(), 1, "{}", backend.name);
    }
}

#[tokio::test]
async fn a_recording_arriving_after_a_restart_links_to_its_call() {
    for backend in backends().await {
        let s = Setup::new(&backend);
        // The call was recorded on another channel than its first one (the tracker saw
        // MixMonitor's file name), and ended before Tamas restarted.
        let call = s
            .call_ended(
                "1795342979.7",
                Some("/var/spool/asterisk/monitor/1795342979.9.wav"),
            )
            .await;
        scans(&mut s.watcher(), 2).await;
        let mut restarted = s.watcher();
        restarted.scan_once().await;
        s.write(TALKED, "1795342979.9", JUST_NOW);
        scans(&mut restarted, 2).await;
        let mine = s.store.recordings_of_call(call).await.unwrap();
        assert_eq!(mine.len(), 1, "{}", backend.name);
        assert_eq!(mine[0].linkedid.as_deref(), Some("1795342979.7"));
        assert_eq!(mine[0].uniqueid.as_deref(), Some("1795342979.9"));
    }
}
