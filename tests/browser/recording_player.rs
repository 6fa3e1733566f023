//! A recording played from the contact page in Chromium: the `<audio>` element loads the
//! file from `/api/recordings/{id}` with the page's session (Range requests included) and
//! plays without error.

use std::time::Duration;

use crm_core::TokenScope;
use fantoccini::Locator;

use crate::harness::Browser;

// The recordings e2e tests' server; not every helper of it is used here.
#[allow(dead_code)]
#[path = "../recordings/app.rs"]
mod rec_app;

use crate::support::{Backend, on_both_backends};
use rec_app::{PASSWORD, RecApp};

async fn a_recording_plays_from_the_contact_page(backend: Backend) {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = RecApp::spawn(backend).await;
    let contact = app.contact("Ali Rezaei", "09121234567").await;
    app.call("1795342979.0", "inbound", "1001").await;
    let ingest = app.token("root", TokenScope::Ingest).await;
    assert_eq!(
        app.upload_fixture(&ingest, "1795342979.0", true)
            .await
            .status(),
        201
    );

    let client = &browser.client;
    client.goto(&format!("{}/login", app.url)).await.unwrap();
    client
        .find(Locator::Css("input[name=username]"))
        .await
        .unwrap()
        .send_keys("sara")
        .await
        .unwrap();
    client
        .find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for _ in 0..100 {
        if client.current_url().await.unwrap().path() != "/login" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    client
        .goto(&format!("{}/contacts/{}", app.url, contact.id))
        .await
        .unwrap();
    client.find(Locator::Css(".player audio")).await.unwrap();
    // Muted playback needs no user gesture under Chromium's autoplay policy.
    client
        .execute(
            "const a = document.querySelector('.player audio'); a.muted = true; a.play(); return true;",
            vec![],
        )
        .await
        .unwrap();
    let mut state = serde_json::Value::Null;
    for _ in 0..100 {
        state = client
            .execute(
                "const a = document.querySelector('.player audio');
                 return { ready: a.readyState, time: a.currentTime, error: a.error ? a.error.code : null, duration: a.duration };",
                vec![],
            )
            .await
            .unwrap();
        if state["time"].as_f64().unwrap_or(0.0) > 0.0 && state["ready"].as_u64().unwrap_or(0) >= 2
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state["error"], serde_json::Value::Null, "{state}");
    assert!(state["ready"].as_u64().unwrap() >= 2, "{state}");
    // Headless Chromium may have no audio output to advance the clock; seeking into the
    // middle exercises the Range requests the player relies on.
    client
        .execute(
            "const a = document.querySelector('.player audio'); a.currentTime = 5; return true;",
            vec![],
        )
        .await
        .unwrap();
    for _ in 0..100 {
        state = client
            .execute(
                "const a = document.querySelector('.player audio');
                 return { ready: a.readyState, time: a.currentTime, seeking: a.seeking, error: a.error ? a.error.code : null, duration: a.duration };",
                vec![],
            )
            .await
            .unwrap();
        if state["seeking"] == false && state["ready"].as_u64().unwrap_or(0) >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state["error"], serde_json::Value::Null, "{state}");
    assert_eq!(state["seeking"], false, "{state}");
    assert!(state["time"].as_f64().unwrap() >= 5.0, "seeked: {state}");
    assert!(
        (state["duration"].as_f64().unwrap() - 8.28).abs() < 0.01,
        "{state}"
    );
    // The playback is in the audit log, under sara's name.
    let sara = app
        .store
        .user_by_username("sara")
        .await
        .unwrap()
        .unwrap()
        .id;
    let audit = app.store.audit_log(50).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "recording.play" && e.actor == Some(sara)),
        "{audit:?}"
    );
    browser.close().await;
}

on_both_backends!(a_recording_plays_from_the_contact_page,);
