//! Signing in and out, the rate limit, CSRF and roles.

use crate::app::{PASSWORD, TestApp, location};
use crate::support::{Backend, on_both_backends};

async fn signing_in_sets_a_strict_cookie_and_signing_out_ends_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.browser();

    // Pages send a signed-out browser to sign in and back; the API answers 401.
    let resp = browser.get("/console").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(location(&resp), "/login?next=%2Fconsole");
    let resp = browser.get("/api/calls").await;
    assert_eq!(resp.status(), 401);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");

    let resp = browser.sign_in("sara", PASSWORD).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(location(&resp), "/console");
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    for part in ["tamas_session=", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: no Secure flag");

    let console = browser.page("/console").await;
    assert!(console.contains("Agent console"), "{console}");
    assert_eq!(
        browser.get("/api/calls").await.status(),
        200,
        "the cookie works on the API"
    );
    let audit = app.store.audit_log(10).await.unwrap();
    assert!(
        audit.iter().any(|e| e.action == "auth.sign_in"),
        "{audit:?}"
    );

    let csrf = browser.csrf().await;
    let resp = browser.post_form("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(location(&resp), "/login");
    assert_eq!(browser.get("/console").await.status(), 303, "signed out");
    assert_eq!(browser.get("/api/calls").await.status(), 401);
}

async fn a_wrong_password_is_refused_and_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.browser();
    let resp = browser.sign_in("sara", "not the password").await;
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().get("set-cookie").is_none());
    let html = resp.text().await.unwrap();
    assert!(html.contains("Wrong username or password."), "{html}");
    // An unknown user gets the very same answer.
    let resp = browser.sign_in("nobody", PASSWORD).await;
    assert_eq!(resp.status(), 401);
    assert_eq!(browser.get("/console").await.status(), 303);
    let audit = app.store.audit_log(10).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "auth.sign_in_failed")
            .count(),
        2,
        "{audit:?}"
    );
}

async fn five_failures_in_a_minute_lock_the_username_with_429(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.browser();
    for attempt in 0..5 {
        let resp = browser.sign_in("sara", "guess").await;
        assert_eq!(resp.status(), 401, "attempt {attempt}");
    }
    // Now even the right password is refused, without being checked, until the minute
    // has passed.
    let resp = browser.sign_in("sara", PASSWORD).await;
    assert_eq!(resp.status(), 429);
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=61).contains(&retry_after), "{retry_after}");
    let html = resp.text().await.unwrap();
    assert!(html.contains("Too many failed sign-ins"), "{html}");
    // Another user is not locked out.
    assert_eq!(browser.sign_in("reza", PASSWORD).await.status(), 303);
}

async fn state_changing_requests_need_the_csrf_token_and_this_origin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.signed_in("sara").await;
    let csrf = browser.csrf().await;
    let switch = |token: &str| {
        vec![
            ("csrf", token.to_owned()),
            ("locale", "fa".to_owned()),
            ("next", "/contacts".to_owned()),
        ]
    };

    // No token, a wrong token: 403, and nothing changed.
    let resp = browser.post_form("/locale", &[("locale", "fa")]).await;
    assert_eq!(resp.status(), 403);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "forbidden");
    let wrong = switch("0".repeat(64).as_str());
    let resp = browser
        .client
        .post(format!("{}/locale", app.url))
        .header("origin", &app.url)
        .form(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);

    // The right token from another site's page: 403.
    let right = switch(&csrf);
    let resp = browser
        .client
        .post(format!("{}/locale", app.url))
        .header("origin", "http://evil.example")
        .form(&right)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    // Without Origin or Referer: 403 too.
    let resp = browser
        .client
        .post(format!("{}/locale", app.url))
        .form(&right)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let sara = app.store.user_by_username("sara").await.unwrap().unwrap();
    assert_eq!(sara.locale, crm_core::Locale::En, "nothing changed");

    // The token in the header works as well as in the form.
    let resp = browser
        .client
        .post(format!("{}/locale", app.url))
        .header("origin", &app.url)
        .header("x-csrf-token", &csrf)
        .form(&[("locale", "fa"), ("next", "/contacts")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let sara = app.store.user_by_username("sara").await.unwrap().unwrap();
    assert_eq!(sara.locale, crm_core::Locale::Fa);

    // The sign-in form itself only accepts posts from this site.
    let resp = app
        .browser()
        .client
        .post(format!("{}/login", app.url))
        .header("origin", "http://evil.example")
        .form(&[("username", "sara"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

async fn an_agent_cannot_open_supervisor_or_admin_routes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let agent = app.signed_in("sara").await;
    let resp = agent.get("/admin/audit").await;
    assert_eq!(resp.status(), 403);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Your role does not allow this.")
    );
    assert_eq!(agent.get("/api/queues").await.status(), 403);
    assert_eq!(agent.get("/wallboard").await.status(), 403);
    assert!(!agent.page("/console").await.contains("href=\"/wallboard\""));

    let supervisor = app.signed_in("boss").await;
    assert_eq!(supervisor.get("/api/queues").await.status(), 200);
    let wallboard = supervisor.page("/wallboard").await;
    assert!(wallboard.contains("/static/wallboard.js"), "{wallboard}");
    assert_eq!(supervisor.get("/admin/audit").await.status(), 403);

    let admin = app.signed_in("root").await;
    let audit = admin.page("/admin/audit").await;
    assert!(
        audit.contains("auth.sign_in"),
        "sign-ins are audited: {audit}"
    );
}

on_both_backends!(
    signing_in_sets_a_strict_cookie_and_signing_out_ends_the_session,
    a_wrong_password_is_refused_and_audited,
    five_failures_in_a_minute_lock_the_username_with_429,
    state_changing_requests_need_the_csrf_token_and_this_origin,
    an_agent_cannot_open_supervisor_or_admin_routes,
);
