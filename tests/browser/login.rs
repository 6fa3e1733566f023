//! The sign-in page as a browser shows it.

use fantoccini::Locator;

use crate::harness::Browser;
use crate::support::TamasProcess;

#[tokio::test]
async fn the_sign_in_page_renders_under_its_content_security_policy() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let demo = TamasProcess::demo(data.path()).await;
    browser
        .client
        .goto(&format!("{}/login", demo.url))
        .await
        .unwrap();
    let title = browser.client.title().await.unwrap();
    assert!(title.contains("Tamas"), "{title}");
    let username = browser
        .client
        .find(Locator::Css("input[name=username]"))
        .await
        .unwrap();
    username.send_keys("sara").await.unwrap();
    assert_eq!(
        username.prop("value").await.unwrap().as_deref(),
        Some("sara")
    );
    // The stylesheet loaded (same origin, allowed by the CSP): the form is laid out.
    let width: serde_json::Value = browser
        .client
        .execute(
            "return getComputedStyle(document.querySelector('.signin')).maxWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_ne!(width, serde_json::json!("none"), "app.css applied");
    browser.close().await;
}
