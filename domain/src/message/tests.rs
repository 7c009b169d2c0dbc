//! Given / when / then tests of the Message aggregate: sending at most once,
//! and statuses that never move backwards whatever order webhooks come in.

use chrono::{DateTime, Utc};
use cqrs_es::test::TestFramework;
use cqrs_es::Aggregate;
use serde_json::json;
use std::sync::Arc;

use super::*;
use crate::campaign::RecipientStatus;
use crate::clock::FixedClock;
use crate::ids::SessionId;
use crate::phone::PhoneNumber;

const NOW: &str = "2026-11-21T12:00:00Z";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&Utc)
}

fn test() -> TestFramework<Message> {
    TestFramework::with(MessageServices::new(Arc::new(FixedClock(now()))))
}

fn queued() -> MessageEvent {
    MessageEvent::Queued {
        session_id: SessionId::parse("s1").unwrap(),
        from: PhoneNumber::parse("+15550783881").unwrap(),
        to: PhoneNumber::parse("+16505551234").unwrap(),
        content: MessageContent::text("Hello").unwrap(),
        reply_to: None,
        campaign_id: None,
        campaign_run: None,
        at: now(),
    }
}

fn started() -> MessageEvent {
    MessageEvent::SendStarted { at: now() }
}

fn sent() -> MessageEvent {
    MessageEvent::Sent {
        wamid: "wamid.1".into(),
        wa_id: Some("16505551234".into()),
        at: now(),
    }
}

fn report(status: DeliveryStatus) -> StatusReport {
    StatusReport {
        wamid: "wamid.1".into(),
        status,
        at: now(),
        errors: if status == DeliveryStatus::Failed {
            vec![SendError {
                code: Some(131026),
                message: "Message undeliverable".into(),
            }]
        } else {
            vec![]
        },
    }
}

fn reported(status: DeliveryStatus, after: MessageStatus) -> MessageEvent {
    MessageEvent::StatusReported {
        report: report(status),
        status: after,
    }
}

/// The status after applying `events` in order.
fn status_after(events: Vec<MessageEvent>) -> Option<MessageStatus> {
    let mut message = Message::default();
    for event in events {
        message.apply(event);
    }
    message.status()
}

/// The status after each report arrives, in this order, on a sent message.
fn final_status(order: &[DeliveryStatus]) -> MessageStatus {
    let mut message = Message::default();
    for event in [queued(), started(), sent()] {
        message.apply(event);
    }
    for status in order {
        for event in message
            .decide(MessageCommand::ApplyStatus(report(*status)), now())
            .unwrap()
        {
            message.apply(event);
        }
    }
    message.status().unwrap()
}

#[test]
fn a_queued_message_may_be_claimed_for_sending_once() {
    test()
        .given(vec![queued()])
        .when(MessageCommand::BeginSend)
        .then_expect_events(vec![started()]);
    test()
        .given(vec![queued(), started()])
        .when(MessageCommand::BeginSend)
        .then_expect_error(MessageError::NotAllowed(
            "the message is sending, and only a queued message is sent".into(),
        ));
}

#[test]
fn queuing_the_same_message_again_changes_nothing() {
    let MessageEvent::Queued {
        session_id,
        from,
        to,
        content,
        ..
    } = queued()
    else {
        unreachable!()
    };
    test()
        .given(vec![queued()])
        .when(MessageCommand::Queue(NewMessage {
            session_id,
            from,
            to,
            content,
            reply_to: None,
            campaign: None,
        }))
        .then_expect_events(vec![]);
}

#[test]
fn the_send_answer_records_the_wamid() {
    test()
        .given(vec![queued(), started()])
        .when(MessageCommand::RecordSent {
            wamid: "wamid.1".into(),
            wa_id: Some("16505551234".into()),
        })
        .then_expect_events(vec![sent()]);
}

#[test]
fn a_lost_answer_leaves_the_message_unknown_until_its_webhook_reconciles_it() {
    let unknown = MessageEvent::SendOutcomeUnknown {
        reason: "connection closed".into(),
        at: now(),
    };
    assert_eq!(
        status_after(vec![queued(), started(), unknown.clone()]),
        Some(MessageStatus::Unknown)
    );
    test()
        .given(vec![queued(), started(), unknown])
        .when(MessageCommand::ApplyStatus(report(DeliveryStatus::Sent)))
        .then_expect_events(vec![reported(DeliveryStatus::Sent, MessageStatus::Sent)]);
}

#[test]
fn a_webhook_before_the_send_answer_makes_the_answer_redundant() {
    test()
        .given(vec![
            queued(),
            started(),
            reported(DeliveryStatus::Sent, MessageStatus::Sent),
        ])
        .when(MessageCommand::RecordSent {
            wamid: "wamid.1".into(),
            wa_id: None,
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_refused_send_fails_the_message_with_the_graph_code() {
    let error = SendError {
        code: Some(132001),
        message: "(#132001) Template name does not exist in the translation".into(),
    };
    test()
        .given(vec![queued(), started()])
        .when(MessageCommand::RecordSendFailure(error.clone()))
        .then_expect_events(vec![MessageEvent::SendFailed { error, at: now() }]);
}

#[test]
fn a_duplicate_status_is_recorded_once() {
    test()
        .given(vec![
            queued(),
            started(),
            sent(),
            reported(DeliveryStatus::Delivered, MessageStatus::Delivered),
        ])
        .when(MessageCommand::ApplyStatus(report(
            DeliveryStatus::Delivered,
        )))
        .then_expect_events(vec![]);
}

#[test]
fn delivered_before_sent_ends_delivered() {
    use DeliveryStatus::*;
    assert_eq!(final_status(&[Delivered, Sent]), MessageStatus::Delivered);
}

#[test]
fn read_without_delivered_ends_read() {
    use DeliveryStatus::*;
    assert_eq!(final_status(&[Sent, Read]), MessageStatus::Read);
    assert_eq!(final_status(&[Read, Delivered, Sent]), MessageStatus::Read);
}

#[test]
fn failed_after_delivered_stays_delivered() {
    use DeliveryStatus::*;
    assert_eq!(
        final_status(&[Sent, Delivered, Failed]),
        MessageStatus::Delivered
    );
    assert_eq!(final_status(&[Sent, Failed]), MessageStatus::Failed);
    assert_eq!(final_status(&[Failed, Delivered]), MessageStatus::Delivered);
}

#[test]
fn every_order_of_the_same_reports_ends_at_the_same_status() {
    use DeliveryStatus::*;
    let reports = [Sent, Delivered, Read, Failed];
    let expected = final_status(&reports);
    for a in 0..4 {
        for b in 0..4 {
            for c in 0..4 {
                for d in 0..4 {
                    let order = [reports[a], reports[b], reports[c], reports[d]];
                    let mut seen: Vec<_> = order.to_vec();
                    seen.sort_by_key(|s| *s as u8);
                    seen.dedup();
                    if seen.len() == 4 {
                        assert_eq!(final_status(&order), expected, "{order:?}");
                    }
                }
            }
        }
    }
    assert_eq!(expected, MessageStatus::Read);
}

#[test]
fn commands_before_queue_find_nothing() {
    test()
        .given_no_previous_events()
        .when(MessageCommand::BeginSend)
        .then_expect_error(MessageError::NotFound);
}

#[test]
fn a_status_about_another_wamid_is_refused() {
    let other = StatusReport {
        wamid: "wamid.2".into(),
        ..report(DeliveryStatus::Read)
    };
    test()
        .given(vec![queued(), started(), sent()])
        .when(MessageCommand::ApplyStatus(other))
        .then_expect_error(MessageError::NotAllowed(
            "the status is about wamid.2, and Meta accepted this message as wamid.1".into(),
        ));
}

#[test]
fn queuing_other_content_under_an_existing_id_is_refused() {
    let MessageEvent::Queued {
        session_id,
        from,
        to,
        ..
    } = queued()
    else {
        unreachable!()
    };
    test()
        .given(vec![queued()])
        .when(MessageCommand::Queue(NewMessage {
            session_id,
            from,
            to,
            content: MessageContent::text("Goodbye").unwrap(),
            reply_to: None,
            campaign: None,
        }))
        .then_expect_error(MessageError::KeyReused("another content".into()));
}

fn campaign_queued() -> MessageEvent {
    let MessageEvent::Queued {
        session_id,
        from,
        to,
        content,
        at,
        ..
    } = queued()
    else {
        unreachable!()
    };
    MessageEvent::Queued {
        session_id,
        from,
        to,
        content,
        reply_to: None,
        campaign_id: Some("c1".into()),
        campaign_run: Some(2),
        at,
    }
}

fn progressed(from: RecipientStatus, to: RecipientStatus, error: Option<&str>) -> MessageEvent {
    MessageEvent::RecipientProgressed {
        campaign_id: "c1".into(),
        run: 2,
        recipient: PhoneNumber::parse("+16505551234").unwrap(),
        from,
        to,
        error: error.map(str::to_owned),
        at: now(),
    }
}

#[test]
fn a_campaign_message_says_when_its_recipient_moves() {
    use RecipientStatus::*;
    test()
        .given(vec![campaign_queued()])
        .when(MessageCommand::BeginSend)
        .then_expect_events(vec![started()]);
    test()
        .given(vec![campaign_queued(), started()])
        .when(MessageCommand::RecordSent {
            wamid: "wamid.1".into(),
            wa_id: Some("16505551234".into()),
        })
        .then_expect_events(vec![sent(), progressed(Pending, Sent, None)]);
    test()
        .given(vec![campaign_queued(), started(), sent()])
        .when(MessageCommand::ApplyStatus(report(DeliveryStatus::Read)))
        .then_expect_events(vec![
            reported(DeliveryStatus::Read, MessageStatus::Read),
            progressed(Sent, Read, None),
        ]);
    // Delivered after read moves nothing: the recipient has read it.
    test()
        .given(vec![
            campaign_queued(),
            started(),
            sent(),
            reported(DeliveryStatus::Read, MessageStatus::Read),
        ])
        .when(MessageCommand::ApplyStatus(report(
            DeliveryStatus::Delivered,
        )))
        .then_expect_events(vec![reported(
            DeliveryStatus::Delivered,
            MessageStatus::Read,
        )]);
}

#[test]
fn a_cancelled_campaign_message_is_not_sent_and_says_why() {
    use RecipientStatus::*;
    let cancelled = MessageEvent::Cancelled {
        reason: "the campaign was stopped".into(),
        at: now(),
    };
    test()
        .given(vec![campaign_queued()])
        .when(MessageCommand::Cancel {
            reason: "the campaign was stopped".into(),
        })
        .then_expect_events(vec![
            cancelled.clone(),
            progressed(Pending, NotSent, Some("the campaign was stopped")),
        ]);
    test()
        .given(vec![campaign_queued(), cancelled])
        .when(MessageCommand::BeginSend)
        .then_expect_error(MessageError::NotAllowed(
            "the message is cancelled, and only a queued message is sent".into(),
        ));
    test()
        .given(vec![campaign_queued(), started()])
        .when(MessageCommand::Cancel {
            reason: "too late".into(),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_deferred_send_is_queued_again_and_may_be_claimed_again() {
    let deferred = MessageEvent::SendDeferred {
        reason: "the campaign is paused".into(),
        attempted: false,
        not_before: None,
        at: now(),
    };
    test()
        .given(vec![queued(), started()])
        .when(MessageCommand::Defer {
            reason: "the campaign is paused".into(),
            attempted: false,
            retry_after: None,
        })
        .then_expect_events(vec![deferred.clone()]);
    test()
        .given(vec![queued(), started(), deferred])
        .when(MessageCommand::BeginSend)
        .then_expect_events(vec![started()]);
    test()
        .given(vec![queued(), started(), sent()])
        .when(MessageCommand::Defer {
            reason: "too late".into(),
            attempted: false,
            retry_after: None,
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_refused_attempt_is_queued_again_with_the_time_it_may_be_sent() {
    let wait = std::time::Duration::from_secs(60);
    test()
        .given(vec![queued(), started()])
        .when(MessageCommand::Defer {
            reason: "the business account is in maintenance".into(),
            attempted: true,
            retry_after: Some(wait),
        })
        .then_expect_events(vec![MessageEvent::SendDeferred {
            reason: "the business account is in maintenance".into(),
            attempted: true,
            not_before: Some(now() + chrono::Duration::seconds(60)),
            at: now(),
        }]);
}

#[test]
fn each_refused_attempt_counts_and_the_last_wait_holds() {
    let mut message = Message::default();
    let later = now() + chrono::Duration::seconds(5);
    for event in [
        queued(),
        started(),
        MessageEvent::SendDeferred {
            reason: "131000".into(),
            attempted: true,
            not_before: Some(now()),
            at: now(),
        },
        started(),
        MessageEvent::SendDeferred {
            reason: "131000".into(),
            attempted: true,
            not_before: Some(later),
            at: now(),
        },
    ] {
        message.apply(event);
    }
    assert_eq!(message.send_attempt(), 3);
    assert_eq!(message.not_before(), Some(later));
}

#[test]
fn a_deferral_recorded_as_throttled_still_counts_as_an_attempt() {
    let recorded = json!({
        "SendDeferred": {"reason": "130429", "throttled": true, "at": NOW}
    });
    let event: MessageEvent = serde_json::from_value(recorded).unwrap();
    assert!(matches!(
        event,
        MessageEvent::SendDeferred {
            attempted: true,
            not_before: None,
            ..
        }
    ));
}

#[test]
fn only_a_message_whose_outcome_is_unknown_is_sent_again_on_request() {
    use RecipientStatus::*;
    let unknown = MessageEvent::SendOutcomeUnknown {
        reason: "Herald stopped while the message was being sent".into(),
        at: now(),
    };
    let resend = || MessageCommand::Resend {
        reason: "asked by the business".into(),
    };
    let requested = MessageEvent::ResendRequested {
        reason: "asked by the business".into(),
        at: now(),
    };
    test()
        .given(vec![campaign_queued(), started(), unknown.clone()])
        .when(resend())
        .then_expect_events(vec![requested.clone(), progressed(Unknown, Pending, None)]);
    // Queued again, it is claimed and sent like any queued message.
    test()
        .given(vec![
            campaign_queued(),
            started(),
            unknown.clone(),
            requested.clone(),
        ])
        .when(MessageCommand::BeginSend)
        .then_expect_events(vec![started()]);
    let mut message = Message::default();
    for event in [campaign_queued(), started(), unknown, requested] {
        message.apply(event);
    }
    assert_eq!(message.status(), Some(MessageStatus::Queued));
    assert!(message.resend_requested());
    assert_eq!(message.sending_since(), None);
    for given in [
        vec![campaign_queued()],
        vec![campaign_queued(), started()],
        vec![campaign_queued(), started(), sent()],
    ] {
        let status = status_after(given.clone()).expect("a status");
        test()
            .given(given)
            .when(resend())
            .then_expect_error(MessageError::NotAllowed(format!(
                "the message is {status}, and only a message whose outcome is unknown is sent again"
            )));
    }
}
