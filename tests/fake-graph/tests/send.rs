//! The send path over real HTTP: auth, success, validation, templates,
//! window, invalid recipients and number flags.

mod common;

use common::{start, start_with, text_message, USER, USER_WA_ID};
use herald_fake_graph::{
    ErrorTiming, FakeGraphConfig, FakeTemplate, MissingPlus, TemplateButton, TemplateHeader,
    TemplateStatus,
};
use serde_json::{json, Value};

#[tokio::test]
async fn missing_or_unknown_token_is_401_code_190_without_subcode() {
    let graph = start().await;
    let answer = graph
        .send_with_token(&text_message(USER, "Hi"), "wrong")
        .await
        .expect("answer");
    assert_eq!(answer.status, 401);
    assert_eq!(answer.error_code(), Some(190));
    assert_eq!(answer.body["error"]["type"], "OAuthException");
    assert!(answer.body["error"]["fbtrace_id"].is_string());
    assert!(answer.body["error"].get("error_subcode").is_none());

    let url = graph.url(&format!("{}/messages", graph.number.phone_number_id));
    let response = graph
        .client
        .post(url)
        .json(&text_message(USER, "Hi"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test]
async fn auth_failure_code_can_be_switched_to_0() {
    let config = FakeGraphConfig {
        auth_failure_code: 0,
        ..FakeGraphConfig::default()
    };
    let graph = start_with(config).await;
    let answer = graph
        .send_with_token(&text_message(USER, "Hi"), "wrong")
        .await
        .expect("answer");
    assert_eq!((answer.status, answer.error_code()), (401, Some(0)));
}

#[tokio::test]
async fn unknown_phone_number_id_is_400_code_100() {
    let graph = start().await;
    let url = graph.url("999999/messages");
    let response = graph
        .client
        .post(url)
        .bearer_auth(&graph.number.access_token)
        .json(&text_message(USER, "Hi"))
        .send();
    let answer = common::answer(response.await.expect("answer"))
        .await
        .expect("body");
    assert_eq!((answer.status, answer.error_code()), (400, Some(100)));
}

#[tokio::test]
async fn a_valid_text_send_is_accepted_with_contacts_and_a_wamid() {
    let graph = start().await;
    let mut body = text_message("+1 (650) 555-1234", "Hello");
    body["biz_opaque_callback_data"] = json!("campaign-7");
    let answer = graph.send(&body).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["messaging_product"], "whatsapp");
    assert_eq!(
        answer.body["contacts"][0],
        json!({"input": "+1 (650) 555-1234", "wa_id": USER_WA_ID})
    );
    let wamid = answer.wamid();
    assert!(wamid.starts_with("wamid."));

    let sent = graph.fake.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].wamid, wamid);
    assert_eq!(
        sent[0].biz_opaque_callback_data.as_deref(),
        Some("campaign-7")
    );
    assert_ne!(graph.send_text(USER, "again").await.wamid(), wamid);
}

#[tokio::test]
async fn every_request_is_recorded_with_its_body_and_answer() {
    let graph = start().await;
    graph
        .send_with_token(&text_message(USER, "Hi"), "wrong")
        .await
        .expect("answer");
    let requests = graph.fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(
        requests[0].path,
        format!("/v23.0/{}/messages", graph.number.phone_number_id)
    );
    assert_eq!(
        requests[0].headers.get("authorization").map(String::as_str),
        Some("Bearer wrong")
    );
    assert_eq!(
        requests[0].json.as_ref().map(|j| j["text"]["body"].clone()),
        Some(json!("Hi"))
    );
    assert_eq!(requests[0].response_status, Some(401));
}

#[tokio::test]
async fn missing_plus_gets_the_country_code_or_is_rejected() {
    let graph = start().await;
    graph
        .fake
        .open_window(&graph.number.phone_number_id, "116505551234");
    let answer = graph.send_text("16505551234", "Hi").await;
    assert_eq!(answer.body["contacts"][0]["wa_id"], "116505551234");

    graph
        .fake
        .configure(|c| c.missing_plus = MissingPlus::Reject);
    assert_eq!(
        graph.send_text("16505551234", "Hi").await.error_code(),
        Some(100)
    );
}

#[tokio::test]
async fn validation_errors_carry_meta_codes() {
    let graph = start().await;
    let cases: Vec<(Value, u64)> = vec![
        (text_message(USER, &"x".repeat(4097)), 100),
        (
            json!({"messaging_product":"whatsapp","to":USER,"type":"text","text":{"body":"x"},"extra":1}),
            100,
        ),
        (
            json!({"messaging_product":"whatsapp","to":USER,"type":"text"}),
            131008,
        ),
        (
            json!({"messaging_product":"sms","to":USER,"type":"text","text":{"body":"x"}}),
            100,
        ),
        (
            json!({"messaging_product":"whatsapp","to":USER,"type":"image","image":{"id":"1","link":"https://x/y"}}),
            131009,
        ),
        (
            json!({"messaging_product":"whatsapp","to":USER,"type":"image","image":{"id":"1","caption":"c".repeat(1025)}}),
            100,
        ),
        (buttons(&["Yes", "No", "Maybe", "Later"]), 131009),
        (buttons(&["Same", "Same"]), 131009),
        (buttons(&["A title that is too long"]), 131009),
    ];
    for (body, code) in cases {
        let answer = graph.send(&body).await;
        assert_eq!(
            (answer.status, answer.error_code()),
            (400, Some(code)),
            "for {body}"
        );
        assert!(answer.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with(&format!("(#{code})"))));
        assert_eq!(
            answer.body["error"]["error_data"]["messaging_product"],
            "whatsapp"
        );
    }
    assert!(graph.fake.sent_messages().is_empty());
}

fn buttons(titles: &[&str]) -> Value {
    let buttons: Vec<Value> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"type":"reply","reply":{"id":format!("b{i}"),"title":t}}))
        .collect();
    json!({"messaging_product":"whatsapp","to":USER,"type":"interactive",
           "interactive":{"type":"button","body":{"text":"Pick"},"action":{"buttons":buttons}}})
}

fn template_send(name: &str, components: Value) -> Value {
    json!({"messaging_product":"whatsapp","to":USER,"type":"template",
           "template":{"name":name,"language":{"code":"en_US"},"components":components}})
}

#[tokio::test]
async fn template_sends_are_checked_against_the_store() {
    let graph = start().await;
    graph.fake.add_template(
        FakeTemplate::new("order_update", "en_US", "Hi {{1}}, order {{2}} shipped")
            .with_header(TemplateHeader::Image)
            .with_button(TemplateButton::Url {
                text: "Track".into(),
                url: "https://x/track/{{1}}".into(),
            }),
    );
    let header =
        json!({"type":"header","parameters":[{"type":"image","image":{"link":"https://x/h.jpg"}}]});
    let body = json!({"type":"body","parameters":[{"type":"text","text":"Ann"},{"type":"text","text":"42"}]});
    let button = json!({"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"42"}]});

    let ok = graph
        .send(&template_send(
            "order_update",
            json!([header, body, button]),
        ))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);

    let short_body = json!({"type":"body","parameters":[{"type":"text","text":"Ann"}]});
    let mismatch = graph
        .send(&template_send(
            "order_update",
            json!([header, short_body, button]),
        ))
        .await;
    assert_eq!(mismatch.error_code(), Some(132000));

    let text_header = json!({"type":"header","parameters":[{"type":"text","text":"oops"}]});
    let wrong_type = graph
        .send(&template_send(
            "order_update",
            json!([text_header, body, button]),
        ))
        .await;
    assert_eq!(wrong_type.error_code(), Some(132012));

    let missing = graph
        .send(&template_send("no_such_template", json!([])))
        .await;
    assert_eq!((missing.status, missing.error_code()), (404, Some(132001)));
}

#[tokio::test]
async fn paused_and_disabled_templates_fail_with_132015_and_132016() {
    let graph = start().await;
    graph.fake.add_template(
        FakeTemplate::new("paused", "en_US", "x").with_status(TemplateStatus::Paused),
    );
    graph.fake.add_template(
        FakeTemplate::new("disabled", "en_US", "x").with_status(TemplateStatus::Disabled),
    );
    assert_eq!(
        graph
            .send(&template_send("paused", json!([])))
            .await
            .error_code(),
        Some(132015)
    );
    assert_eq!(
        graph
            .send(&template_send("disabled", json!([])))
            .await
            .error_code(),
        Some(132016)
    );
}

#[tokio::test]
async fn free_messages_outside_the_window_fail_with_131047_but_templates_pass() {
    let graph = start().await;
    graph
        .fake
        .add_template(FakeTemplate::new("hello", "en_US", "Hello"));
    let stranger = "+447700900123";
    assert_eq!(
        graph.send_text(stranger, "Hi").await.error_code(),
        Some(131047)
    );
    let template = json!({"messaging_product":"whatsapp","to":stranger,"type":"template",
                          "template":{"name":"hello","language":{"code":"en_US"}}});
    assert_eq!(graph.send(&template).await.status, 200);

    graph
        .fake
        .advance_clock(std::time::Duration::from_secs(25 * 3600));
    assert_eq!(
        graph.send_text(USER, "Hi").await.error_code(),
        Some(131047),
        "the window closes after 24 h"
    );
}

#[tokio::test]
async fn invalid_recipients_fail_synchronously() {
    let graph = start().await;
    graph.fake.invalid_recipients([USER], ErrorTiming::Sync);
    let answer = graph.send_text(USER, "Hi").await;
    assert_eq!((answer.status, answer.error_code()), (400, Some(131026)));
}

#[tokio::test]
async fn unregistered_and_policy_blocked_numbers_are_refused() {
    let graph = start().await;
    let id = graph.number.phone_number_id.clone();
    graph.fake.update_number(&id, |n| n.registered = false);
    assert_eq!(graph.send_text(USER, "Hi").await.error_code(), Some(133010));
    graph.fake.update_number(&id, |n| n.policy_blocked = true);
    let blocked = graph.send_text(USER, "Hi").await;
    assert_eq!((blocked.status, blocked.error_code()), (403, Some(368)));
}

#[tokio::test]
async fn mark_as_read_answers_success_and_is_not_a_sent_message() {
    let graph = start().await;
    let body = json!({"messaging_product":"whatsapp","status":"read","message_id":"wamid.X"});
    let answer = graph.send(&body).await;
    assert_eq!(
        (answer.status, answer.body.clone()),
        (200, json!({"success": true}))
    );
    assert!(graph.fake.sent_messages().is_empty());
}

#[tokio::test]
async fn phone_number_object_answers_credential_checks() {
    let graph = start().await;
    let answer = graph.get(&graph.number.phone_number_id).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["id"], graph.number.phone_number_id.as_str());
    assert_eq!(answer.body["verified_name"], "Jaspers Market");
    assert_eq!(answer.body["quality_rating"], "GREEN");
    assert!(answer.body["display_phone_number"].is_string());
}

#[tokio::test]
async fn any_version_is_accepted_and_a_bad_one_is_100() {
    let graph = start().await;
    let url = format!(
        "{}/v99.1/{}",
        graph.fake.base_url(),
        graph.number.phone_number_id
    );
    let ok = graph
        .client
        .get(url)
        .bearer_auth(&graph.number.access_token)
        .send()
        .await
        .expect("answer");
    assert_eq!(ok.status().as_u16(), 200);
    let url = format!(
        "{}/latest/{}",
        graph.fake.base_url(),
        graph.number.phone_number_id
    );
    let bad = common::answer(
        graph
            .client
            .get(url)
            .bearer_auth(&graph.number.access_token)
            .send()
            .await
            .expect("answer"),
    );
    assert_eq!(bad.await.expect("body").error_code(), Some(100));
}

#[tokio::test]
async fn garbage_bodies_get_graph_errors_not_crashes() {
    let graph = start().await;
    let url = graph.url(&format!("{}/messages", graph.number.phone_number_id));
    for body in ["", "not json", "[]", "{\"to\":5}", "null"] {
        let response = graph
            .client
            .post(&url)
            .bearer_auth(&graph.number.access_token)
            .body(body)
            .send()
            .await;
        let answer = common::answer(response.expect("answer"))
            .await
            .expect("body");
        assert_eq!(answer.status, 400, "for {body:?}");
        assert!(answer.error_code().is_some());
    }
}
