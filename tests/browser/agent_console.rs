//! The agent's day in Chromium against Tamas and the simulated PBX:
//! signing in through the form, a call that rings the agent pops the caller's card
//! without a reload, an unknown caller becomes a contact from the popup, a number on a
//! contact page is called with one click, and Persian turns the page right-to-left with
//! Jalali dates.

use std::time::Duration;

use fantoccini::Locator;

use crate::harness::{Browser, sign_in, wait_for};
use crate::pbx_app::spawn_app;
use crate::support::{Backend, on_both_backends};

async fn a_ringing_call_pops_the_callers_card_without_a_reload(backend: Backend) {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app(backend).await;
    let ali = app.contact("Ali Rezaei", &["0912 765 4321"]).await;
    let client = &browser.client;
    sign_in(client, &app.base, "sara").await;
    client
        .execute("window.sameDocument = true; return true;", vec![])
        .await
        .unwrap();

    let hostile = "<img src=x onerror=window.pwned=1>";
    let call = app.ring("+98 912 765 4321", hostile, "1001");
    wait_for(
        client,
        &format!(
            "return !!document.querySelector('#popups article[data-call=\"{}\"] .match h3 a');",
            call.linkedid
        ),
        "the popup with the contact",
    )
    .await;
    let card = client
        .find(Locator::Css(&format!(
            "#popups article[data-call=\"{}\"]",
            call.linkedid
        )))
        .await
        .unwrap();
    let link = card.find(Locator::Css(".match h3 a")).await.unwrap();
    assert_eq!(link.text().await.unwrap(), "Ali Rezaei");
    assert_eq!(
        link.attr("href").await.unwrap().unwrap(),
        format!("/contacts/{}", ali.id)
    );
    let name = card.find(Locator::Css(".caller-name")).await.unwrap();
    assert_eq!(name.text().await.unwrap(), hostile, "the caller ID is text");
    let state = client
        .execute(
            "return { same: window.sameDocument === true, pwned: window.pwned === 1, imgs: document.querySelectorAll('#popups img').length };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(state["same"], true, "no reload: {state}");
    assert_eq!(state["pwned"], false, "{state}");
    assert_eq!(state["imgs"], 0, "{state}");

    // The card follows the call.
    wait_for(
        client,
        &format!(
            "return document.querySelector('#popups article[data-call=\"{}\"]').classList.contains('answered');",
            call.linkedid
        ),
        "the card marked answered",
    )
    .await;
    browser.close().await;
}

async fn an_unknown_caller_becomes_a_contact_from_the_popup(backend: Backend) {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app(backend).await;
    let client = &browser.client;
    sign_in(client, &app.base, "reza").await;

    let call = app.ring("09350001122", "Unknown Caller", "1002");
    let create = format!("#popups article[data-call=\"{}\"] a.button", call.linkedid);
    wait_for(
        client,
        &format!("return !!document.querySelector('{create}');"),
        "the create-contact action",
    )
    .await;
    client
        .find(Locator::Css(&create))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        client,
        "return location.pathname === '/contacts/new' && !!document.querySelector('form input[name=name]');",
        "the new-contact form",
    )
    .await;
    let form = client.form(Locator::Css("main form")).await.unwrap();
    form.set_by_name("name", "Nima Karimi").await.unwrap();
    client
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        client,
        "return /^\\/contacts\\/\\d+$/.test(location.pathname);",
        "the new contact's page",
    )
    .await;
    let heading = client.find(Locator::Css("main h1")).await.unwrap();
    assert_eq!(heading.text().await.unwrap(), "Nima Karimi");
    let id: i64 = client
        .current_url()
        .await
        .unwrap()
        .path()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    // The call is linked to the new contact once it is in the call log.
    let mut linked = serde_json::Value::Null;
    for _ in 0..400 {
        linked = app.get("reza", &format!("/api/calls?contact={id}")).await;
        if linked.as_array().is_some_and(|c| !c.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(linked[0]["linkedid"], call.linkedid.as_str(), "{linked}");
    client.refresh().await.unwrap();
    wait_for(
        client,
        "return document.querySelectorAll('#calls table.timeline tbody tr').length === 1;",
        "the call on the contact's timeline",
    )
    .await;
    browser.close().await;
}

async fn one_click_on_a_contacts_number_starts_the_call(backend: Backend) {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app(backend).await;
    let ali = app.contact("Ali Rezaei", &["0912 765 4321"]).await;
    let client = &browser.client;
    sign_in(client, &app.base, "sara").await;
    client
        .goto(&format!("{}/contacts/{}", app.base, ali.id))
        .await
        .unwrap();
    client
        .find(Locator::Css("#numbers button.call"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let mut originate = None;
    for _ in 0..400 {
        originate = app
            .sim
            .actions()
            .into_iter()
            .find(|a| a.name == "Originate");
        if originate.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let originate = originate.expect("the simulated PBX received an Originate");
    assert_eq!(originate.get("Channel"), Some("PJSIP/1001"));
    assert_eq!(originate.get("Exten"), Some("09127654321"));

    // The page follows the call: ringing, answered, then ended.
    wait_for(
        client,
        "const s = document.querySelector('#numbers .call-status').textContent; return s === 'Answered' || s === 'Ended';",
        "the call answered on the contact page",
    )
    .await;
    wait_for(
        client,
        "return document.querySelector('#numbers .call-status').textContent === 'Ended';",
        "the call ended on the contact page",
    )
    .await;
    for _ in 0..400 {
        client.refresh().await.unwrap();
        let rows = client
            .execute(
                "return document.querySelectorAll('#calls table.timeline tbody tr').length;",
                vec![],
            )
            .await
            .unwrap();
        if rows == 1 {
            browser.close().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the call never showed on the contact page");
}

async fn persian_is_right_to_left_with_jalali_dates(backend: Backend) {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app(backend).await;
    let ali = app.contact("Ali Rezaei", &["0912 765 4321"]).await;
    app.ring("09127654321", "Ali", "1001");
    // Wait for the call to be logged so the contact page has a date to show.
    for _ in 0..400 {
        let calls = app
            .get("sara", &format!("/api/calls?contact={}", ali.id))
            .await;
        if calls.as_array().is_some_and(|c| !c.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let client = &browser.client;
    sign_in(client, &app.base, "sara").await;
    client
        .goto(&format!("{}/contacts/{}", app.base, ali.id))
        .await
        .unwrap();
    let html = client.find(Locator::Css("html")).await.unwrap();
    assert_eq!(html.attr("dir").await.unwrap().as_deref(), Some("ltr"));
    client
        .find(Locator::Css("form[action='/locale'] button[name=locale]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        client,
        "return document.documentElement.dir === 'rtl' && document.documentElement.lang === 'fa';",
        "the Persian page",
    )
    .await;
    assert_eq!(
        client.current_url().await.unwrap().path(),
        format!("/contacts/{}", ali.id),
        "the switch comes back to the same page"
    );
    let when = client
        .find(Locator::Css("#calls table.timeline tbody tr td"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Jalali years are around 1400 and written in Persian digits (۱۴۰۵), never 2026.
    assert!(when.contains('۱') && when.contains('۴'), "{when}");
    assert!(!when.contains("20") && !when.contains("۲۰۲"), "{when}");
    browser.close().await;
}

on_both_backends!(
    a_ringing_call_pops_the_callers_card_without_a_reload,
    an_unknown_caller_becomes_a_contact_from_the_popup,
    one_click_on_a_contacts_number_starts_the_call,
    persian_is_right_to_left_with_jalali_dates,
);
