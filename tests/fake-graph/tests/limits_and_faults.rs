//! Rate limits, the fault script and dropped answers over real HTTP.

mod common;

use std::time::Duration;

use common::{start, start_with, USER};
use herald_fake_graph::{errors, FakeFault, FakeGraphConfig, FaultTarget, RateLimitStatus};
use serde_json::json;

#[tokio::test]
async fn throughput_over_the_bucket_is_130429_with_status_400_and_no_retry_after() {
    let config = FakeGraphConfig {
        throughput_per_second: 3,
        ..FakeGraphConfig::default()
    };
    let graph = start_with(config).await;
    let url = graph.url(&format!("{}/messages", graph.number.phone_number_id));
    let mut limited = None;
    for attempt in 0..6 {
        let request = graph
            .client
            .post(&url)
            .bearer_auth(&graph.number.access_token);
        let response = request
            .json(&common::text_message(USER, "Hi"))
            .send()
            .await
            .expect("answer");
        let retry_after = response.headers().get("retry-after").is_some();
        let answer = common::answer(response).await.expect("body");
        if attempt < 3 {
            assert_eq!(answer.status, 200, "the first three fit the bucket");
        } else if answer.error_code() == Some(130429) {
            limited = Some((answer.status, retry_after));
            break;
        }
    }
    assert_eq!(
        limited,
        Some((400, false)),
        "130429 with 400 and no Retry-After"
    );
}

#[tokio::test]
async fn throughput_status_can_be_429() {
    let config = FakeGraphConfig {
        throughput_per_second: 1,
        throughput_status: RateLimitStatus::TooManyRequests,
        ..FakeGraphConfig::default()
    };
    let graph = start_with(config).await;
    graph.send_text(USER, "Hi").await;
    let answer = graph.send_text(USER, "Hi").await;
    assert_eq!((answer.status, answer.error_code()), (429, Some(130429)));
}

#[tokio::test]
async fn pair_limit_hits_one_recipient_only_and_recovers_with_time() {
    let config = FakeGraphConfig {
        pair_burst: 2,
        pair_interval: Duration::from_secs(6),
        ..FakeGraphConfig::default()
    };
    let graph = start_with(config).await;
    let other = "+16505550000";
    graph.fake.open_window(&graph.number.phone_number_id, other);
    assert_eq!(graph.send_text(USER, "1").await.status, 200);
    assert_eq!(graph.send_text(USER, "2").await.status, 200);
    assert_eq!(graph.send_text(USER, "3").await.error_code(), Some(131056));
    assert_eq!(
        graph.send_text(other, "1").await.status,
        200,
        "other recipients are unaffected"
    );

    graph.fake.advance_clock(Duration::from_secs(6));
    assert_eq!(graph.send_text(USER, "4").await.status, 200);
    assert_eq!(graph.fake.sent_messages().len(), 4);
}

#[tokio::test]
async fn template_management_is_capped_per_hour_with_80007() {
    let config = FakeGraphConfig {
        template_calls_per_hour: 2,
        ..FakeGraphConfig::default()
    };
    let graph = start_with(config).await;
    let path = format!("{}/message_templates", graph.number.waba_id);
    assert_eq!(graph.get(&path).await.status, 200);
    assert_eq!(graph.get(&path).await.status, 200);
    assert_eq!(graph.get(&path).await.error_code(), Some(80007));
    graph.fake.advance_clock(Duration::from_secs(3600));
    assert_eq!(graph.get(&path).await.status, 200);
}

#[tokio::test]
async fn every_scripted_code_answers_its_table_status_title_and_details() {
    let graph = start().await;
    let codes = [
        0, 190, 4, 10, 80007, 130429, 131056, 131048, 131026, 131047, 132000, 132001, 132012,
        132015, 132016, 133010, 368, 131000, 1, 2, 131016, 133004, 131057, 100, 131008, 131009,
    ];
    for code in codes {
        graph.fake.fail_next(1, FakeFault::code(code));
        let answer = graph.send_text(USER, "Hi").await;
        let spec = errors::spec(code);
        assert_eq!(answer.status, spec.status.as_u16(), "status of {code}");
        assert_eq!(answer.error_code(), Some(u64::from(code)));
        assert_eq!(
            answer.body["error"]["message"],
            format!("(#{code}) {}", spec.title)
        );
        assert_eq!(answer.body["error"]["error_data"]["details"], spec.details);
    }
    assert!(graph.fake.sent_messages().is_empty());
    assert_eq!(
        graph.send_text(USER, "Hi").await.status,
        200,
        "the script is used up"
    );
}

#[tokio::test]
async fn a_fault_fails_exactly_the_next_n_calls() {
    let graph = start().await;
    graph.fake.fail_next(2, FakeFault::code(131000));
    assert_eq!(graph.send_text(USER, "1").await.status, 500);
    assert_eq!(graph.send_text(USER, "2").await.status, 500);
    assert_eq!(graph.send_text(USER, "3").await.status, 200);
}

#[tokio::test]
async fn a_fault_scoped_to_a_recipient_spares_the_others() {
    let graph = start().await;
    let other = "+16505550000";
    graph.fake.open_window(&graph.number.phone_number_id, other);
    graph
        .fake
        .fail_next(1, FakeFault::code(131056).for_recipient(USER));
    assert_eq!(graph.send_text(other, "Hi").await.status, 200);
    assert_eq!(graph.send_text(USER, "Hi").await.error_code(), Some(131056));
}

#[tokio::test]
async fn code_4_can_be_scripted_on_template_management() {
    let graph = start().await;
    graph
        .fake
        .fail_next(1, FakeFault::code(4).on(FaultTarget::MessageTemplates));
    let path = format!("{}/message_templates", graph.number.waba_id);
    assert_eq!(graph.get(&path).await.error_code(), Some(4));
    assert_eq!(
        graph.send_text(USER, "Hi").await.status,
        200,
        "sends are not affected"
    );
}

#[tokio::test]
async fn a_dropped_answer_is_a_connection_error_but_the_message_was_accepted() {
    let graph = start().await;
    graph.fake.drop_next_answer(1);
    let result = graph
        .send_with_token(
            &common::text_message(USER, "Hi"),
            &graph.number.access_token,
        )
        .await;
    assert!(result.is_err(), "the client sees no answer: {result:?}");
    let sent = graph.fake.sent_messages();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].wamid.starts_with("wamid."));
    assert!(graph.fake.requests()[0].answer_dropped);
    assert_eq!(
        graph.send_text(USER, "again").await.status,
        200,
        "only the next answer is dropped"
    );
}

#[tokio::test]
async fn templates_can_be_created_listed_and_deleted() {
    let graph = start().await;
    let url = graph.url(&format!("{}/message_templates", graph.number.waba_id));
    let create = json!({"name":"order_confirmation","language":"en_US","category":"UTILITY",
        "components":[{"type":"BODY","text":"Hi {{1}}!","example":{"body_text":[["Pablo"]]}}]});
    let response = graph
        .client
        .post(&url)
        .bearer_auth(&graph.number.access_token)
        .json(&create)
        .send()
        .await;
    let created = common::answer(response.expect("answer"))
        .await
        .expect("body");
    assert_eq!(created.status, 200);
    assert_eq!(created.body["status"], "PENDING");
    assert_eq!(created.body["category"], "UTILITY");
    assert!(created.body["id"].is_string());

    let duplicate = graph
        .client
        .post(&url)
        .bearer_auth(&graph.number.access_token)
        .json(&create)
        .send()
        .await;
    assert_eq!(
        common::answer(duplicate.expect("answer"))
            .await
            .expect("body")
            .error_code(),
        Some(100)
    );

    let listed = graph
        .get(&format!(
            "{}/message_templates?name=order_confirmation",
            graph.number.waba_id
        ))
        .await;
    assert_eq!(listed.body["data"][0]["status"], "PENDING");

    let delete = graph
        .client
        .delete(format!("{url}?name=order_confirmation"))
        .bearer_auth(&graph.number.access_token);
    assert_eq!(
        common::answer(delete.send().await.expect("answer"))
            .await
            .expect("body")
            .body,
        json!({"success": true})
    );
}
