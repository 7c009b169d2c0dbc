//! Given / when / then tests of the Session aggregate's rules.

use chrono::{DateTime, Utc};
use cqrs_es::test::TestFramework;
use std::sync::Arc;

use super::commands::NewSession;
use super::*;
use crate::clock::FixedClock;
use crate::phone::PhoneNumber;

type SessionTest = TestFramework<Session>;

const NOW: &str = "2026-11-21T12:00:00Z";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&Utc)
}

fn test() -> SessionTest {
    SessionTest::with(SessionServices::new(Arc::new(FixedClock(now()))))
}

fn number() -> PhoneNumber {
    PhoneNumber::parse("+15550783881").unwrap()
}

fn channel(token: &str) -> CloudApiChannel {
    CloudApiChannel {
        phone_number_id: GraphId::parse("106540352242922").unwrap(),
        waba_id: GraphId::parse("102290129340398").unwrap(),
        secrets: CloudApiSecrets {
            access_token: SealedSecret::from_sealed(token.into()),
            app_secret: SealedSecret::from_sealed("sealed-app-secret".into()),
            webhook_verify_token: SealedSecret::from_sealed("sealed-verify".into()),
        },
        verify_token_fingerprint: "fingerprint".into(),
        secrets_fingerprint: format!("fingerprint of {token}"),
    }
}

fn created() -> SessionEvent {
    SessionEvent::Created {
        phone_number: number(),
        name: Some(SessionName::parse("Support").unwrap()),
        channel: channel("sealed-token"),
        at: now(),
        throughput: None,
    }
}

fn create() -> SessionCommand {
    SessionCommand::Create(NewSession {
        phone_number: number(),
        name: Some(SessionName::parse("Support").unwrap()),
        channel: channel("sealed-token"),
        throughput: None,
    })
}

fn verified(display: &str) -> SessionCommand {
    SessionCommand::Connect(Verification::Verified {
        display_phone_number: display.into(),
        verified_name: Some("Lucky Shrub".into()),
        quality_rating: Some("GREEN".into()),
    })
}

fn connected() -> SessionEvent {
    SessionEvent::Connected {
        at: now(),
        verified_name: Some("Lucky Shrub".into()),
        quality_rating: Some("GREEN".into()),
    }
}

#[test]
fn creating_a_session_starts_it_initializing() {
    test()
        .given_no_previous_events()
        .when(create())
        .then_expect_events(vec![created()]);
}

#[test]
fn creating_a_session_for_a_number_the_tenant_has_is_refused() {
    test()
        .given(vec![created()])
        .when(create())
        .then_expect_error(SessionError::AlreadyExists);
}

#[test]
fn a_deleted_number_may_be_added_again() {
    test()
        .given(vec![created(), SessionEvent::Deleted { at: now() }])
        .when(create())
        .then_expect_events(vec![created()]);
}

#[test]
fn connecting_with_credentials_of_the_number_connects() {
    test()
        .given(vec![created()])
        .when(verified("+1 555-078-3881"))
        .then_expect_events(vec![connected()]);
}

#[test]
fn connecting_with_credentials_of_another_number_fails() {
    test()
        .given(vec![created()])
        .when(verified("15550009999"))
        .then_expect_events(vec![SessionEvent::ConnectionFailed {
            at: now(),
            code: None,
            reason: "the credentials belong to the number 15550009999, not to +15550783881".into(),
        }]);
}

#[test]
fn a_refused_verification_puts_the_session_in_error_with_the_graph_code() {
    test()
        .given(vec![created()])
        .when(SessionCommand::Connect(Verification::Refused {
            code: 190,
            reason: "Access token has expired".into(),
        }))
        .then_expect_events(vec![SessionEvent::ConnectionFailed {
            at: now(),
            code: Some(190),
            reason: "Access token has expired".into(),
        }]);
}

#[test]
fn failed_connections_count_retries_until_one_succeeds() {
    let failed = SessionEvent::ConnectionFailed {
        at: now(),
        code: None,
        reason: "down".into(),
    };
    let mut session = Session::default();
    for event in [created(), failed.clone(), failed] {
        cqrs_es::Aggregate::apply(&mut session, event);
    }
    assert_eq!(session.status(), Some(SessionStatus::Error));
    assert_eq!(session.retry_count(), 2);
    cqrs_es::Aggregate::apply(&mut session, connected());
    assert_eq!(session.status(), Some(SessionStatus::Connected));
    assert_eq!(session.retry_count(), 0);
}

#[test]
fn disconnecting_a_connected_session_disconnects_it() {
    test()
        .given(vec![created(), connected()])
        .when(SessionCommand::Disconnect)
        .then_expect_events(vec![SessionEvent::Disconnected { at: now() }]);
}

#[test]
fn disconnecting_twice_changes_nothing() {
    test()
        .given(vec![created(), SessionEvent::Disconnected { at: now() }])
        .when(SessionCommand::Disconnect)
        .then_expect_events(vec![]);
}

#[test]
fn new_credentials_send_the_session_back_to_initializing() {
    let mut session = Session::default();
    for event in [
        created(),
        connected(),
        SessionEvent::ChannelReplaced {
            channel: channel("other"),
            at: now(),
        },
    ] {
        cqrs_es::Aggregate::apply(&mut session, event);
    }
    assert_eq!(session.status(), Some(SessionStatus::Initializing));
}

#[test]
fn the_same_credentials_again_change_nothing() {
    test()
        .given(vec![created()])
        .when(SessionCommand::ReplaceChannel(channel("sealed-token")))
        .then_expect_events(vec![]);
}

#[test]
fn the_same_secrets_sealed_again_change_nothing() {
    let resealed = CloudApiChannel {
        secrets: CloudApiSecrets {
            access_token: SealedSecret::from_sealed("sealed again, new nonce".into()),
            ..channel("sealed-token").secrets
        },
        ..channel("sealed-token")
    };
    test()
        .given(vec![created()])
        .when(SessionCommand::ReplaceChannel(resealed))
        .then_expect_events(vec![]);
}

#[test]
fn commands_on_a_deleted_session_find_nothing() {
    test()
        .given(vec![created(), SessionEvent::Deleted { at: now() }])
        .when(verified("15550783881"))
        .then_expect_error(SessionError::NotFound);
}

#[test]
fn commands_before_create_find_nothing() {
    test()
        .given_no_previous_events()
        .when(SessionCommand::Delete)
        .then_expect_error(SessionError::NotFound);
}

#[test]
fn a_tenant_and_number_always_give_the_same_session_id() {
    let acme = crate::TenantId::parse("acme").unwrap();
    let globex = crate::TenantId::parse("globex").unwrap();
    let other = PhoneNumber::parse("+15550783882").unwrap();
    assert_eq!(
        session_id_for(&acme, &number()),
        session_id_for(&acme, &number())
    );
    assert_ne!(
        session_id_for(&acme, &number()),
        session_id_for(&acme, &other)
    );
    assert_ne!(
        session_id_for(&acme, &number()),
        session_id_for(&globex, &number())
    );
}

#[test]
fn a_number_s_throughput_is_set_once_and_bounded() {
    let thousand = Throughput::per_second(1_000).unwrap();
    test()
        .given(vec![created()])
        .when(SessionCommand::SetThroughput(thousand))
        .then_expect_events(vec![SessionEvent::ThroughputSet {
            throughput: thousand,
            at: now(),
        }]);
    test()
        .given(vec![
            created(),
            SessionEvent::ThroughputSet {
                throughput: thousand,
                at: now(),
            },
        ])
        .when(SessionCommand::SetThroughput(thousand))
        .then_expect_events(vec![]);
    assert!(Throughput::per_second(0).is_err());
    assert!(Throughput::per_second(1_001).is_err());
}

#[test]
fn a_quality_flag_makes_the_number_low_until_unflagged_or_connected_again() {
    let flagged = SessionEvent::QualityReported {
        event: "FLAGGED".into(),
        at: now(),
    };
    let mut session = Session::default();
    for event in [created(), flagged.clone()] {
        cqrs_es::Aggregate::apply(&mut session, event);
    }
    assert!(session.quality_is_low());
    let mut unflagged = session.clone();
    cqrs_es::Aggregate::apply(
        &mut unflagged,
        SessionEvent::QualityReported {
            event: "UNFLAGGED".into(),
            at: now(),
        },
    );
    assert!(!unflagged.quality_is_low());
    cqrs_es::Aggregate::apply(
        &mut session,
        SessionEvent::Connected {
            at: now(),
            verified_name: None,
            quality_rating: Some("GREEN".into()),
        },
    );
    assert!(!session.quality_is_low());
}
