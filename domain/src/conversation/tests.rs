//! Given / when / then tests of the Conversation aggregate.

use chrono::{DateTime, Duration, Utc};
use cqrs_es::test::TestFramework;
use cqrs_es::Aggregate;
use std::sync::Arc;

use super::*;
use crate::clock::FixedClock;
use crate::ids::SessionId;

const NOW: &str = "2026-11-21T12:00:00Z";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn test() -> TestFramework<Conversation> {
    TestFramework::with(ConversationServices::new(Arc::new(FixedClock(at(NOW)))))
}

fn session() -> SessionId {
    SessionId::parse("main").unwrap()
}

fn message(wamid: &str, sent_at: &str) -> InboundMessage {
    InboundMessage {
        wamid: wamid.into(),
        from: ContactId::parse("16505551234").unwrap(),
        to: Some("15550783881".into()),
        profile_name: Some("Sheena Nelson".into()),
        kind: InboundKind::Text,
        text: Some("Hi".into()),
        media: None,
        context_wamid: None,
        sent_at: at(sent_at),
        payload: "{}".into(),
    }
}

fn receive(message: InboundMessage) -> ConversationCommand {
    ConversationCommand::Receive {
        session_id: session(),
        message,
    }
}

fn received(message: InboundMessage, window_expires_at: &str) -> ConversationEvent {
    ConversationEvent::MessageReceived {
        session_id: session(),
        message,
        received_at: at(NOW),
        window_expires_at: at(window_expires_at),
    }
}

#[test]
fn a_message_opens_the_window_for_24_hours_from_when_it_was_sent() {
    let hi = message("wamid.1", "2026-11-21T11:59:00Z");
    test()
        .given_no_previous_events()
        .when(receive(hi.clone()))
        .then_expect_events(vec![received(hi, "2026-11-22T11:59:00Z")]);
}

#[test]
fn a_duplicate_message_gives_no_event() {
    let hi = message("wamid.1", "2026-11-21T11:59:00Z");
    test()
        .given(vec![received(hi.clone(), "2026-11-22T11:59:00Z")])
        .when(receive(hi))
        .then_expect_events(vec![]);
}

#[test]
fn a_late_redelivery_of_an_older_message_does_not_shorten_the_window() {
    let newer = message("wamid.2", "2026-11-21T11:00:00Z");
    let older = message("wamid.1", "2026-11-20T18:00:00Z");
    test()
        .given(vec![received(newer, "2026-11-22T11:00:00Z")])
        .when(receive(older.clone()))
        .then_expect_events(vec![received(older, "2026-11-22T11:00:00Z")]);
}

#[test]
fn a_timestamp_from_the_future_opens_the_window_from_now() {
    let ahead = message("wamid.1", "2026-11-21T13:00:00Z");
    test()
        .given_no_previous_events()
        .when(receive(ahead.clone()))
        .then_expect_events(vec![received(ahead, "2026-11-22T12:00:00Z")]);
}

#[test]
fn the_window_is_closed_24_hours_after_the_last_message() {
    let mut conversation = Conversation::default();
    conversation.apply(received(message("wamid.1", NOW), "2026-11-22T12:00:00Z"));
    assert!(conversation.window_open_at(at(NOW) + Duration::hours(23)));
    assert!(!conversation.window_open_at(at(NOW) + Duration::hours(24)));
    assert!(!Conversation::default().window_open_at(at(NOW)));
}

#[test]
fn only_recent_ids_are_remembered() {
    let mut conversation = Conversation::default();
    for n in 0..=1_000 {
        conversation.apply(received(
            message(&format!("wamid.{n}"), NOW),
            "2026-11-22T12:00:00Z",
        ));
    }
    let first_again = conversation.receive(session(), message("wamid.0", NOW), at(NOW));
    let last_again = conversation.receive(session(), message("wamid.1000", NOW), at(NOW));
    assert!(first_again.is_some());
    assert!(last_again.is_none());
}

#[test]
fn a_pair_always_gives_the_same_conversation_id() {
    let contact = ContactId::parse("16505551234").unwrap();
    let other = ContactId::parse("16505551235").unwrap();
    assert_eq!(
        conversation_id_for(&session(), &contact),
        conversation_id_for(&session(), &contact)
    );
    assert_ne!(
        conversation_id_for(&session(), &contact),
        conversation_id_for(&session(), &other)
    );
}

#[test]
fn contact_ids_take_wa_ids_and_business_scoped_ids() {
    assert_eq!(
        ContactId::parse("16505551234")
            .unwrap()
            .phone_number()
            .as_deref(),
        Some("+16505551234")
    );
    assert_eq!(
        ContactId::parse("US.13491208655302741918")
            .unwrap()
            .phone_number(),
        None
    );
    assert!(ContactId::parse("a b").is_err());
}
