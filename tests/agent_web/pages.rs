//! English and Persian pages, agents' view of the call log, and what pages may load.

use crate::app::TestApp;
use crate::support::{Backend, on_both_backends};

/// 22 November 2026 (1 Azar 1405), 14:30 in Tehran.
const AZAR_FIRST_1405: i64 = 1_795_345_200_000;
/// 20 November 2026, 09:05 in Tehran.
const NOV_20_2026: i64 = 1_795_152_900_000;

async fn persian_pages_are_right_to_left_with_jalali_dates_and_agents_see_the_whole_history(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let contact = app.contact("Ali Rezaei", &["09121234567"]).await;
    app.call(
        "1795345200.1",
        "+989121234567",
        "ALI",
        "1001",
        AZAR_FIRST_1405,
    )
    .await;
    app.call("1795152900.7", "9121234567", "ALI", "1002", NOV_20_2026)
        .await;
    let path = format!("/contacts/{}", contact.id);

    // Sara switches to Persian on a page and comes back to it.
    let sara = app.signed_in("sara").await;
    let csrf = sara.csrf().await;
    let resp = sara
        .post_form(
            "/locale",
            &[("csrf", &csrf), ("locale", "fa"), ("next", &path)],
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(crate::app::location(&resp), path);
    let html = sara.page(&path).await;
    assert!(html.contains(r#"<html lang="fa" dir="rtl">"#), "{html}");
    assert!(html.contains("۱ آذر ۱۴۰۵، ۱۴:۳۰"), "a Jalali date: {html}");
    assert!(html.contains("تماس‌ها"), "Persian headings");
    assert!(
        !html.contains("Nov 2026"),
        "no Gregorian date on a Persian page"
    );
    // Reza's call on the same contact is part of its history (`agent_call_history = "all"`).
    assert!(html.contains("۲۹ آبان ۱۴۰۵"), "{html}");

    // A supervisor reading English sees every call, in the Gregorian calendar.
    let boss = app.signed_in("boss").await;
    let html = boss.page(&path).await;
    assert!(html.contains(r#"<html lang="en" dir="ltr">"#));
    assert!(html.contains("22 Nov 2026, 14:30"), "{html}");
    assert!(html.contains("20 Nov 2026, 09:05"), "{html}");
    assert!(html.contains("0912 123 4567"), "numbers shown formatted");

    // Before sign-in the language comes from the browser, or from the link.
    let login = app.browser().page("/login?lang=fa").await;
    assert!(
        login.contains(r#"dir="rtl""#) && login.contains("گذرواژه"),
        "{login}"
    );
}

async fn with_own_history_agents_see_only_their_calls_on_a_contact(backend: Backend) {
    let app = TestApp::spawn_with(backend, "[access]\nagent_call_history = \"own\"\n").await;
    let contact = app.contact("Ali Rezaei", &["09121234567"]).await;
    app.call(
        "1795345200.1",
        "+989121234567",
        "ALI",
        "1001",
        AZAR_FIRST_1405,
    )
    .await;
    app.call("1795152900.7", "9121234567", "ALI", "1002", NOV_20_2026)
        .await;
    let path = format!("/contacts/{}", contact.id);
    let html = app.signed_in("sara").await.page(&path).await;
    assert!(html.contains("22 Nov 2026, 14:30"), "her call: {html}");
    assert!(!html.contains("20 Nov 2026, 09:05"), "not Reza's: {html}");
    let html = app.signed_in("boss").await.page(&path).await;
    assert!(
        html.contains("20 Nov 2026, 09:05"),
        "supervisors see it all"
    );
}

async fn pages_load_only_their_own_scripts_under_a_strict_policy(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let contact = app.contact("Nima", &["02144556677"]).await;
    let sara = app.signed_in("sara").await;
    let paths = [
        "/console".to_owned(),
        "/contacts?q=nima".to_owned(),
        "/contacts/new".to_owned(),
        format!("/contacts/{}", contact.id),
        format!("/contacts/{}/edit", contact.id),
    ];
    for path in &paths {
        let resp = sara.get(path).await;
        assert_eq!(resp.status(), 200, "{path}");
        let csp = resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        let html = resp.text().await.unwrap();
        for (at, _) in html.match_indices("<script") {
            assert!(
                html[at..].starts_with(r#"<script type="module" src="/static/"#),
                "{path}: inline script at {at}"
            );
        }
    }
    let script = sara.get("/static/console.js").await;
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let source = script.text().await.unwrap();
    assert!(source.contains("textContent") && !source.contains("innerHTML"));
}

on_both_backends!(
    persian_pages_are_right_to_left_with_jalali_dates_and_agents_see_the_whole_history,
    with_own_history_agents_see_only_their_calls_on_a_contact,
    pages_load_only_their_own_scripts_under_a_strict_policy,
);
