//! The webhook emitter's status posts against a receiver that checks
//! signatures itself: signing, handshake, redelivery and schedules.

mod common;

use std::time::Duration;

use common::{quiet, received_statuses, statuses, wait_for_posts, wired, USER, USER_WA_ID};
use herald_fake_graph::{
    ErrorTiming, FakeGraphConfig, Layout, SignatureMode, StatusKind, StatusSchedule, WebhookVersion,
};
use serde_json::{json, Value};

#[tokio::test]
async fn normal_flow_posts_signed_sent_delivered_read() {
    let (graph, receiver) = wired(FakeGraphConfig::default()).await;
    let mut body = common::text_message(USER, "Hi");
    body["biz_opaque_callback_data"] = json!("cb-1");
    let wamid = graph.send(&body).await.wamid();
    wait_for_posts(&receiver, 3).await;

    let posts = receiver.posts();
    assert!(posts
        .iter()
        .all(|p| p.signature_valid && p.content_type.as_deref() == Some("application/json")));
    let kinds: Vec<String> = received_statuses(&receiver)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(kinds, ["sent", "delivered", "read"]);

    let first = &posts[0].json;
    assert_eq!(first["object"], "whatsapp_business_account");
    assert_eq!(first["entry"][0]["id"], graph.number.waba_id.as_str());
    let value = &first["entry"][0]["changes"][0]["value"];
    assert_eq!(first["entry"][0]["changes"][0]["field"], "messages");
    assert_eq!(
        value["metadata"]["phone_number_id"],
        graph.number.phone_number_id.as_str()
    );
    assert_eq!(
        value["metadata"]["display_phone_number"],
        graph.number.display_phone_number.as_str()
    );
    let sent = &value["statuses"][0];
    assert_eq!(sent["id"], wamid.as_str());
    assert_eq!(sent["recipient_id"], USER_WA_ID);
    assert_eq!(sent["biz_opaque_callback_data"], "cb-1");
    assert!(sent["timestamp"]
        .as_str()
        .is_some_and(|t| t.parse::<u64>().is_ok()));
    assert!(sent["pricing"].is_object() && sent["conversation"].is_object());
    assert_eq!(graph.fake.emitted_webhooks().len(), 3);
}

#[tokio::test]
async fn v24_mode_omits_conversation() {
    let mut config = FakeGraphConfig::default();
    config.webhooks.version = WebhookVersion::V24Plus;
    let (graph, receiver) = wired(config).await;
    graph.send_text(USER, "Hi").await;
    wait_for_posts(&receiver, 1).await;
    let sent = &statuses(&receiver.accepted()[0].json)[0];
    assert!(sent.get("conversation").is_none() && sent["pricing"].is_object());
}

#[tokio::test]
async fn bad_and_missing_signatures_can_be_sent_on_purpose() {
    let mut config = quiet();
    config.webhooks.max_attempts = 1;
    let (graph, receiver) = wired(config).await;
    let wamid = graph.send_text(USER, "Hi").await.wamid();

    graph
        .fake
        .configure(|c| c.webhooks.signature = SignatureMode::Bad);
    graph
        .fake
        .emit_statuses(&wamid, &StatusSchedule::steps(&[StatusKind::Sent]))
        .await
        .expect("posted");
    graph
        .fake
        .configure(|c| c.webhooks.signature = SignatureMode::Missing);
    graph
        .fake
        .emit_statuses(&wamid, &StatusSchedule::steps(&[StatusKind::Sent]))
        .await
        .expect("posted");

    let posts = receiver.posts();
    assert_eq!(posts.len(), 2);
    assert!(
        posts[0]
            .signature
            .as_deref()
            .is_some_and(|s| s.starts_with("sha256="))
            && !posts[0].signature_valid
    );
    assert!(posts[1].signature.is_none());
    assert!(posts.iter().all(|p| p.answered == 401));
}

#[tokio::test]
async fn handshake_echoes_the_challenge_only_for_the_right_token() {
    let (graph, _receiver) = wired(quiet()).await;
    assert!(graph.fake.verify_webhook().await.expect("handshake"));
    assert!(!graph
        .fake
        .verify_webhook_with("wrong")
        .await
        .expect("handshake"));
}

#[tokio::test]
async fn a_non_200_answer_is_redelivered_with_growing_delays() {
    let mut config = quiet();
    config.webhooks.retry_base_delay = Duration::from_millis(20);
    let (graph, receiver) = wired(config).await;
    let wamid = graph.send_text(USER, "Hi").await.wamid();
    receiver.fail_next(2);
    graph
        .fake
        .emit_statuses(&wamid, &StatusSchedule::steps(&[StatusKind::Sent]))
        .await
        .expect("posted");

    let answers: Vec<u16> = receiver.posts().iter().map(|p| p.answered).collect();
    assert_eq!(answers, [500, 500, 200]);
    assert!(
        receiver.posts().windows(2).all(|w| w[0].raw == w[1].raw),
        "redeliveries are byte-identical"
    );
    let attempts: Vec<u32> = graph
        .fake
        .webhook_deliveries()
        .iter()
        .map(|d| d.attempt)
        .collect();
    assert_eq!(attempts, [1, 2, 3]);
}

#[tokio::test]
async fn a_receiver_slower_than_the_timeout_is_redelivered() {
    let mut config = quiet();
    config.webhooks.timeout = Duration::from_millis(100);
    let (graph, receiver) = wired(config).await;
    let wamid = graph.send_text(USER, "Hi").await.wamid();
    receiver.slow_next(1);
    graph
        .fake
        .emit_statuses(&wamid, &StatusSchedule::steps(&[StatusKind::Sent]))
        .await
        .expect("posted");

    let outcomes: Vec<Option<u16>> = graph
        .fake
        .webhook_deliveries()
        .iter()
        .map(|d| d.status)
        .collect();
    assert_eq!(
        outcomes,
        [None, Some(200)],
        "the timed-out attempt has no status"
    );
    let attempts: Vec<u32> = graph
        .fake
        .webhook_deliveries()
        .iter()
        .map(|d| d.attempt)
        .collect();
    assert_eq!(attempts, [1, 2]);
}

#[tokio::test]
async fn the_sent_status_can_arrive_before_the_send_answer() {
    let config = FakeGraphConfig {
        status_schedule: StatusSchedule::normal().first_before_answer(),
        ..FakeGraphConfig::default()
    };
    let (graph, receiver) = wired(config).await;
    let wamid = graph.send_text(USER, "Hi").await.wamid();
    // Checked at once, without polling: it must already be there.
    let first = received_statuses(&receiver);
    assert_eq!(first.first(), Some(&("sent".to_owned(), wamid)));
    wait_for_posts(&receiver, 3).await;
}

#[tokio::test]
async fn adversarial_orders_are_posted_as_scheduled() {
    let (graph, receiver) = wired(quiet()).await;
    let wamid = graph.send_text(USER, "Hi").await.wamid();
    let schedules = [
        (
            StatusSchedule::delivered_before_sent(),
            vec!["delivered", "sent", "read"],
        ),
        (
            StatusSchedule::read_without_delivered(),
            vec!["sent", "read"],
        ),
        (
            StatusSchedule::read_before_delivered(),
            vec!["sent", "read", "delivered"],
        ),
        (
            StatusSchedule::failed_after_delivered(131026),
            vec!["sent", "delivered", "failed"],
        ),
    ];
    for (schedule, expected) in schedules {
        let before = receiver.accepted().len();
        graph
            .fake
            .emit_statuses(&wamid, &schedule)
            .await
            .expect("posted");
        let kinds: Vec<String> = received_statuses(&receiver)
            .into_iter()
            .skip(before)
            .map(|(s, _)| s)
            .collect();
        assert_eq!(kinds, expected);
    }
    let failed = receiver
        .accepted()
        .last()
        .map(|p| statuses(&p.json)[0].clone())
        .unwrap_or(Value::Null);
    assert_eq!(failed["errors"][0]["code"], 131026);
}

#[tokio::test]
async fn duplicates_repeat_the_exact_bytes_after_a_200() {
    let (graph, receiver) = wired(quiet()).await;
    let wamid = graph.send_text(USER, "Hi").await.wamid();
    graph
        .fake
        .emit_statuses(
            &wamid,
            &StatusSchedule::steps(&[StatusKind::Sent]).duplicated(),
        )
        .await
        .expect("posted");
    let posts = receiver.accepted();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].raw, posts[1].raw);
}

#[tokio::test]
async fn batched_posts_spread_statuses_over_entries_and_changes() {
    let (graph, receiver) = wired(quiet()).await;
    let wamid = graph.send_text(USER, "Hi").await.wamid();
    let kinds = [StatusKind::Sent, StatusKind::Delivered, StatusKind::Read];
    graph
        .fake
        .emit_statuses(
            &wamid,
            &StatusSchedule::batched(&kinds, Layout::EntryPerStatus),
        )
        .await
        .expect("posted");
    graph
        .fake
        .emit_statuses(
            &wamid,
            &StatusSchedule::batched(&kinds, Layout::ChangePerStatus),
        )
        .await
        .expect("posted");
    let posts = receiver.accepted();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].json["entry"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        posts[1].json["entry"][0]["changes"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    assert_eq!(statuses(&posts[0].json).len(), 3);
}

#[tokio::test]
async fn concurrent_posts_all_arrive() {
    let (graph, receiver) = wired(quiet()).await;
    let wamid = graph.send_text(USER, "Hi").await.wamid();
    graph
        .fake
        .emit_statuses(&wamid, &StatusSchedule::normal().concurrently())
        .await
        .expect("posted");
    let mut kinds: Vec<String> = received_statuses(&receiver)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["delivered", "read", "sent"]);
}

#[tokio::test]
async fn async_invalid_recipient_answers_200_then_posts_failed_131026() {
    let (graph, receiver) = wired(FakeGraphConfig::default()).await;
    graph.fake.invalid_recipients([USER], ErrorTiming::Async);
    let answer = graph.send_text(USER, "Hi").await;
    assert_eq!(answer.status, 200);
    wait_for_posts(&receiver, 1).await;
    let failed = &statuses(&receiver.accepted()[0].json)[0];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["errors"][0]["code"], 131026);
}

#[tokio::test]
async fn async_window_failure_posts_failed_131047() {
    let mut config = FakeGraphConfig::default();
    config.window.timing = ErrorTiming::Async;
    let (graph, receiver) = wired(config).await;
    assert_eq!(graph.send_text("+447700900123", "Hi").await.status, 200);
    wait_for_posts(&receiver, 1).await;
    assert_eq!(
        statuses(&receiver.accepted()[0].json)[0]["errors"][0]["code"],
        131047
    );
}
