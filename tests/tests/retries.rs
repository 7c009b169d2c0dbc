//! What Herald does when the Graph API refuses a send, or accepts it and
//! the answer is lost, end to end: Herald's API, its dispatcher and Cloud
//! API client, the fake Graph API's fault script, and the status webhooks
//! coming back (cloud-api.md §2, §7 items 5 and 8–11).
//!
//! Each send here goes to a recipient of its own, who has written first so
//! that the 24-hour window is open: a fault then hits only the message under
//! test, and no recipient comes near Herald's per-recipient pace.

use herald_fake_graph::errors::spec;
use herald_fake_graph::{
    ErrorTiming, FakeFault, FakeGraphConfig, FakeNumber, RecordedRequest, StatusSchedule,
};
use herald_tests::app::{
    spawn_app_with_settings, GRAPH_BACKOFF, GRAPH_MAINTENANCE_WAIT, GRAPH_PAIR_BACKOFF,
};
use herald_tests::wait::eventually;
use herald_tests::whatsapp::{assert_requests_match_openapi, text_to, TestSession, PATIENCE};
use herald_tests::{spawn_app, TestApp};
use serde_json::Value;
use std::time::Duration;

/// Codes the reference table calls temporary: each must be retried.
const RETRYABLE: [u32; 10] = [
    4, 80007, 130429, 131056, 131000, 1, 2, 131016, 133004, 131057,
];

/// Codes the reference table calls permanent: none may be retried.
const PERMANENT: [u32; 8] = [131026, 131047, 132000, 132001, 133010, 368, 131048, 100];

/// Attempts per send Herald is configured with in tests (the default).
const MAX_ATTEMPTS: usize = 5;

/// A recipient of the test's own, numbered so that each send has one.
fn recipient(n: usize) -> String {
    format!("+1650555{:04}", 3000 + n)
}

/// Opens the 24-hour window for `to` (Herald and the fake both check it),
/// then has Herald send `to` a text; gives the message id.
async fn send_text_to_new_contact(app: &TestApp, session: &TestSession, to: &str) -> String {
    app.receive_text(session, to, "hi").await;
    app.send_message_ok(session, &text_to(to, "Your order has shipped"))
        .await
}

/// The send requests the fake received for Herald's message `id`, which
/// Herald puts in `biz_opaque_callback_data`.
fn sends_of(app: &TestApp, id: &str) -> Vec<RecordedRequest> {
    app.graph
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/messages"))
        .filter(|r| {
            r.json
                .as_ref()
                .and_then(|body| body["biz_opaque_callback_data"].as_str())
                == Some(id)
        })
        .collect()
}

/// The HTTP statuses the fake answered the sends of message `id` with.
fn answers_to(app: &TestApp, id: &str) -> Vec<Option<u16>> {
    sends_of(app, id)
        .iter()
        .map(|r| r.response_status)
        .collect()
}

/// The time between each send of message `id` and the next, as the fake
/// saw them arrive: at least the wait Herald chose after each refusal.
fn waits_between_sends(app: &TestApp, id: &str) -> Vec<Duration> {
    sends_of(app, id)
        .windows(2)
        .map(|pair| pair[1].received_at.duration_since(pair[0].received_at))
        .collect()
}

/// The least Herald may wait after `code` refused attempt `attempt` (from
/// 1): Meta's minute for 131057, Meta's 4^X for the pair limit, and
/// otherwise half the exponential back-off, since the jitter draws between
/// half and all of it (all scaled down in tests, see `herald_tests::app`).
fn least_wait_after(code: u32, attempt: u32) -> Duration {
    let exponent = attempt - 1;
    match code {
        131057 => GRAPH_MAINTENANCE_WAIT,
        131056 => GRAPH_PAIR_BACKOFF * 4u32.pow(exponent),
        _ => GRAPH_BACKOFF * 2u32.pow(exponent) / 2,
    }
}

/// Checks that every retry of message `id`, refused each time with `code`,
/// came after its back-off.
fn assert_backed_off(app: &TestApp, id: &str, code: u32) {
    for (attempt, waited) in (1..).zip(waits_between_sends(app, id)) {
        let least = least_wait_after(code, attempt);
        assert!(
            waited >= least,
            "code {code}: attempt {} came {waited:?} after attempt {attempt}, before the back-off of {least:?}",
            attempt + 1
        );
    }
}

/// The status the fake's table gives `code`.
fn status_of(code: u32) -> Option<u16> {
    Some(spec(code).status.as_u16())
}

/// Waits until message `id` has failed, and checks it carries `code`.
async fn assert_failed_with(app: &TestApp, id: &str, code: u32) -> Value {
    let message = app.wait_for_status(id, "failed").await;
    assert_eq!(message["errorCode"], code, "message {id}: {message}");
    assert!(
        message["errorMessage"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "message {id} says why it failed: {message}"
    );
    message
}

/// Sends a text to `to` (a new contact) and checks that the one refusal
/// with `code` was final: a single attempt, nothing accepted, the message
/// failed with that code.
async fn assert_refused_once_with(app: &TestApp, session: &TestSession, to: &str, code: u32) {
    let id = send_text_to_new_contact(app, session, to).await;

    assert_failed_with(app, &id, code).await;
    assert_eq!(
        answers_to(app, &id),
        [status_of(code)],
        "code {code}: one attempt only"
    );
    assert!(app.accepted_by_meta(&id).is_empty(), "code {code}");
}

#[tokio::test]
async fn every_retryable_code_is_retried_and_the_message_is_then_sent() {
    let app = spawn_app().await;
    let session = app.connected_session().await;

    for (n, code) in RETRYABLE.into_iter().enumerate() {
        let to = recipient(n);
        let fault = match code {
            // Meta limits the pair, so only this recipient is refused.
            131056 => FakeFault::code(code).for_recipient(&to),
            _ => FakeFault::code(code),
        };
        app.graph.fail_next(1, fault);
        let id = send_text_to_new_contact(&app, &session, &to).await;

        let message = app.wait_for_status(&id, "read").await;
        let accepted = app.accepted_by_meta(&id);
        assert_eq!(accepted.len(), 1, "code {code}: one message reached Meta");
        assert_eq!(message["waMessageId"], accepted[0].wamid.as_str());
        assert_eq!(
            answers_to(&app, &id),
            [status_of(code), Some(200)],
            "code {code}: refused once, then accepted on the second attempt"
        );
        assert_backed_off(&app, &id, code);
    }

    assert_requests_match_openapi(&app.graph);
    app.stop().await;
}

#[tokio::test]
async fn no_permanent_code_is_retried_and_the_message_fails_with_it() {
    let app = spawn_app().await;
    let session = app.connected_session().await;

    for (n, code) in PERMANENT.into_iter().enumerate() {
        app.graph.fail_next(1, FakeFault::code(code));
        assert_refused_once_with(&app, &session, &recipient(n), code).await;
    }

    assert_requests_match_openapi(&app.graph);
    app.stop().await;
}

#[tokio::test]
async fn a_temporary_error_that_persists_fails_the_message_after_the_configured_attempts() {
    let app = spawn_app().await;
    let session = app.connected_session().await;
    let to = recipient(0);
    app.graph
        .fail_next(10, FakeFault::code(130429).for_recipient(&to));

    let id = send_text_to_new_contact(&app, &session, &to).await;

    assert_failed_with(&app, &id, 130429).await;
    assert_eq!(answers_to(&app, &id), vec![status_of(130429); MAX_ATTEMPTS]);
    // Doubling waits: the later ones are far longer than a prompt retry.
    assert_backed_off(&app, &id, 130429);
    assert!(app.accepted_by_meta(&id).is_empty());
    assert_requests_match_openapi(&app.graph);
    app.stop().await;
}

#[tokio::test]
async fn a_lost_answer_is_not_resent_and_the_status_webhooks_reconcile_the_message() {
    let app = spawn_app().await;
    let session = app.connected_session().await;
    app.graph.drop_next_answer(1);

    let id = send_text_to_new_contact(&app, &session, &recipient(0)).await;

    // The fake's default schedule is sent → delivered → read.
    let message = app.wait_for_status(&id, "read").await;
    let sent = app.graph.sent_messages();
    assert_eq!(sent.len(), 1, "one message reached Meta: {sent:?}");
    assert_eq!(message["waMessageId"], sent[0].wamid.as_str());
    let sends = sends_of(&app, &id);
    assert_eq!(sends.len(), 1, "the send was not repeated");
    assert!(sends[0].answer_dropped);
    assert_requests_match_openapi(&app.graph);
    app.stop().await;
}

#[tokio::test]
async fn a_lost_answer_without_status_webhooks_stays_unknown_and_is_not_resent() {
    let app = spawn_app().await;
    let number = FakeNumber {
        status_schedule: Some(StatusSchedule::none()),
        ..FakeNumber::default()
    };
    let session = app.connected_session_for(number).await;
    app.graph.drop_next_answer(1);

    let id = send_text_to_new_contact(&app, &session, &recipient(0)).await;

    // `unknown` is recorded once the client has given the send up.
    let message = app.wait_for_status(&id, "unknown").await;
    assert!(message["waMessageId"].is_null(), "{message}");
    assert_eq!(app.graph.sent_messages().len(), 1);
    let sends = sends_of(&app, &id);
    assert_eq!(sends.len(), 1, "the send was not repeated");
    assert!(sends[0].answer_dropped);
    assert_requests_match_openapi(&app.graph);
    app.stop().await;
}

#[tokio::test]
async fn an_invalid_recipient_refused_at_once_fails_with_131026() {
    let app = spawn_app().await;
    let session = app.connected_session().await;
    let to = recipient(0);
    app.graph.invalid_recipients([&to], ErrorTiming::Sync);

    assert_refused_once_with(&app, &session, &to, 131026).await;

    assert!(app.graph.sent_messages().is_empty());
    assert_requests_match_openapi(&app.graph);
    app.stop().await;
}

#[tokio::test]
async fn an_invalid_recipient_reported_by_webhook_fails_with_131026() {
    let app = spawn_app().await;
    let session = app.connected_session().await;
    let to = recipient(0);
    app.graph.invalid_recipients([&to], ErrorTiming::Async);

    let id = send_text_to_new_contact(&app, &session, &to).await;

    let message = assert_failed_with(&app, &id, 131026).await;
    let sent = app.graph.sent_messages();
    assert_eq!(sent.len(), 1, "Meta accepted it, then reported the failure");
    assert_eq!(message["waMessageId"], sent[0].wamid.as_str());
    assert_eq!(answers_to(&app, &id), [Some(200)]);
    assert_requests_match_openapi(&app.graph);
    app.stop().await;
}

#[tokio::test]
async fn an_unregistered_or_policy_blocked_number_fails_without_retry() {
    let app = spawn_app().await;
    let session = app.connected_session().await;
    let number = session.number.phone_number_id.clone();

    assert!(app.graph.update_number(&number, |n| n.registered = false));
    assert_refused_once_with(&app, &session, &recipient(0), 133010).await;

    assert!(app.graph.update_number(&number, |n| {
        n.registered = true;
        n.policy_blocked = true;
    }));
    assert_refused_once_with(&app, &session, &recipient(1), 368).await;

    assert!(app.graph.sent_messages().is_empty());
    assert_requests_match_openapi(&app.graph);
    app.stop().await;
}

/// A send Meta refused for a while is queued again for its wait, not held
/// claimed through it: a Herald that died during the wait would otherwise
/// leave a claim nobody can settle, and the message would end `unknown`
/// though Meta never took it. Here the account's maintenance (131057) asks
/// for a wait long enough to watch.
#[tokio::test]
async fn a_send_waiting_to_be_tried_again_is_queued_not_claimed() {
    let maintenance = Duration::from_secs(3);
    let app = spawn_app_with_settings(FakeGraphConfig::default(), |settings| {
        settings.graph_maintenance_wait = maintenance;
    })
    .await;
    let session = app.connected_session().await;
    app.graph.fail_next(1, FakeFault::code(131057));

    let id = send_text_to_new_contact(&app, &session, &recipient(0)).await;

    // Queued again, saying why, while the fake has seen only the refusal.
    let waiting = eventually("the message queued again", PATIENCE, || async {
        app.message(&id).await.filter(|m| {
            m["status"] == "queued"
                && m["errorMessage"]
                    .as_str()
                    .is_some_and(|reason| reason.contains("131057"))
        })
    })
    .await;
    assert_eq!(
        answers_to(&app, &id),
        [status_of(131057)],
        "queued again after the refusal, before the next attempt: {waiting}"
    );
    app.wait_for_status(&id, "read").await;
    assert_eq!(answers_to(&app, &id), [status_of(131057), Some(200)]);
    let waited = waits_between_sends(&app, &id);
    assert!(waited[0] >= maintenance, "tried again after {waited:?}");
    assert_eq!(app.accepted_by_meta(&id).len(), 1);
    app.stop().await;
}
