//! `RecApp`: the harness's [`support::spawn_app`] on the chosen backend with a
//! recordings data folder and a watched spool folder (scanned every second, files stable
//! after one second) in a temporary folder, optionally connected to a PBX ([`RecOptions`]).
//! Users: agents `sara` (1001) and `reza` (1002), supervisor `boss`, admin `root`; bearer
//! tokens made on demand ([`RecApp::token`]).

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crm_core::{AgentAttemptInput, CallId, CallRecordInput, Recording, TokenScope};
use reqwest::multipart::{Form, Part};

pub use crate::support::PASSWORD;
use crate::support::{self, AppOptions, Backend, wait_for};

/// The fixture recordings.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/asterisk/recordings")
}

/// A fixture file's bytes.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap()
}

/// The Uniqueids of every fixture recording.
pub fn fixture_ids() -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.contains("-rx") && !n.contains("-tx"))
        .map(|n| n.trim_end_matches(".wav").to_owned())
        .collect();
    ids.sort();
    ids
}

/// A running server, its database and folders (the harness's [`support::TestApp`]
/// underneath: `store`, `database_url`, `server_log()`…).
pub struct RecApp {
    app: support::TestApp,
    /// `http://127.0.0.1:PORT` (a new port after [`RecApp::restart`]).
    pub url: String,
    /// The recordings' data folder.
    pub data: PathBuf,
    /// The watched spool folder.
    pub spool: PathBuf,
    /// An HTTP client that does not reuse connections.
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Deref for RecApp {
    type Target = support::TestApp;

    fn deref(&self) -> &support::TestApp {
        &self.app
    }
}

impl DerefMut for RecApp {
    fn deref_mut(&mut self) -> &mut support::TestApp {
        &mut self.app
    }
}

/// How [`RecApp::spawn_with`] starts the server.
#[derive(Default)]
pub struct RecOptions {
    /// The database engine (SQLite by default).
    pub backend: Backend,
    /// Spool files are stable after this many seconds (`stable_size_s`); 1 when 0.
    pub settle_s: u64,
    /// The spool folder to watch (the simulated PBX's, say); a fresh one when `None`.
    pub spool: Option<PathBuf>,
    /// More settings (TOML: `[pbx]`, say).
    pub settings: String,
}

impl RecApp {
    /// The standard server on `backend`.
    pub async fn spawn(backend: Backend) -> RecApp {
        Self::spawn_with_settle(backend, 1).await
    }

    /// A server whose spool files are stable after `settle_s` seconds.
    pub async fn spawn_with_settle(backend: Backend, settle_s: u64) -> RecApp {
        Self::spawn_with(RecOptions {
            backend,
            settle_s,
            ..RecOptions::default()
        })
        .await
    }

    /// A server started with `options`.
    pub async fn spawn_with(options: RecOptions) -> RecApp {
        let settle_s = options.settle_s.max(1);
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("recordings");
        let spool = options.spool.unwrap_or_else(|| dir.path().join("spool"));
        std::fs::create_dir_all(&spool).unwrap();
        let settings = format!(
            "{}\n[recordings]\ndata_dir = {:?}\nspool_dirs = [{:?}]\nscan_interval_s = 1\n\
             stable_size_s = {settle_s}\n",
            options.settings,
            data.display().to_string(),
            spool.display().to_string(),
        );
        let app = support::spawn_app(AppOptions {
            backend: options.backend,
            settings,
            ..AppOptions::default()
        })
        .await;
        RecApp {
            url: app.base.clone(),
            app,
            data,
            spool,
            // No pooled connections: a refused upload whose body the server did not read
            // closes its connection, and the next request must not pick that one up.
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            _dir: dir,
        }
    }

    /// Stops the server and starts a new one on the same database and folders.
    pub async fn restart(&mut self) {
        self.app.restart().await;
        self.url = self.app.base.clone();
    }

    /// A new bearer token of `username` with `scope`.
    pub async fn token(&self, username: &str, scope: TokenScope) -> String {
        let user = self
            .store
            .user_by_username(username)
            .await
            .unwrap()
            .unwrap();
        self.store
            .create_token(user.id, scope)
            .await
            .unwrap()
            .1
            .expose()
            .to_owned()
    }

    /// `POST /api/recordings` with the fixture files of `uniqueid` (mixed and, when
    /// `legs`, both legs) and `linkedid`.
    pub async fn upload_fixture(
        &self,
        token: &str,
        uniqueid: &str,
        legs: bool,
    ) -> reqwest::Response {
        let mut files = vec![(
            "file",
            format!("{uniqueid}.wav"),
            fixture(&format!("{uniqueid}.wav")),
        )];
        if legs {
            for leg in ["rx", "tx"] {
                let name = format!("{uniqueid}-{leg}.wav");
                files.push((leg, name.clone(), fixture(&name)));
            }
        }
        self.upload(token, &files, &[("linkedid", uniqueid)]).await
    }

    /// `POST /api/recordings` with `files` (field, file name, bytes) and text fields.
    pub async fn upload(
        &self,
        token: &str,
        files: &[(&str, String, Vec<u8>)],
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = Form::new();
        for (field, name, bytes) in files {
            form = form.part(
                field.to_string(),
                Part::bytes(bytes.clone()).file_name(name.clone()),
            );
        }
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        self.client
            .post(format!("{}/api/recordings", self.url))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// `GET path` with a bearer token and extra headers.
    pub async fn get(&self, token: &str, path: &str, range: Option<&str>) -> reqwest::Response {
        let mut request = self
            .client
            .get(format!("{}{path}", self.url))
            .bearer_auth(token);
        if let Some(range) = range {
            request = request.header("range", range);
        }
        request.send().await.unwrap()
    }

    /// Waits until the call `call` has `count` recordings (30 s at most).
    pub async fn recordings_of(&self, call: CallId, count: usize) -> Vec<Recording> {
        wait_for(
            &format!("call {call} to have {count} recordings"),
            Duration::from_secs(30),
            || async {
                let found = self.store.recordings_of_call(call).await.unwrap();
                (found.len() >= count).then_some(found)
            },
        )
        .await
    }

    /// Files in the content-addressed store (quarantine excluded).
    pub fn stored_files(&self) -> usize {
        walk(&self.data)
            .into_iter()
            .filter(|p| !p.starts_with(self.data.join("quarantine")))
            .filter(|p| p.extension().is_some_and(|e| e == "wav"))
            .count()
    }

    /// The reason files in quarantine.
    pub fn quarantine_reasons(&self) -> Vec<String> {
        walk(&self.data.join("quarantine"))
            .into_iter()
            .filter(|p| p.to_string_lossy().ends_with(".reason.txt"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }

    /// A contact with one number.
    pub async fn contact(&self, name: &str, number: &str) -> crm_core::Contact {
        self.store
            .create_contact(&crm_core::NewContact {
                name: name.into(),
                phones: vec![crm_core::NewPhone {
                    number: self.store.normalizer().normalize(number),
                    label: "mobile".into(),
                }],
                ..crm_core::NewContact::default()
            })
            .await
            .unwrap()
    }

    /// A cookie-keeping client signed in as `username` (it sends `Origin` on POSTs
    /// like a browser and does not follow redirects).
    pub async fn signed_in(&self, username: &str) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("accept-language", "en".parse().unwrap());
        headers.insert(reqwest::header::ORIGIN, self.url.parse().unwrap());
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap();
        let resp = client
            .post(format!("{}/login", self.url))
            .form(&[
                ("username", username),
                ("password", PASSWORD),
                ("next", "/console"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303, "{username} signs in");
        client
    }

    /// A finished call `linkedid` of `direction` handled by the agent on `extension`.
    pub async fn call(&self, linkedid: &str, direction: &str, extension: &str) -> CallId {
        self.call_recorded(linkedid, direction, extension, None)
            .await
    }

    /// The same, whose MixMonitor file (as the tracker saw it) is `recording_file`.
    pub async fn call_recorded(
        &self,
        linkedid: &str,
        direction: &str,
        extension: &str,
        recording_file: Option<&str>,
    ) -> CallId {
        let started_at_ms = 1_795_342_979_000;
        self.store
            .record_call(&CallRecordInput {
                pbx: "asterisk".into(),
                linkedid: linkedid.into(),
                direction: direction.parse().expect("a call direction"),
                customer_number_raw: Some("09121234567".into()),
                customer_number_e164: Some("+989121234567".into()),
                customer_name: Some("Ali Rezaei".into()),
                did: None,
                queue: None,
                agents_rung: vec![AgentAttemptInput {
                    extension: Some(extension.into()),
                    result: crm_core::LegResult::Answered,
                    ring_ms: Some(3000),
                    rang_at_ms: started_at_ms,
                }],
                answered_by_extension: Some(extension.into()),
                agent_extension: Some(extension.into()),
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
                recording_file: recording_file.map(str::to_owned),
                click_id: None,
                end_known: true,
                failure_reason: None,
            })
            .await
            .unwrap()
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
