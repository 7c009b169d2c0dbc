//! Sending messages end to end: Herald's API, its dispatcher, the fake
//! Graph API, and the status webhooks coming back.

use herald_tests::whatsapp::{assert_requests_match_openapi, text_to, CONTACT};
use herald_tests::{on_both_stores, spawn_app};

on_both_stores! {
    async fn a_reply_inside_the_window_is_sent_and_ends_read() {
        let app = spawn_app().await;
        let session = app.connected_session().await;
        app.receive_text(&session, CONTACT, "Hi, is my order ready?")
            .await;

        let id = app
            .send_message_ok(&session, &text_to(CONTACT, "Yes, it ships today"))
            .await;

        let message = app.wait_for_status(&id, "read").await;
        assert!(message["waMessageId"]
            .as_str()
            .is_some_and(|w| w.starts_with("wamid.")));
        assert!(message["sentAt"].is_string() && message["deliveredAt"].is_string());
        let sent = app.graph.sent_messages();
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0].biz_opaque_callback_data.as_deref(),
            Some(id.as_str())
        );
        assert_requests_match_openapi(&app.graph);
        app.stop().await;
    }
}

use herald_fake_graph::templates::FakeTemplate;
use herald_tests::app::error_of;
use serde_json::json;

fn order_update(to: &str) -> serde_json::Value {
    json!({
        "messaging_product": "whatsapp",
        "to": to,
        "type": "template",
        "template": {
            "name": "order_update",
            "language": {"code": "en_US"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Jessica"}]}]
        }
    })
}

on_both_stores! {
    async fn outside_the_window_only_a_template_may_be_sent() {
        let app = spawn_app().await;
        let session = app.connected_session().await;
        app.graph.add_template(FakeTemplate::new(
            "order_update",
            "en_US",
            "Hi {{1}}, your order has shipped.",
        ));

        let (status, code, _) =
            error_of(app.send_message(&session, &text_to(CONTACT, "Hello")).await).await;
        assert_eq!((status, code.as_str()), (409, "outside_service_window"));

        let id = app.send_message_ok(&session, &order_update(CONTACT)).await;
        let message = app.wait_for_status(&id, "read").await;
        assert_eq!(message["messageType"], "template");
        assert_eq!(message["content"], "order_update");
        assert_requests_match_openapi(&app.graph);
        app.stop().await;
    }
}

on_both_stores! {
    async fn a_session_that_is_not_connected_cannot_send() {
        let app = spawn_app().await;
        let session = app.connected_session().await;
        app.session_action(&session.id, "disconnect").await;
        let (status, code, _) =
            error_of(app.send_message(&session, &order_update(CONTACT)).await).await;
        assert_eq!((status, code.as_str()), (409, "session_not_connected"));
        let other = herald_tests::whatsapp::TestSession {
            id: "no-such-session".into(),
            ..session
        };
        let (status, _, _) = error_of(app.send_message(&other, &order_update(CONTACT)).await).await;
        assert_eq!(status, 404);
        app.stop().await;
    }
}

on_both_stores! {
    async fn bad_message_bodies_name_the_field_and_queue_nothing() {
        let app = spawn_app().await;
        let session = app.connected_session().await;
        app.receive_text(&session, CONTACT, "Hi").await;
        let cases = [
            (
                json!({"to": CONTACT, "type": "text", "text": {"body": "x".repeat(4097)}}),
                "text.body",
            ),
            (
                json!({"to": CONTACT, "type": "image", "image": {"link": "https://x/y.jpg", "id": "1"}}),
                "image",
            ),
            (
                json!({"to": CONTACT, "type": "interactive", "interactive": {"type": "button", "body": {"text": "Pick"},
                "action": {"buttons": [
                    {"type": "reply", "reply": {"id": "a", "title": "One"}},
                    {"type": "reply", "reply": {"id": "b", "title": "Two"}},
                    {"type": "reply", "reply": {"id": "c", "title": "Three"}},
                    {"type": "reply", "reply": {"id": "d", "title": "Four"}}]}}}),
                "interactive.action.buttons",
            ),
            (
                json!({"to": "16505551234", "type": "text", "text": {"body": "Hi"}}),
                "to",
            ),
            (
                json!({"to": CONTACT, "type": "text", "text": {"body": "Hi"}, "colour": "red"}),
                "colour",
            ),
            (json!({"to": CONTACT, "type": "carousel"}), "type"),
        ];
        for (body, field) in cases {
            let (status, _, named) = error_of(app.send_message(&session, &body).await).await;
            assert_eq!(status, 422, "{body}");
            assert!(
                named.as_deref().is_some_and(|n| n.starts_with(field)),
                "{named:?} for {body}"
            );
        }
        let one = json!({"to": CONTACT, "type": "text", "text": {"body": "Hi"}});
        for trailing in [format!("{one}{one}"), format!("{one} and more")] {
            let path = format!("/v1/sessions/{}/messages", session.id);
            let refused = app.post_raw_json(&path, trailing).await;
            let (status, code, _) = error_of(refused).await;
            assert_eq!((status, code.as_str()), (400, "invalid_json"));
        }
        let listed = app.list("/v1/messages?direction=outgoing").await;
        assert_eq!(listed["total"], 0);
        assert!(app.graph.sent_messages().is_empty());
        app.stop().await;
    }
}

on_both_stores! {
    async fn messages_list_by_session_direction_status_and_time() {
        let app = spawn_app().await;
        let session = app.connected_session().await;
        app.receive_text(&session, CONTACT, "Hi").await;
        let id = app
            .send_message_ok(&session, &text_to(CONTACT, "Hello back"))
            .await;
        app.wait_for_status(&id, "read").await;

        let incoming = app.list("/v1/messages?direction=incoming").await;
        assert_eq!(incoming["total"], 1);
        assert_eq!(incoming["data"][0]["isIncoming"], true);
        assert_eq!(incoming["data"][0]["fromNumber"], CONTACT);
        assert_eq!(
            incoming["data"][0]["toNumber"],
            session.phone_number().as_str()
        );
        let outgoing = app
            .list(&format!(
                "/v1/messages?direction=outgoing&status=read&sessionId={}",
                session.id
            ))
            .await;
        assert_eq!(outgoing["total"], 1);
        assert_eq!(outgoing["data"][0]["_id"], id.as_str());
        let listed = [&incoming, &outgoing].map(|page| page["data"][0].clone());
        for message in listed {
            if let Err(error) = serde_json::from_value::<
                herald_application::messages::read_model::MessageDocument,
            >(message.clone())
            {
                panic!("{message} is not a MessageDocument: {error}");
            }
        }
        assert_eq!(app.list("/v1/messages").await["total"], 2);
        assert_eq!(
            app.list("/v1/messages?since=2999-01-01T00:00:00Z").await["total"],
            0
        );
        assert_eq!(
            app.list("/v1/messages?until=2000-01-01T00:00:00Z").await["total"],
            0
        );
        let replies = app.list("/v1/replies").await;
        assert_eq!(replies["data"][0]["text"], "Hi");
        if let Err(error) = serde_json::from_value::<
            herald_application::messages::read_model::ReplyDocument,
        >(replies["data"][0].clone())
        {
            panic!("{} is not a ReplyDocument: {error}", replies["data"][0]);
        }
        assert_eq!(replies["data"][0]["type"], "text");
        // Another tenant sees none of it.
        let theirs = app
            .request_as("another-tenant", reqwest::Method::GET, "/v1/messages")
            .await
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap();
        assert_eq!(theirs["total"], 0);
        for bad in [
            "direction=sideways",
            "status=lost",
            "since=yesterday",
            "colour=red",
        ] {
            let response = app
                .request(reqwest::Method::GET, &format!("/v1/messages?{bad}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 400, "{bad}");
        }
        app.stop().await;
    }
}

/// One message of every kind Herald sends, in Meta's own JSON.
fn one_of_every_kind(to: &str) -> Vec<(&'static str, serde_json::Value)> {
    let media =
        |kind: &str, object: serde_json::Value| json!({"to": to, "type": kind, kind: object});
    vec![
        (
            "image",
            media(
                "image",
                json!({"link": "https://example.com/shoe.jpg", "caption": "New in"}),
            ),
        ),
        (
            "video",
            media("video", json!({"link": "https://example.com/unboxing.mp4"})),
        ),
        (
            "audio",
            media("audio", json!({"link": "https://example.com/note.ogg"})),
        ),
        (
            "document",
            media(
                "document",
                json!({"link": "https://example.com/invoice.pdf", "filename": "invoice.pdf", "caption": "Your invoice"}),
            ),
        ),
        (
            "sticker",
            media(
                "sticker",
                json!({"link": "https://example.com/thanks.webp"}),
            ),
        ),
        (
            "interactive",
            json!({"to": to, "type": "interactive", "interactive": {
                "type": "button",
                "header": {"type": "text", "text": "Delivery"},
                "body": {"text": "When should we come?"},
                "footer": {"text": "Reply with a button"},
                "action": {"buttons": [
                    {"type": "reply", "reply": {"id": "morning", "title": "Morning"}},
                    {"type": "reply", "reply": {"id": "evening", "title": "Evening"}}]}}}),
        ),
        (
            "interactive",
            json!({"to": to, "type": "interactive", "interactive": {
                "type": "list",
                "body": {"text": "Pick a size"},
                "action": {"button": "Sizes", "sections": [{"title": "EU", "rows": [
                    {"id": "eu-41", "title": "41", "description": "Narrow fit"},
                    {"id": "eu-42", "title": "42"}]}]}}}),
        ),
        (
            "template",
            json!({"to": to, "type": "template", "template": {
                "name": "shipped_with_photo",
                "language": {"code": "en_US"},
                "components": [
                    {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://example.com/parcel.jpg"}}]},
                    {"type": "body", "parameters": [{"type": "text", "text": "Jessica"}]},
                    {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "ORDER-42"}]}]}}),
        ),
        (
            "text",
            json!({"to": to, "type": "text", "context": {"message_id": "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"},
                   "text": {"body": "Replying to your question"}}),
        ),
    ]
}

on_both_stores! {
    async fn every_kind_of_message_reaches_meta_as_its_schema_has_it_and_ends_read() {
        use herald_fake_graph::templates::{TemplateButton, TemplateHeader};
        let app = spawn_app().await;
        let session = app.connected_session().await;
        app.graph.add_template(
            FakeTemplate::new(
                "shipped_with_photo",
                "en_US",
                "Hi {{1}}, your parcel is on its way.",
            )
            .with_header(TemplateHeader::Image)
            .with_button(TemplateButton::Url {
                text: "Track it".into(),
                url: "https://example.com/track/{{1}}".into(),
            }),
        );
        // Two contacts, so that no pair goes past Herald's burst of five and
        // waits out Meta's six seconds per message.
        let contacts = [CONTACT, "+16505553999"];
        for contact in contacts {
            app.receive_text(&session, contact, "Hi, any news?").await;
        }
        let messages: Vec<_> = one_of_every_kind(contacts[0])
            .into_iter()
            .zip(one_of_every_kind(contacts[1]))
            .enumerate()
            .map(|(n, (first, second))| if n < 5 { first } else { second })
            .collect();

        for (kind, body) in &messages {
            let id = app.send_message_ok(&session, body).await;
            let message = app.wait_for_status(&id, "read").await;
            assert_eq!(message["messageType"], *kind, "{body}");
            let accepted = app.accepted_by_meta(&id);
            let ours = accepted
                .first()
                .unwrap_or_else(|| panic!("Meta never got {body}"));
            let mut expected = body[*kind].clone();
            if *kind == "template" {
                // Herald names the language policy, Meta's only one.
                expected["language"]["policy"] = json!("deterministic");
            }
            assert_eq!(
                ours.body[*kind], expected,
                "the {kind} object reaches Meta as given"
            );
        }

        assert_eq!(app.graph.sent_messages().len(), messages.len());
        assert_requests_match_openapi(&app.graph);
        app.stop().await;
    }
}

on_both_stores! {
    async fn statuses_without_callback_data_are_matched_by_wamid() {
        let graph = herald_fake_graph::FakeGraphConfig {
            webhooks: herald_fake_graph::WebhookConfig {
                echo_callback_data: false,
                ..Default::default()
            },
            ..Default::default()
        };
        let app = herald_tests::spawn_app_with(graph).await;
        let session = app.connected_session().await;
        app.graph.add_template(FakeTemplate::new(
            "order_update",
            "en_US",
            "Hi {{1}}, your order has shipped.",
        ));

        let id = app.send_message_ok(&session, &order_update(CONTACT)).await;

        app.wait_for_status(&id, "read").await;
        // A status that came before the send's answer was projected waits
        // for it, so `delivered` may land after `read`.
        herald_tests::eventually("delivered recorded too", herald_tests::whatsapp::PATIENCE, || async {
            app.message(&id).await.filter(|m| m["deliveredAt"].is_string())
        })
        .await;
        let statuses = app.graph.webhook_deliveries();
        assert!(statuses.iter().all(|d| !d.body.to_string().contains("biz_opaque_callback_data")));
        app.stop().await;
    }
}

on_both_stores! {
    async fn a_retried_send_with_its_idempotency_key_is_sent_once() {
        let app = spawn_app().await;
        let session = app.connected_session().await;
        app.graph.add_template(FakeTemplate::new(
            "order_update",
            "en_US",
            "Hi {{1}}, your order has shipped.",
        ));
        let path = format!("/v1/sessions/{}/messages", session.id);
        let send = |key: &'static str, body: serde_json::Value| {
            app.request(reqwest::Method::POST, &path)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
        };

        // A client that lost the answer tries again, ten times at once.
        let tries = futures::future::join_all(
            (0..10).map(|_| send("order-4711-shipped", order_update(CONTACT))),
        )
        .await;
        let mut ids = std::collections::BTreeSet::new();
        let mut replayed = 0;
        for answer in tries {
            let answer = answer.unwrap();
            assert_eq!(answer.status(), 202);
            replayed += usize::from(answer.headers().contains_key("idempotent-replayed"));
            let body: serde_json::Value = answer.json().await.unwrap();
            ids.insert(body["id"].as_str().unwrap().to_owned());
        }
        assert_eq!((ids.len(), replayed), (1, 9));
        let id = ids.pop_first().unwrap();
        app.wait_for_status(&id, "read").await;

        // Later, with the session disconnected, the retry still answers as
        // the first request did, and nothing more is sent.
        app.session_action(&session.id, "disconnect").await;
        let late = send("order-4711-shipped", order_update(CONTACT)).await.unwrap();
        assert_eq!(late.status(), 202);
        let body: serde_json::Value = late.json().await.unwrap();
        assert_eq!(body["id"], id.as_str());
        assert_eq!(app.accepted_by_meta(&id).len(), 1);
        assert_eq!(app.graph.sent_messages().len(), 1);

        // The same key for another message is refused.
        let reused = send("order-4711-shipped", order_update("+16505550199")).await.unwrap();
        let (status, code, field) = error_of(reused).await;
        assert_eq!((status, code.as_str()), (422, "idempotency_key_reused"));
        assert_eq!(field.as_deref(), Some("Idempotency-Key"));
        let bad = app
            .request(reqwest::Method::POST, &path)
            .header("Idempotency-Key", "x".repeat(256))
            .json(&order_update(CONTACT))
            .send()
            .await
            .unwrap();
        let (status, _, field) = error_of(bad).await;
        assert_eq!((status, field.as_deref()), (400, Some("Idempotency-Key")));
        app.stop().await;
    }
}
