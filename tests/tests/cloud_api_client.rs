//! Herald's Cloud API client on its own against the fake Graph API, for
//! what no Herald endpoint calls yet: marking a received message as read
//! (the inbox will): retried past temporary errors and lost answers, never
//! past permanent ones, and always in Meta's schema.

use herald_application::ports::whatsapp::{AccessToken, CloudApiAccess, WhatsAppGateway};
use herald_fake_graph::{FakeFault, FakeGraph, FakeGraphConfig, FakeNumber};
use herald_infrastructure::cloud_api::{CloudApiClient, CloudApiConfig};
use herald_tests::app::GRAPH_BACKOFF;
use herald_tests::whatsapp::assert_requests_match_openapi;
use serde_json::json;

const INBOUND_WAMID: &str = "wamid.HBgLMTY1MDUwNzY1MjAVAgASGBQzQTdCNTg5RjY1MEJCMjk4RTM2QQA=";

async fn graph_with_number() -> (FakeGraph, CloudApiAccess) {
    let graph = FakeGraph::start(FakeGraphConfig::default())
        .await
        .expect("the fake Graph API starts");
    let number = FakeNumber::default();
    graph.add_number(number.clone());
    let access = CloudApiAccess {
        phone_number_id: number.phone_number_id,
        access_token: AccessToken::new(number.access_token),
    };
    (graph, access)
}

fn client_of(graph: &FakeGraph) -> CloudApiClient {
    CloudApiClient::new(&CloudApiConfig {
        base_url: graph.base_url().to_owned(),
        base_backoff: GRAPH_BACKOFF,
        ..CloudApiConfig::default()
    })
    .expect("a valid client configuration")
}

/// The bodies of the mark-as-read requests the fake received.
fn read_marks(graph: &FakeGraph) -> Vec<serde_json::Value> {
    graph
        .requests()
        .into_iter()
        .filter_map(|request| request.json)
        .filter(|body| body["status"] == "read")
        .collect()
}

#[tokio::test]
async fn marking_read_is_retried_past_a_temporary_error_and_matches_metas_schema() {
    let (graph, access) = graph_with_number().await;
    graph.fail_next(1, FakeFault::code(131000));

    client_of(&graph)
        .mark_read(&access, INBOUND_WAMID)
        .await
        .expect("marked read on the second attempt");

    let marks = read_marks(&graph);
    assert_eq!(marks.len(), 2, "{marks:?}");
    assert_eq!(
        marks[1],
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": INBOUND_WAMID})
    );
    assert!(
        graph.sent_messages().is_empty(),
        "a read mark sends nothing"
    );
    assert_requests_match_openapi(&graph);
}

#[tokio::test]
async fn a_read_mark_whose_answer_was_lost_is_sent_again() {
    let (graph, access) = graph_with_number().await;
    graph.drop_next_answer(1);

    // Unlike a send, marking twice is harmless: the client tries again.
    client_of(&graph)
        .mark_read(&access, INBOUND_WAMID)
        .await
        .expect("marked read on the second attempt");

    let answered: Vec<_> = graph.requests().iter().map(|r| r.answer_dropped).collect();
    assert_eq!(answered, [true, false]);
    assert_eq!(read_marks(&graph).len(), 2);
    assert_requests_match_openapi(&graph);
}

#[tokio::test]
async fn a_permanent_error_on_a_read_mark_is_not_retried() {
    let (graph, access) = graph_with_number().await;
    graph.fail_next(1, FakeFault::code(100));

    let refused = client_of(&graph).mark_read(&access, INBOUND_WAMID).await;

    let code = refused
        .as_ref()
        .err()
        .and_then(|f| f.graph_error())
        .map(|e| e.code);
    assert_eq!(code, Some(100), "{refused:?}");
    assert_eq!(read_marks(&graph).len(), 1);
}
