//! Starts chromedriver on a free port and a headless Chromium session through it.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

/// A headless Chromium session; chromedriver is stopped when dropped.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn chromedriver() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TAMAS_CHROMEDRIVER") {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromedriver"))
            .find(|path| path.is_file())
    })
}

impl Browser {
    /// A new browser, or `None` (after saying so loudly) when chromedriver is not
    /// installed and `TAMAS_TEST_REQUIRE_ALL` is not set.
    pub async fn start() -> Option<Browser> {
        let Some(driver_path) = chromedriver() else {
            if std::env::var_os("TAMAS_TEST_REQUIRE_ALL").is_some() {
                panic!("chromedriver not found, and TAMAS_TEST_REQUIRE_ALL is set");
            }
            eprintln!(
                "SKIPPED: browser test: chromedriver not found \
                 (apt-get install chromium chromium-driver; .ci/run does)"
            );
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,900"
                ]
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        for _ in 0..100 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => return Some(Browser { client, driver }),
                Err(err) => last_error = Some(err),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("cannot start a Chromium session: {last_error:?}");
    }

    /// Ends the session.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// The password of every test user.
pub use crate::support::PASSWORD;

/// Polls `script` (which returns a boolean) until it is true.
pub async fn wait_for(client: &Client, script: &str, what: &str) {
    for _ in 0..600 {
        if client.execute(script, vec![]).await.unwrap() == serde_json::Value::Bool(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let html = client.source().await.unwrap_or_default();
    panic!("timed out waiting for {what}; page:\n{html}");
}

/// Signs `user` in through the sign-in form and waits for the console's socket.
pub async fn sign_in(client: &Client, base: &str, user: &str) {
    client.goto(&format!("{base}/login")).await.unwrap();
    let form = client.form(Locator::Css("form")).await.unwrap();
    form.set_by_name("username", user).await.unwrap();
    form.set_by_name("password", PASSWORD).await.unwrap();
    client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        client,
        "return location.pathname === '/console';",
        "the console after signing in",
    )
    .await;
    wait_for(
        client,
        "return document.getElementById('connection').classList.contains('online');",
        "the console's socket",
    )
    .await;
}

/// Saves a screenshot of the page as `NAME.png` in the folder `TAMAS_TEST_SCREENSHOTS`
/// names, when it is set (to look at a page a test drove); does nothing otherwise.
pub async fn screenshot(client: &Client, name: &str) {
    let Some(dir) = std::env::var_os("TAMAS_TEST_SCREENSHOTS") else {
        return;
    };
    let png = client.screenshot().await.unwrap();
    let path = PathBuf::from(dir).join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
}
