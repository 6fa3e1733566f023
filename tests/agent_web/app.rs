//! `TestApp`: the harness's [`support::spawn_app`] with the standard users (agents `sara`
//! on 1001 and `reza` on 1002, supervisor `boss`, admin `root`, all with [`PASSWORD`])
//! on the chosen backend, and `Browser`: a cookie-keeping HTTP client that behaves like a
//! browser on that server (it sends `Origin` on every POST and does not follow
//! redirects, so that tests can see them).

use std::ops::Deref;

use crm_core::{AgentAttemptInput, CallId, CallRecordInput, Contact, NewContact, NewPhone};
use reqwest::header::{HeaderMap, ORIGIN};
use reqwest::redirect::Policy;

use crate::support::{self, AppOptions, Backend};

pub use crate::support::PASSWORD;

/// A running server and the database it serves (the harness's [`support::TestApp`]
/// underneath: `store`, `base`…).
pub struct TestApp {
    app: support::TestApp,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Deref for TestApp {
    type Target = support::TestApp;

    fn deref(&self) -> &support::TestApp {
        &self.app
    }
}

impl TestApp {
    /// The standard server on `backend`.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, "").await
    }

    /// With these settings (TOML).
    pub async fn spawn_with(backend: Backend, settings: &str) -> TestApp {
        let app = support::spawn_app(AppOptions {
            backend,
            settings: settings.to_owned(),
            ..AppOptions::default()
        })
        .await;
        TestApp {
            url: app.base.clone(),
            app,
        }
    }

    /// A browser with no cookies yet.
    pub fn browser(&self) -> Browser {
        let mut headers = HeaderMap::new();
        headers.insert("accept-language", "en".parse().unwrap());
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .default_headers(headers)
                .build()
                .unwrap(),
            url: self.url.clone(),
        }
    }

    /// A browser signed in as `username`.
    pub async fn signed_in(&self, username: &str) -> Browser {
        let browser = self.browser();
        let resp = browser.sign_in(username, PASSWORD).await;
        assert_eq!(resp.status(), 303, "{username} signs in");
        browser
    }

    /// A user's id.
    pub async fn user_id(&self, username: &str) -> crm_core::UserId {
        self.store
            .user_by_username(username)
            .await
            .unwrap()
            .unwrap()
            .id
    }

    /// A contact with numbers (as typed).
    pub async fn contact(&self, name: &str, numbers: &[&str]) -> Contact {
        let phones = numbers
            .iter()
            .map(|n| NewPhone {
                number: self.store.normalizer().normalize(n),
                label: "mobile".into(),
            })
            .collect();
        self.store
            .create_contact(&NewContact {
                name: name.into(),
                phones,
                ..NewContact::default()
            })
            .await
            .unwrap()
    }

    /// An answered inbound call from `number` (caller-ID name `caller`) taken by the
    /// agent on `extension`, started at `started_at_ms`.
    pub async fn call(
        &self,
        linkedid: &str,
        number: &str,
        caller: &str,
        extension: &str,
        started_at_ms: i64,
    ) -> CallId {
        self.store
            .record_call(&CallRecordInput {
                pbx: "asterisk".into(),
                linkedid: linkedid.into(),
                direction: crm_core::Direction::Inbound,
                customer_number_raw: Some(number.into()),
                customer_number_e164: None,
                customer_name: Some(caller.into()),
                did: None,
                queue: Some("support".into()),
                agents_rung: vec![AgentAttemptInput {
                    extension: Some(extension.into()),
                    result: crm_core::LegResult::Answered,
                    ring_ms: Some(3000),
                    rang_at_ms: started_at_ms + 2000,
                }],
                answered_by_extension: Some(extension.into()),
                agent_extension: Some(extension.into()),
                started_at_ms,
                queued_at_ms: Some(started_at_ms),
                answered_at_ms: Some(started_at_ms + 5000),
                ended_at_ms: Some(started_at_ms + 65_000),
                wait_ms: Some(5000),
                ring_ms: Some(3000),
                talk_ms: Some(60_000),
                hold_ms: Some(0),
                disposition: crm_core::Disposition::Answered,
                hangup_by: Some(crm_core::HangupBy::Customer),
                hangup_by_extension: None,
                hangup_cause: Some(16),
                transfers: serde_json::json!([]),
                agent_segments: Vec::new(),
                recording_file: None,
                click_id: None,
                end_known: true,
                failure_reason: None,
            })
            .await
            .unwrap()
    }
}

/// A cookie-keeping client on one server.
pub struct Browser {
    pub client: reqwest::Client,
    pub url: String,
}

impl Browser {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }

    /// GETs a page that must render, and returns its HTML.
    pub async fn page(&self, path: &str) -> String {
        let resp = self.get(path).await;
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.text().await.unwrap()
    }

    /// POSTs a form from one of the server's own pages (`Origin` is the server).
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.url))
            .header(ORIGIN, &self.url)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> reqwest::Response {
        self.post_form(
            "/login",
            &[
                ("username", username),
                ("password", password),
                ("next", "/console"),
            ],
        )
        .await
    }

    /// The session's CSRF token, as the pages carry it.
    pub async fn csrf(&self) -> String {
        let html = self.page("/contacts").await;
        let start = html
            .find(r#"<meta name="csrf-token" content=""#)
            .expect("signed-in pages carry the CSRF token")
            + r#"<meta name="csrf-token" content=""#.len();
        let end = start + html[start..].find('"').unwrap();
        html[start..end].to_owned()
    }
}

/// The `Location` of a redirect.
pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .expect("a redirect")
        .to_str()
        .unwrap()
        .to_owned()
}
