//! The wallboard in Chromium: a supervisor opens it and sees a simulated caller appear
//! (a hostile caller-ID name stays text), wait, and leave when an agent answers; pauses
//! and unpauses an agent with one click; 6 queues and 40 agents fit a 1920×1080 screen.

use std::time::Duration;

use cti::sim::{CallSpec, Scenario};

use crate::harness::{Browser, screenshot, sign_in, wait_for};
use crate::pbx_app::spawn_app;
use crate::support::{Backend, on_both_backends};

async fn a_supervisor_sees_a_waiting_caller_appear_and_leave(backend: Backend) {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app(backend).await;
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

/// An agent paused in the PBX while their wrap-up is pending shows "paused" with the
/// reason, and the pending wrap-up beside it; waiting callers with a withheld number show
/// as such, and a number two contacts share names neither of them.
async fn a_paused_agent_in_wrap_up_shows_the_pause_and_the_wrap_up_beside_it(backend: Backend) {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app(backend).await;
    app.contact("Ali Rezaei", &["09121234567"]).await;
    app.contact("Mina Rezaei", &["09121234567"]).await;
    let client = &browser.client;
    sign_in(client, &app.base, "boss").await;
    client
        .goto(&format!("{}/wallboard", app.base))
        .await
        .unwrap();
    wait_for(
        client,
        "return document.getElementById('connection').classList.contains('online') \
         && !!document.querySelector('.agent-tile[data-extension=\"1001\"][data-state=\"available\"]');",
        "agent 1001 on the wallboard",
    )
    .await;

    // Sara's call ends: wrap-up pending. She pauses in the PBX before saving it.
    let call = app.ring("09350001122", "", "1001");
    call.finished().await;
    wait_for(
        client,
        "return !!document.querySelector('.agent-tile[data-extension=\"1001\"][data-state=\"wrap_up\"]');",
        "1001 in wrap-up",
    )
    .await;
    let paused = app
        .post(
            "sara",
            "/api/agent/pause",
            serde_json::json!({"paused": true, "reason": "lunch"}),
        )
        .await;
    assert_eq!(paused.status(), 200);
    wait_for(
        client,
        "const tile = document.querySelector('.agent-tile[data-extension=\"1001\"]'); \
         return !!tile && tile.dataset.state === 'paused' \
         && tile.querySelector('.state').textContent === 'Paused · lunch' \
         && !!tile.querySelector('.wrap-up') \
         && tile.querySelector('.wrap-up').textContent === 'Wrap-up';",
        "1001 paused (lunch) with the wrap-up beside the pause",
    )
    .await;
    screenshot(client, "wallboard-paused-in-wrap-up").await;
    let unpaused = app
        .post(
            "sara",
            "/api/agent/pause",
            serde_json::json!({"paused": false}),
        )
        .await;
    assert_eq!(unpaused.status(), 200);

    // Callers waiting in the ring-all queue (its members rung only after a while, then
    // the caller abandons), one at a time: withheld, then a number two contacts share.
    let withheld = app
        .sim
        .place(
            CallSpec::new(Scenario::InboundAbandoned)
                .customer("anonymous", "Anonymous")
                .extra_wait(Duration::from_secs(8)),
        )
        .unwrap();
    wait_for(
        client,
        "const callers = [...document.querySelectorAll('.queue-card[data-queue=\"sales\"] li.caller')]; \
         return callers.length === 1 \
         && callers[0].querySelector('.number').textContent === 'withheld number';",
        "a withheld caller shown as such",
    )
    .await;
    let page = client.source().await.unwrap();
    assert!(!page.contains("anonymous"), "no raw withheld number shown");
    withheld.finished().await;
    let shared = app
        .sim
        .place(
            CallSpec::new(Scenario::InboundAbandoned)
                .customer("09121234567", "")
                .extra_wait(Duration::from_secs(8)),
        )
        .unwrap();
    wait_for(
        client,
        "const callers = [...document.querySelectorAll('.queue-card[data-queue=\"sales\"] li.caller')]; \
         return callers.length === 1 \
         && callers[0].querySelector('.number').textContent === '09121234567' \
         && callers[0].querySelector('.who').textContent === 'one of 2 contacts';",
        "a shared number's caller, no contact named",
    )
    .await;
    let page = client.source().await.unwrap();
    assert!(
        !page.contains("Ali Rezaei") && !page.contains("Mina Rezaei"),
        "no contact named for a shared number"
    );
    shared.finished().await;
    browser.close().await;
}

on_both_backends!(
    a_supervisor_sees_a_waiting_caller_appear_and_leave,
    a_paused_agent_in_wrap_up_shows_the_pause_and_the_wrap_up_beside_it,
);
