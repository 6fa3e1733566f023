//! The hub without sockets: numbering, fan-out, watchers, backlog and overflow.

use std::time::Duration;

use crm_core::{ChangeReason, CredentialChange, UserId};

use super::messages::{AgentState, AgentStateChange, Event};
use super::registry::Kick;
use super::{Audience, Hub, HubSettings};
use crm_core::Credential;

fn token(id: i64) -> Credential {
    Credential::Token(crm_core::TokenId(id))
}

fn session(hash: &str) -> Credential {
    Credential::Session {
        hash: hash.to_owned(),
        expires_at_ms: i64::MAX,
    }
}

fn change(seq: i64, user: UserId, token: Option<i64>, session: Option<&str>) -> CredentialChange {
    CredentialChange {
        seq,
        user,
        token: token.map(crm_core::TokenId),
        session_hash: session.map(str::to_owned),
        reason: if token.is_some() {
            ChangeReason::TokenRevoked
        } else if session.is_some() {
            ChangeReason::SignedOut
        } else {
            ChangeReason::UserDisabled
        },
    }
}

fn state(n: i64) -> Event {
    Event::AgentState(AgentStateChange {
        extension: "1001".into(),
        state: AgentState::Ringing,
        since_ms: n,
        reason: None,
    })
}

fn seq_of(frame: &super::Frame) -> u64 {
    let value: serde_json::Value = serde_json::from_str(frame.as_str()).unwrap_or_default();
    value["seq"].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn every_tab_of_a_user_gets_the_same_numbered_frame() {
    let hub = Hub::default();
    let sara = UserId(1);
    let mut tab1 = hub.register(sara, token(1), 0, None).unwrap();
    let mut tab2 = hub.register(sara, token(1), 0, None).unwrap();
    assert_eq!(tab1.seq, tab2.seq);
    assert_eq!(hub.publish(&Audience::users(vec![sara]), &state(1)), 1);
    let a = tab1.frames.recv().await.unwrap();
    let b = tab2.frames.recv().await.unwrap();
    assert_eq!(a, b);
    assert_eq!(seq_of(&a), tab1.seq + 1);
    assert!(a.as_str().starts_with(r#"{"seq":"#));
    assert!(a.as_str().contains(r#""type":"agent.state""#));
}

#[tokio::test]
async fn only_the_audience_and_watchers_receive() {
    let hub = Hub::default();
    let (sara, reza, boss) = (UserId(1), UserId(2), UserId(3));
    let mut sara_tab = hub.register(sara, token(1), 0, None).unwrap();
    let mut reza_tab = hub.register(reza, token(1), 0, None).unwrap();
    let mut boss_tab = hub.register(boss, token(1), 0, None).unwrap();
    hub.publish(&Audience::user_and_watchers(sara), &state(1));
    assert!(sara_tab.frames.try_recv().is_ok());
    assert!(reza_tab.frames.try_recv().is_err(), "not reza's call");
    assert!(
        boss_tab.frames.try_recv().is_err(),
        "boss has not subscribed"
    );
    hub.set_all_calls(boss, true);
    hub.publish(&Audience::user_and_watchers(sara), &state(2));
    assert!(
        boss_tab.frames.try_recv().is_ok(),
        "boss watches every call"
    );
    let mut except = Audience::watchers();
    except.except.push(boss);
    assert_eq!(hub.publish(&except, &state(3)), 0);
    assert!(boss_tab.frames.try_recv().is_err());
    assert_eq!(
        hub.publish(&Audience::users(vec![UserId(99)]), &state(4)),
        0,
        "unknown user"
    );
}

#[tokio::test]
async fn a_reconnecting_tab_gets_what_it_missed() {
    let hub = Hub::default();
    let sara = UserId(1);
    let tab = hub.register(sara, token(1), 0, None).unwrap();
    let seen = tab.seq;
    hub.unregister(sara, tab.socket);
    for n in 0..3 {
        hub.publish(&Audience::users(vec![sara]), &state(n));
    }
    let again = hub.register(sara, token(1), 0, Some(seen)).unwrap();
    let replay = again.replay.unwrap();
    assert!(replay.complete);
    let seqs: Vec<u64> = replay.frames.iter().map(seq_of).collect();
    assert_eq!(seqs, vec![seen + 1, seen + 2, seen + 3]);
    assert_eq!(again.seq, seen + 3);
}

#[tokio::test]
async fn a_socket_that_stops_reading_is_dropped_and_told() {
    let hub = Hub::new(HubSettings {
        socket_queue: 4,
        ..HubSettings::default()
    });
    let sara = UserId(1);
    let mut slow = hub.register(sara, token(1), 0, None).unwrap();
    let mut fast = hub.register(sara, token(1), 0, None).unwrap();
    for n in 0..10 {
        hub.publish(&Audience::users(vec![sara]), &state(n));
        while fast.frames.try_recv().is_ok() {}
    }
    assert!(
        slow.kicked.try_recv() == Ok(Kick::TooSlow),
        "told to close with 1008"
    );
    assert_eq!(hub.sockets_of(sara), 1, "the fast tab stays");
    assert_eq!(hub.stats().backlog_frames, 10);
}

#[tokio::test(start_paused = true)]
async fn users_gone_for_longer_than_the_backlog_age_are_forgotten() {
    let hub = Hub::default();
    let sara = UserId(1);
    let tab = hub.register(sara, token(1), 0, None).unwrap();
    hub.unregister(sara, tab.socket);
    hub.publish(&Audience::users(vec![sara]), &state(1));
    assert_eq!(hub.stats().users, 1);
    tokio::time::advance(Duration::from_secs(11 * 60)).await;
    hub.publish(&Audience::users(vec![UserId(2)]), &state(2));
    assert_eq!(hub.stats().users, 0);
    assert_eq!(hub.stats().backlog_frames, 0);
}

#[tokio::test]
async fn a_user_has_a_bounded_number_of_sockets() {
    let hub = Hub::new(HubSettings {
        max_sockets_per_user: 2,
        ..HubSettings::default()
    });
    let _a = hub.register(UserId(1), token(1), 0, None).unwrap();
    let _b = hub.register(UserId(1), token(1), 0, None).unwrap();
    assert!(hub.register(UserId(1), token(1), 0, None).is_err());
}

#[tokio::test]
async fn an_ended_credential_closes_exactly_its_sockets() {
    let hub = Hub::default();
    let (sara, reza) = (UserId(1), UserId(2));
    let mut by_token = hub.register(sara, token(7), 0, None).unwrap();
    let mut by_session = hub.register(sara, session("aa"), 0, None).unwrap();
    let mut other_session = hub.register(sara, session("bb"), 0, None).unwrap();
    let mut reza_tab = hub.register(reza, session("aa"), 0, None).unwrap();

    assert_eq!(hub.end_access(&[change(1, sara, Some(7), None)]), 1);
    assert_eq!(
        by_token.kicked.try_recv(),
        Ok(Kick::AccessEnded(ChangeReason::TokenRevoked))
    );
    assert_eq!(hub.end_access(&[change(2, sara, None, Some("aa"))]), 1);
    assert_eq!(
        by_session.kicked.try_recv(),
        Ok(Kick::AccessEnded(ChangeReason::SignedOut))
    );
    assert!(other_session.kicked.try_recv().is_err(), "another session");
    assert!(
        reza_tab.kicked.try_recv().is_err(),
        "the same hash of another user"
    );
    // Nothing more reaches a closed socket.
    hub.publish(&Audience::users(vec![sara]), &state(1));
    assert!(by_session.frames.try_recv().is_err());
    assert!(other_session.frames.try_recv().is_ok());
    // A change already applied is not applied again.
    assert_eq!(hub.end_access(&[change(2, sara, None, None)]), 0);
    assert_eq!(hub.end_access(&[change(3, sara, None, None)]), 1);
    assert_eq!(
        other_session.kicked.try_recv(),
        Ok(Kick::AccessEnded(ChangeReason::UserDisabled))
    );
    assert_eq!(hub.sockets_of(sara), 0);
    assert_eq!(hub.sockets_of(reza), 1);
    assert_eq!(hub.access_cursor(), 3);
}

#[tokio::test]
async fn a_credential_checked_before_a_change_is_refused_at_registration() {
    let hub = Hub::default();
    let sara = UserId(1);
    let checked_at = hub.access_cursor();
    hub.end_access(&[change(5, sara, Some(7), None)]);
    assert_eq!(
        hub.register(sara, token(7), checked_at, None).err(),
        Some(Some(ChangeReason::TokenRevoked))
    );
    assert!(
        hub.register(sara, token(8), checked_at, None).is_ok(),
        "another token"
    );
    assert!(
        hub.register(sara, token(7), hub.access_cursor(), None)
            .is_ok(),
        "checked after the change (the check itself refuses a revoked token)"
    );
}
