//! Builders for the suite's users, contacts and calls.

use std::sync::Arc;

use crm_core::{
    AgentAttemptInput, CallRecordInput, Contact, Extension, Locale, NewContact, NewPhone, NewUser,
    Role, Stage, Store, User, Username,
};

/// The password of every test user.
pub const PASSWORD: &str = "a long password";

/// A number as typed, normalised by the store's normaliser.
pub fn phone(store: &Arc<dyn Store>, raw: &str, label: &str) -> NewPhone {
    NewPhone {
        number: store.normalizer().normalize(raw),
        label: label.to_owned(),
    }
}

/// A user to create.
pub fn new_user(username: &str, role: Role, extension: Option<&str>) -> NewUser {
    NewUser {
        username: Username::parse(username).expect("username"),
        display_name: format!("{username} name"),
        role,
        extension: extension.map(|e| Extension::parse(e).expect("extension")),
        locale: Locale::En,
        password_hash: crm_core::password::hash_password(PASSWORD).expect("hash"),
    }
}

/// A created user.
pub async fn user(store: &Arc<dyn Store>, username: &str, extension: Option<&str>) -> User {
    store
        .create_user(&new_user(username, Role::Agent, extension))
        .await
        .expect("user created")
}

/// A created customer with these numbers.
pub async fn contact(store: &Arc<dyn Store>, name: &str, numbers: &[&str]) -> Contact {
    store
        .create_contact(&NewContact {
            name: name.into(),
            stage: Stage::Customer,
            phones: numbers.iter().map(|n| phone(store, n, "mobile")).collect(),
            ..NewContact::default()
        })
        .await
        .expect("contact created")
}

/// A complete inbound call from `number`, answered by 1001 (shaped like a real capture).
pub fn call(linkedid: &str, number: &str) -> CallRecordInput {
    CallRecordInput {
        pbx: "asterisk".into(),
        linkedid: linkedid.into(),
        direction: crm_core::Direction::Inbound,
        customer_number_raw: Some(number.into()),
        customer_number_e164: None,
        customer_name: Some("Ali Rezaei".into()),
        did: Some("02191001000".into()),
        queue: Some("support".into()),
        agents_rung: vec![
            AgentAttemptInput {
                extension: Some("1002".into()),
                result: crm_core::LegResult::RingNoAnswer,
                ring_ms: Some(15_000),
                rang_at_ms: 1_795_342_964_720,
            },
            AgentAttemptInput {
                extension: Some("1001".into()),
                result: crm_core::LegResult::Answered,
                ring_ms: Some(5007),
                rang_at_ms: 1_795_342_979_720,
            },
        ],
        answered_by_extension: Some("1001".into()),
        agent_extension: Some("1001".into()),
        started_at_ms: 1_795_342_964_703,
        queued_at_ms: Some(1_795_342_964_719),
        answered_at_ms: Some(1_795_342_984_728),
        ended_at_ms: Some(1_795_342_993_012),
        wait_ms: Some(20_009),
        ring_ms: Some(5007),
        talk_ms: Some(8284),
        hold_ms: Some(0),
        disposition: crm_core::Disposition::Answered,
        hangup_by: Some(crm_core::HangupBy::Customer),
        hangup_by_extension: None,
        hangup_cause: Some(16),
        transfers: serde_json::json!([]),
        agent_segments: Vec::new(),
        recording_file: Some("1795342964.0.wav".into()),
        click_id: None,
        end_known: true,
        failure_reason: None,
    }
}
