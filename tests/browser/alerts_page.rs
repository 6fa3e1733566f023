//! The supervisor's alerts page in Chromium: an abandoned call's alert appears without a
//! reload (the contact's hostile name stays text), and acknowledging it is one click.

use cti::sim::{CallSpec, Scenario};
use fantoccini::Locator;

use crate::harness::{Browser, sign_in, wait_for};
use crate::pbx_app::spawn_app;
use crate::support::{Backend, on_both_backends};

async fn a_new_alert_appears_live_and_is_acknowledged_in_one_click(backend: Backend) {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app(backend).await;
    let hostile = "<img src=x onerror=window.pwned=1>";
    app.contact(hostile, &["09121110000"]).await;
    let client = &browser.client;
    sign_in(client, &app.base, "boss").await;
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

on_both_backends!(a_new_alert_appears_live_and_is_acknowledged_in_one_click,);
