//! Contacts through the forms, the wrap-up, and caller-ID text that stays text.

use crate::app::{TestApp, location};
use crate::support::{Backend, on_both_backends};

async fn a_contact_created_through_the_form_is_found_by_its_number_in_another_format(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    // An unknown caller rang Sara; her popup offered to create the contact.
    app.call(
        "1795000000.3",
        "+989121234567",
        "UNKNOWN CALLER",
        "1001",
        crm_core_now(),
    )
    .await;
    let sara = app.signed_in("sara").await;

    // The popup's link prefills the number.
    let form = sara
        .page("/contacts/new?number=%2B989121234567&call=1795000000.3")
        .await;
    assert!(
        form.contains(r#"name="phone1" value="+989121234567""#),
        "{form}"
    );

    let csrf = sara.csrf().await;
    let resp = sara
        .post_form(
            "/contacts/new",
            &[
                ("csrf", &csrf),
                ("name", "Leila Karimi"),
                ("organisation", "Parsian"),
                ("stage", "customer"),
                ("tags", "vip, tehran"),
                ("phone1", "0912 123 4567"),
                ("label1", "mobile"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let contact_path = location(&resp);
    assert!(contact_path.starts_with("/contacts/"), "{contact_path}");

    for query in [
        "%2B989121234567",
        "00989121234567",
        "%DB%B0%DB%B9%DB%B1%DB%B2%DB%B1%DB%B2%DB%B3%DB%B4%DB%B5%DB%B6%DB%B7",
        "leila",
    ] {
        let html = sara.page(&format!("/contacts?q={query}")).await;
        assert!(html.contains("Leila Karimi"), "found by {query}: {html}");
        assert!(html.contains(&format!(r#"href="{contact_path}""#)));
    }
    let page = sara.page(&contact_path).await;
    assert!(page.contains("0912 123 4567"), "shown formatted: {page}");
    assert!(
        page.contains(r#"class="call" data-phone=""#),
        "a call button per number"
    );
    assert!(page.contains("vip"));
    assert!(
        page.contains("UNKNOWN CALLER"),
        "the call that prompted it is on the contact"
    );

    // Editing keeps the numbers and changes the fields.
    let resp = sara
        .post_form(
            &format!("{contact_path}/edit"),
            &[
                ("csrf", &csrf),
                ("name", "Leila Karimi-Rad"),
                ("stage", "lead"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let page = sara.page(&contact_path).await;
    assert!(page.contains("Leila Karimi-Rad") && page.contains("0912 123 4567"));
}

async fn what_is_not_a_phone_number_or_e_mail_is_refused_with_a_message(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let sara = app.signed_in("sara").await;
    let csrf = sara.csrf().await;
    let resp = sara
        .post_form(
            "/contacts/new",
            &[
                ("csrf", &csrf),
                ("name", "Someone"),
                ("email", "not-an-address"),
                ("phone1", "call me maybe"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let html = resp.text().await.unwrap();
    assert!(html.contains("is not a phone number"), "{html}");
    assert!(html.contains("is not an e-mail address"), "{html}");
    assert!(
        html.contains(r#"value="Someone""#),
        "what was typed is kept"
    );
    assert!(
        app.store
            .search_contacts("someone", 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn hostile_caller_ids_are_shown_as_text_everywhere(backend: Backend) {
    const HOSTILE: &str = "<script>alert(1)</script>";
    let app = TestApp::spawn(backend).await;
    let contact = app.contact(HOSTILE, &["09351112233"]).await;
    let now = crm_core_now();
    app.call("1700000000.1", "09351112233", HOSTILE, "1001", now)
        .await;
    app.call("1700000000.2", HOSTILE, HOSTILE, "1001", now - 1000)
        .await;

    let sara = app.signed_in("sara").await;
    for path in [
        "/console".to_owned(),
        format!("/contacts/{}", contact.id),
        "/contacts?q=script".to_owned(),
        format!("/contacts/{}/edit", contact.id),
    ] {
        let html = sara.page(&path).await;
        assert!(!html.contains(HOSTILE), "{path} has the raw name: {html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
                || html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{path} shows the name as text: {html}"
        );
    }
}

async fn a_wrap_up_is_saved_on_the_call_the_contact_and_a_follow_up_task(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let contact = app.contact("Maryam", &["09127654321"]).await;
    let now = crm_core_now();
    let call = app
        .call(
            "1800000000.5",
            "09127654321",
            "MARYAM",
            "1001",
            now - 120_000,
        )
        .await;

    // Another agent cannot wrap up Sara's call.
    let reza = app.signed_in("reza").await;
    let reza_csrf = reza.csrf().await;
    let resp = reza
        .post_form(
            "/console/wrapup",
            &[
                ("csrf", &reza_csrf),
                ("call", "1800000000.5"),
                ("outcome", "sale"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);

    let sara = app.signed_in("sara").await;
    let console = sara.page("/console").await;
    assert!(
        console.contains("/console?wrapup=1800000000.5"),
        "a wrap-up link: {console}"
    );
    let form = sara.page("/console?wrapup=1800000000.5").await;
    assert!(
        form.contains(r#"name="call" value="1800000000.5""#),
        "{form}"
    );
    let csrf = sara.csrf().await;
    let resp = sara
        .post_form(
            "/console/wrapup",
            &[
                ("csrf", &csrf),
                ("call", "1800000000.5"),
                ("outcome", "escalated"),
                ("resolved", "no"),
                ("note", "Wants a refund; manager to call back."),
                ("task_title", "Call Maryam back about the refund"),
                ("task_due", "2030-01-02T10:30"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(location(&resp), "/console?saved=1");

    let saved = app.store.get_call(call).await.unwrap();
    assert_eq!(saved.wrapup_outcome.as_deref(), Some("escalated"));
    assert_eq!(saved.wrapup_resolved, Some(false));
    assert_eq!(
        saved.wrapup_note.as_deref(),
        Some("Wants a refund; manager to call back.")
    );
    let notes = app.store.notes(contact.id).await.unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.body == "Wants a refund; manager to call back.")
    );
    let tasks = app.store.tasks_of_contact(contact.id, true).await.unwrap();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0].call, Some(call));
    assert_eq!(tasks[0].assignee, Some(app.user_id("sara").await));
    assert!(tasks[0].due_at_ms.is_some());

    let page = sara.page(&format!("/contacts/{}", contact.id)).await;
    assert!(
        page.contains("Escalated") && page.contains("Wants a refund"),
        "{page}"
    );
    assert!(page.contains("Call Maryam back about the refund"));
}

/// Now, in ms since the epoch.
fn crm_core_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

on_both_backends!(
    a_contact_created_through_the_form_is_found_by_its_number_in_another_format,
    what_is_not_a_phone_number_or_e_mail_is_refused_with_a_message,
    hostile_caller_ids_are_shown_as_text_everywhere,
    a_wrap_up_is_saved_on_the_call_the_contact_and_a_follow_up_task,
);
