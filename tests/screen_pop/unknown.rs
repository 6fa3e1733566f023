//! Callers Tamas does not know, and callers with hostile names.

use crate::app::spawn_app;
use crate::support::{Backend, on_both_backends};

async fn an_unknown_number_offers_to_create_a_contact_and_names_stay_text(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut maryam, _) = app.socket("maryam").await;
    let hostile = "<script>alert(1)</script>";
    let call = app.ring("09350001122", hostile, "1003");
    let popup = maryam.next_for_call("call.ringing", &call.linkedid).await;
    assert_eq!(popup["contacts"].as_array().unwrap().len(), 0);
    assert_eq!(
        popup["create_contact_url"],
        format!(
            "/contacts/new?number=%2B989350001122&call={}",
            call.linkedid
        )
    );
    assert_eq!(
        popup["caller_name"], hostile,
        "the name travels as a JSON string, exactly as the PBX sent it"
    );
}

async fn escaped_caller_id_names_reach_the_popup_unescaped(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut maryam, _) = app.socket("maryam").await;
    // The simulated PBX escapes it as Asterisk does: `Tose\'e \"Boss\" \\ \nLine 2`.
    let name = "Tose'e \"Boss\" \\ \nLine 2";
    let call = app.ring("09350001133", name, "1003");
    let popup = maryam.next_for_call("call.ringing", &call.linkedid).await;
    assert_eq!(popup["caller_name"], name, "{popup}");
}

on_both_backends!(
    an_unknown_number_offers_to_create_a_contact_and_names_stay_text,
    escaped_caller_id_names_reach_the_popup_unescaped,
);
