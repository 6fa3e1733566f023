//! The wallboard in Chromium: a supervisor opens it and sees a simulated caller appear
//! (a hostile caller-ID name stays text), wait, and leave when an agent answers.

use crate::harness::{Browser, sign_in, wait_for};
use crate::pbx_app::spawn_app;

#[tokio::test]
async fn a_supervisor_sees_a_waiting_caller_appear_and_leave() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let client = &browser.client;
    sign_in(client, &app.base, "boss").await;
    client
        .goto(&format!("{}/wallboard", app.base))
        .await
        .unwrap();
    wait_for(
        client,
        "return document.getElementById('connection').classList.contains('online') \
         && !!document.querySelector('.queue-card[data-queue=\"support\"]') \
         && !!document.querySelector('.agent-tile[data-extension=\"1001\"][data-state=\"available\"]');",
        "the support queue and agent 1001 on the wallboard",
    )
    .await;

    let hostile = "<img src=x onerror=window.pwned=1>";
    let call = app.ring("09350001122", hostile, "1001");
    wait_for(
        client,
        "const caller = document.querySelector('.queue-card[data-queue=\"support\"] li.caller'); \
         return !!caller && caller.querySelector('.number').textContent === '09350001122' \
         && /^\\d+:\\d\\d$/.test(caller.querySelector('.wait').textContent);",
        "the waiting caller with a ticking wait",
    )
    .await;
    let shown = client
        .execute(
            "const caller = document.querySelector('li.caller'); \
             return [caller.querySelector('.who').textContent, \
                     document.querySelectorAll('#wallboard img').length, \
                     window.pwned === undefined];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        shown,
        serde_json::json!([hostile, 0, true]),
        "the name is text"
    );

    wait_for(
        client,
        "return !document.querySelector('li.caller') \
         && !!document.querySelector('.agent-tile[data-extension=\"1001\"][data-state=\"on_call\"]');",
        "the caller answered by 1001",
    )
    .await;
    call.finished().await;
    wait_for(
        client,
        "const card = document.querySelector('.queue-card[data-queue=\"support\"]'); \
         return card.querySelector('dd.answered').textContent === '1';",
        "today's answered count",
    )
    .await;
    browser.close().await;
}
