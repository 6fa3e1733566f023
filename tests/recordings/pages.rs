//! The player on the contact page and the call page; the "keep" switch.

use crm_core::TokenScope;
use serde_json::Value;

use crate::app::RecApp;
use crate::support::{Backend, on_both_backends};

/// The CSRF token a signed-in page carries.
fn csrf(html: &str) -> String {
    let marker = r#"<meta name="csrf-token" content=""#;
    let start = html.find(marker).expect("a CSRF token") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

async fn the_contact_page_and_the_call_page_play_the_recording(backend: Backend) {
    let app = RecApp::spawn(backend).await;
    let contact = app.contact("Ali Rezaei", "09121234567").await;
    let answered = app.call("1795342979.0", "inbound", "1001").await;
    let abandoned = app.call("1795343000.2", "inbound", "1001").await;
    let ingest = app.token("root", TokenScope::Ingest).await;
    let body: Value = app
        .upload_fixture(&ingest, "1795342979.0", true)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        app.upload_fixture(&ingest, "1795343000.2", true)
            .await
            .status(),
        201
    );
    let id = body["id"].as_i64().unwrap();

    let sara = app.signed_in("sara").await;
    let page = sara
        .get(format!("{}/contacts/{}", app.url, contact.id))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(
            r#"<audio controls preload="metadata" src="/api/recordings/{id}""#
        )),
        "{page}"
    );
    assert!(page.contains(r#"<svg class="waveform""#));
    assert!(page.contains("<path d=\"M"));
    assert!(page.contains(&format!(r#"href="/api/recordings/{id}?download=1""#)));
    assert!(page.contains("0:08"), "duration 8.28 s");
    assert!(
        page.contains("Empty recording"),
        "the abandoned call's header-only file"
    );
    assert!(!page.contains("<script>"), "no inline script");
    // The page's session plays the file like the browser's player does.
    let audio = sara
        .get(format!("{}/api/recordings/{id}", app.url))
        .header("range", "bytes=0-")
        .send()
        .await
        .unwrap();
    assert_eq!(audio.status(), 206);

    let call_page = sara
        .get(format!("{}/calls/{answered}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(call_page.contains(&format!("/api/recordings/{id}")));
    assert!(call_page.contains(&format!(
        r#"<a href="/contacts/{}"><bdi>Ali Rezaei</bdi></a>"#,
        contact.id
    )));
    assert!(
        !call_page.contains("/keep"),
        "agents cannot mark calls keep"
    );
    let refused = sara
        .post(format!("{}/calls/{answered}/keep", app.url))
        .form(&[("csrf", csrf(&call_page).as_str()), ("keep", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let reza = app.signed_in("reza").await;
    let other = reza
        .get(format!("{}/calls/{abandoned}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403, "reza was not on the call");

    let boss = app.signed_in("boss").await;
    let call_page = boss
        .get(format!("{}/calls/{answered}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(call_page.contains(&format!(r#"action="/calls/{answered}/keep""#)));
    let no_csrf = boss
        .post(format!("{}/calls/{answered}/keep", app.url))
        .form(&[("keep", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), 403, "CSRF protected");
    assert!(!app.store.call_kept(answered).await.unwrap());
    let kept = boss
        .post(format!("{}/calls/{answered}/keep", app.url))
        .form(&[("csrf", csrf(&call_page).as_str()), ("keep", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), 303);
    assert!(app.store.call_kept(answered).await.unwrap());
    let audit = app.store.audit_log(20).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "call.keep" && e.subject == format!("call:{answered}"))
    );
}

on_both_backends!(the_contact_page_and_the_call_page_play_the_recording,);
