//! The wallboard in Chromium: a supervisor opens it and sees a simulated caller appear
//! (a hostile caller-ID name stays text), wait, and leave when an agent answers; pauses
//! and unpauses an agent with one click; 6 queues and 40 agents fit a 1920×1080 screen.

use crate::harness::{Browser, screenshot, sign_in, wait_for};
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
    // A wall screen: 6 queues and 40 agents fit 1920×1080 without scrolling (the
    // cards and tiles the page drew, cloned to that many).
    client.set_window_size(1920, 1080).await.unwrap();
    let chrome = client
        .execute("return window.outerHeight - window.innerHeight;", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    client
        .set_window_size(1920, 1080 + u32::try_from(chrome).unwrap())
        .await
        .unwrap();
    let fits = client
        .execute(
            "const cards = document.getElementById('queues'); \
             const tiles = document.getElementById('agents'); \
             while (cards.children.length < 6) cards.append(cards.lastElementChild.cloneNode(true)); \
             while (tiles.children.length < 40) tiles.append(tiles.lastElementChild.cloneNode(true)); \
             return [document.documentElement.scrollHeight, window.innerHeight, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    screenshot(client, "wallboard").await;
    let (height, window) = (fits[0].as_i64().unwrap(), fits[1].as_i64().unwrap());
    assert_eq!(fits[2], 1920);
    assert!(
        height <= window,
        "the wallboard scrolls: {height} px > {window} px"
    );

    wait_for(
        client,
        "return !document.querySelector('li.caller') \
         && !!document.querySelector('.agent-tile[data-extension=\"1001\"][data-state=\"on_call\"]');",
        "the caller answered by 1001",
    )
    .await;
    // One click pauses an agent; another unpauses them.
    // Clicked in the page in one step: the board may redraw between a find and a click.
    client
        .execute(
            "document.querySelector('.agent-tile[data-extension=\"1002\"] button.pause').click(); return true;",
            vec![],
        )
        .await
        .unwrap();
    wait_for(
        client,
        "return !!document.querySelector('.agent-tile[data-extension=\"1002\"][data-state=\"paused\"]');",
        "1002 paused from the wallboard",
    )
    .await;
    // Clicked in the page in one step: the board may redraw between a find and a click.
    client
        .execute(
            "document.querySelector('.agent-tile[data-extension=\"1002\"] button.pause').click(); return true;",
            vec![],
        )
        .await
        .unwrap();
    wait_for(
        client,
        "return !!document.querySelector('.agent-tile[data-extension=\"1002\"][data-state=\"available\"]');",
        "1002 available again",
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
