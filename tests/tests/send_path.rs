//! The send path under faults: what is checked before a message is claimed,
//! and what a node that cannot send leaves behind.

use herald_api::settings::Redacted;
use herald_api::Herald;
use herald_fake_graph::templates::FakeTemplate;
use herald_fake_graph::FakeGraphConfig;
use herald_tests::app::{error_of, settings_on_nats};
use herald_tests::spawn_app_with_settings;
use herald_tests::whatsapp::CONTACT;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

fn key(digit: &str) -> Redacted {
    Redacted(digit.repeat(64))
}

/// Registers the template [`order_update`] sends on the fake.
fn add_order_update(app: &herald_tests::TestApp) {
    app.graph.add_template(FakeTemplate::new(
        "order_update",
        "en_US",
        "Your order has shipped.",
    ));
}

fn order_update(to: &str) -> serde_json::Value {
    json!({
        "messaging_product": "whatsapp",
        "to": to,
        "type": "template",
        "template": {"name": "order_update", "language": {"code": "en_US"}}
    })
}

/// A node whose key cannot open the session's token (a botched key
/// rotation) must leave the message queued, not claimed: a claimed message
/// found again is taken for one Herald stopped sending, and marked unknown,
/// though it never left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_a_node_cannot_send_stays_queued_for_one_that_can() {
    let app = spawn_app_with_settings(FakeGraphConfig::default(), |settings| {
        settings.secret_key = Some(key("a"));
        settings.run_process_managers = false;
    })
    .await;
    add_order_update(&app);
    let session = app.connected_session().await;
    let mut wrong_key = settings_on_nats(&app.nats.url(), &tempfile::tempdir().unwrap());
    wrong_key.secret_key = Some(key("b"));
    wrong_key.graph_api_url = app.graph.base_url().to_owned();
    wrong_key.work_ack_wait = Duration::from_secs(1);
    let misconfigured = Herald::start(&wrong_key).await.expect("a node starts");

    let id = app.send_message_ok(&session, &order_update(CONTACT)).await;
    // Long enough for the node to fail, and its retries to come back, twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    misconfigured.stop().await;
    assert_eq!(app.wait_for_status(&id, "queued").await["status"], "queued");

    let mut right_key = settings_on_nats(&app.nats.url(), &tempfile::tempdir().unwrap());
    right_key.secret_key = Some(key("a"));
    right_key.graph_api_url = app.graph.base_url().to_owned();
    let repaired = Herald::start(&right_key).await.expect("a node starts");
    app.wait_for_status(&id, "read").await;
    assert_eq!(app.accepted_by_meta(&id).len(), 1);
    repaired.stop().await;
    app.stop().await;
}

/// Forty messages to one recipient wait on Meta's pair limit (five at
/// once, then one every six seconds). They must not take every worker
/// while they wait: another number's message goes out at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_recipients_backlog_does_not_hold_up_another_number() {
    use herald_fake_graph::FakeNumber;
    let app = herald_tests::spawn_app().await;
    add_order_update(&app);
    let busy = app.connected_session().await;
    let other = app
        .connected_session_for(FakeNumber::new(
            "206540352242922",
            "202290129340398",
            "15550783882",
            "other-access-token",
            "other-app-secret",
        ))
        .await;
    for _ in 0..40 {
        app.send_message_ok(&busy, &order_update(CONTACT)).await;
    }
    // Until the pair allows the sixth, every worker could be waiting on it.
    let id = app.send_message_ok(&other, &order_update(CONTACT)).await;
    let started = std::time::Instant::now();
    herald_tests::eventually(
        "the other number's message reaches Meta",
        herald_tests::whatsapp::PATIENCE,
        || async { (!app.accepted_by_meta(&id).is_empty()).then_some(()) },
    )
    .await;
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(3),
        "the other number's message waited {waited:?}"
    );
    app.stop().await;
}

/// Meta refuses a send for the number's throughput (130429): the whole
/// number slows down, on every node, not only the refused message; and the
/// refused message goes again once the wait is over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throughput_refusal_slows_the_whole_number() {
    use herald_fake_graph::FakeFault;
    let app = spawn_app_with_settings(FakeGraphConfig::default(), |settings| {
        settings.graph_backoff = Duration::from_millis(1_000);
    })
    .await;
    add_order_update(&app);
    let session = app.connected_session().await;
    app.graph.fail_next(1, FakeFault::code(130429));
    let first = app.send_message_ok(&session, &order_update(CONTACT)).await;
    let refused =
        herald_tests::eventually("the refusal", herald_tests::whatsapp::PATIENCE, || async {
            app.graph
                .requests()
                .into_iter()
                .find(|r| r.path.ends_with("/messages") && r.response_status == Some(400))
                .map(|r| r.received_at)
        })
        .await;

    let second = app
        .send_message_ok(&session, &order_update("+16505550199"))
        .await;

    // A send is counted as accepted once its answer is recorded, which the
    // fake does after the handler has taken the message: wait for that.
    let accepted_after = |id: &str| {
        app.graph
            .requests()
            .into_iter()
            .filter(|r| r.response_status == Some(200))
            .find(|r| {
                r.json
                    .as_ref()
                    .is_some_and(|j| j["biz_opaque_callback_data"] == id)
            })
            .map(|r| r.received_at.saturating_duration_since(refused))
    };
    let (first_after, second_after) =
        herald_tests::eventually("both sent", herald_tests::whatsapp::PATIENCE, || async {
            Some((accepted_after(&first)?, accepted_after(&second)?))
        })
        .await;
    // Half the first back-off at least (the jitter draws from half to all).
    assert!(
        second_after >= Duration::from_millis(450),
        "another recipient went {second_after:?} after the refusal"
    );
    assert!(
        first_after >= Duration::from_millis(450),
        "the refused message went again {first_after:?} after the refusal"
    );
    app.stop().await;
}

/// A send cut off by a crash (claimed, never settled) is never sent again:
/// its status webhook settles it if one comes within the answer window;
/// otherwise it is counted as unknown once the window has passed, not
/// before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_cut_off_by_a_crash_waits_for_its_webhook_then_counts_as_unknown() {
    use herald_application::commands::CommandExecutor;
    use herald_domain::message::{MessageCommand, MessageServices};
    let window = Duration::from_secs(2);
    let app = spawn_app_with_settings(FakeGraphConfig::default(), |settings| {
        settings.secret_key = Some(key("c"));
        settings.run_process_managers = false;
    })
    .await;
    add_order_update(&app);
    let session = app.connected_session().await;
    let silent = app.send_message_ok(&session, &order_update(CONTACT)).await;
    let answered = app
        .send_message_ok(&session, &order_update("+16505550199"))
        .await;
    // Claimed by a node that died before its answer came back.
    let messages = CommandExecutor::new(
        herald_infrastructure::jetstream::JetStreamEventStore::<herald_domain::message::Message>::new(
            app.herald.event_log().clone(),
        ),
        MessageServices::new(std::sync::Arc::new(herald_application::clock::SystemClock)),
    );
    let tenant = herald_domain::TenantId::parse(&app.tenant).unwrap();
    for id in [&silent, &answered] {
        let metadata = herald_application::CommandMetadata::new(tenant.clone(), "a node that died");
        messages
            .execute(id, MessageCommand::BeginSend, &metadata)
            .await
            .unwrap();
    }
    let claimed = std::time::Instant::now();
    // Meta had it: its status webhook comes, with Herald's id.
    let status = json!({"object": "whatsapp_business_account", "entry": [{"id": session.number.waba_id,
        "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": session.number.display_phone_number,
                         "phone_number_id": session.number.phone_number_id},
            "statuses": [{"id": "wamid.cutoff", "status": "sent", "timestamp": "1750000000",
                          "recipient_id": "16505550199", "biz_opaque_callback_data": answered}]}}]}]});

    let mut node = settings_on_nats(&app.nats.url(), &tempfile::tempdir().unwrap());
    node.secret_key = Some(key("c"));
    node.graph_api_url = app.graph.base_url().to_owned();
    node.send_answer_window = window;
    let node = Herald::start(&node).await.expect("a node starts");
    assert!(app
        .graph
        .post_webhook(&session.number.phone_number_id, &status)
        .await
        .unwrap());

    let settled = app.wait_for_status(&answered, "sent").await;
    assert_eq!(settled["waMessageId"], "wamid.cutoff");
    app.wait_for_status(&silent, "unknown").await;
    assert!(
        claimed.elapsed() >= window,
        "counted unknown after {:?}",
        claimed.elapsed()
    );
    assert!(
        app.graph.sent_messages().is_empty(),
        "nothing was sent again"
    );

    // Only a message whose outcome is unknown is sent again, and only when
    // the business asks; then it goes once.
    let resend = |id: &str| {
        app.request(Method::POST, &format!("/v1/messages/{id}/resend"))
            .send()
    };
    let refused = resend(&answered).await.expect("the request is sent");
    assert_eq!(
        error_of(refused).await,
        (409, "not_allowed".to_owned(), None)
    );
    let unknown_id = resend("not-a-message").await.expect("the request is sent");
    assert_eq!(unknown_id.status(), 404);
    let other_tenant = app
        .request_as(
            "another-tenant",
            Method::POST,
            &format!("/v1/messages/{silent}/resend"),
        )
        .await
        .send()
        .await
        .expect("the request is sent");
    assert_eq!(other_tenant.status(), 404);
    let accepted = resend(&silent).await.expect("the request is sent");
    assert_eq!(accepted.status(), 202);
    // Sent, then delivered and read: the fake's statuses follow at once.
    app.wait_for_status_in(&silent, &["sent", "delivered", "read"])
        .await;
    let sends: Vec<_> = app.graph.sent_messages();
    assert_eq!(sends.len(), 1, "sent again once: {sends:?}");
    assert_eq!(sends[0].wa_id, CONTACT.trim_start_matches('+'));
    let again = resend(&silent).await.expect("the request is sent");
    assert_eq!(again.status(), 409, "a message Meta has is not sent again");
    node.stop().await;
    app.stop().await;
}
