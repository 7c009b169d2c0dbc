//! Inbound messages and template status updates posted by the emitter, and
//! statuses that follow a dropped send answer.

mod common;

use common::{quiet, received_statuses, wait_for_posts, wired, USER, USER_WA_ID};
use herald_fake_graph::{FakeGraphConfig, FakeTemplate, InboundMessage, MediaKind, TemplateStatus};
use serde_json::{json, Value};

#[tokio::test]
async fn inbound_messages_have_meta_shapes_and_open_the_window() {
    let (graph, receiver) = wired(quiet()).await;
    let id = graph.number.phone_number_id.clone();
    let stranger = "447700900123";
    assert_eq!(
        graph
            .send_text(&format!("+{stranger}"), "Hi")
            .await
            .error_code(),
        Some(131047)
    );

    let wamid = graph
        .fake
        .emit_inbound(
            &id,
            InboundMessage::text(stranger, "Hello").replying_to("wamid.PREV"),
        )
        .await;
    let wamid = wamid.expect("posted");
    assert_eq!(
        graph.send_text(&format!("+{stranger}"), "Hi").await.status,
        200,
        "the window is open now"
    );

    let value = &receiver.accepted()[0].json["entry"][0]["changes"][0]["value"];
    assert_eq!(value["contacts"][0]["wa_id"], stranger);
    assert_eq!(value["messages"][0]["id"], wamid.as_str());
    assert_eq!(value["messages"][0]["text"]["body"], "Hello");
    assert_eq!(value["messages"][0]["context"]["id"], "wamid.PREV");
}

#[tokio::test]
async fn every_inbound_variant_is_posted() {
    let (graph, receiver) = wired(quiet()).await;
    let id = graph.number.phone_number_id.clone();
    let media_id = graph.fake.add_media(&id, "image/jpeg", &b"jpeg"[..]);
    let messages = [
        InboundMessage::button_reply(USER_WA_ID, "cancel-button", "Cancel"),
        InboundMessage::list_reply(USER_WA_ID, "priority_express", "Priority Mail Express"),
        InboundMessage::template_button(USER_WA_ID, "Unsubscribe"),
        InboundMessage::media(USER_WA_ID, MediaKind::Image, &media_id),
        InboundMessage::location(USER_WA_ID, 37.44, -122.16),
        InboundMessage::contacts(
            USER_WA_ID,
            json!([{"name":{"formatted_name":"Lucía Gómez"}}]),
        ),
        InboundMessage::reaction(USER_WA_ID, "wamid.X", "👍"),
        InboundMessage::system_changed_number(USER_WA_ID, "12195555358"),
        InboundMessage::unsupported(USER_WA_ID),
    ];
    for message in messages {
        graph.fake.emit_inbound(&id, message).await.expect("posted");
    }
    let values: Vec<Value> = receiver
        .accepted()
        .iter()
        .map(|p| p.json["entry"][0]["changes"][0]["value"].clone())
        .collect();
    let types: Vec<&str> = values
        .iter()
        .map(|v| v["messages"][0]["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        types,
        [
            "interactive",
            "interactive",
            "button",
            "image",
            "location",
            "contacts",
            "reaction",
            "system",
            "unsupported"
        ]
    );
    assert_eq!(values[3]["messages"][0]["image"]["mime_type"], "image/jpeg");
    assert_eq!(values[3]["messages"][0]["image"]["id"], media_id.as_str());
    assert!(
        values[7].get("contacts").is_none(),
        "system messages have no contacts block"
    );
    assert_eq!(values[8]["messages"][0]["errors"][0]["code"], 131051);
    // The media id is served by the fake's media endpoint.
    assert_eq!(graph.get(&media_id).await.status, 200);
}

#[tokio::test]
async fn template_status_flips_post_message_template_status_update() {
    let (graph, receiver) = wired(quiet()).await;
    graph.fake.add_template(
        FakeTemplate::new("promo", "en_US", "Hi").with_status(TemplateStatus::Pending),
    );
    graph
        .fake
        .set_template_status("promo", "en_US", TemplateStatus::Approved)
        .await
        .expect("posted");
    let body = &receiver.accepted()[0].json;
    assert_eq!(body["entry"][0]["id"], graph.number.waba_id.as_str());
    assert!(body["entry"][0]["time"].is_u64());
    let change = &body["entry"][0]["changes"][0];
    assert_eq!(change["field"], "message_template_status_update");
    assert_eq!(change["value"]["event"], "APPROVED");
    assert_eq!(change["value"]["message_template_name"], "promo");
    assert!(change["value"]["message_template_id"].is_u64());
    let template = graph
        .fake
        .template(&graph.number.waba_id, "promo", "en_US")
        .expect("stored");
    assert_eq!(template.status, TemplateStatus::Approved);
}

#[tokio::test]
async fn statuses_follow_a_dropped_answer() {
    let (graph, receiver) = wired(FakeGraphConfig::default()).await;
    graph.fake.drop_next_answer(1);
    let dropped = graph
        .send_with_token(
            &common::text_message(USER, "Hi"),
            &graph.number.access_token,
        )
        .await;
    assert!(dropped.is_err());
    wait_for_posts(&receiver, 3).await;
    let wamid = graph.fake.sent_messages()[0].wamid.clone();
    assert!(received_statuses(&receiver)
        .iter()
        .all(|(_, id)| *id == wamid));
}
