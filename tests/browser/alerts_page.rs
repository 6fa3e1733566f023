//! The supervisor's alerts page in Chromium: an abandoned call's alert appears without a
//! reload (the contact's hostile name stays text), and acknowledging it is one click.

use std::time::Duration;

use cti::sim::{CallSpec, Scenario};
use fantoccini::{Client, Locator};

use crate::harness::Browser;
use crate::pbx_app::spawn_app;

/// Polls `script` (which returns a boolean) until it is true.
async fn wait_for(client: &Client, script: &str, what: &str) {
    for _ in 0..600 {
        if client.execute(script, vec![]).await.unwrap() == serde_json::Value::Bool(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let html = client.source().await.unwrap_or_default();
    panic!("timed out waiting for {what}; page:\n{html}");
}

#[tokio::test]
async fn a_new_alert_appears_live_and_is_acknowledged_in_one_click() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let hostile = "<img src=x onerror=window.pwned=1>";
    app.contact(hostile, &["09121110000"]).await;
    let client = &browser.client;
    client.goto(&format!("{}/login", app.base)).await.unwrap();
    let form = client.form(Locator::Css("form")).await.unwrap();
    form.set_by_name("username", "boss").await.unwrap();
    form.set_by_name("password", "a long test password")
        .await
        .unwrap();
    form.submit().await.unwrap();
    wait_for(
        client,
        "return location.pathname === '/console';",
        "signed in",
    )
    .await;
    client
        .find(Locator::Css("nav a[href='/alerts']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        client,
        "return location.pathname === '/alerts' && !document.getElementById('alerts-connection').hidden;",
        "the alerts page's socket",
    )
    .await;
    client
        .execute("window.sameDocument = true; return true;", vec![])
        .await
        .unwrap();

    app.sim
        .place(CallSpec::new(Scenario::InboundAbandoned).customer("09121110000", "Caller"))
        .unwrap();
    wait_for(
        client,
        "return document.querySelectorAll('#alerts-body tr.alert-open').length === 1;",
        "the new alert's row",
    )
    .await;
    let row = client
        .find(Locator::Css("#alerts-body tr.alert-open"))
        .await
        .unwrap();
    let text = row.text().await.unwrap();
    assert!(text.contains(hostile), "the name as text: {text}");
    assert!(text.contains("sales"), "{text}");
    let state = client
        .execute(
            "return [window.sameDocument === true, window.pwned === undefined, \
             document.querySelectorAll('#alerts-body img').length];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        state,
        serde_json::json!([true, true, 0]),
        "live, and no markup ran"
    );

    row.find(Locator::Css("form[action$='/acknowledge'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        client,
        "return window.sameDocument === undefined && \
         document.querySelectorAll('#alerts-body tr.alert-acknowledged').length === 1;",
        "the acknowledged alert after the form",
    )
    .await;
    browser.close().await;
}
