//! Helpers for tests that involve WhatsApp: a connected session on the fake
//! Graph API, sending, reading messages back, and the OpenAPI check of
//! everything Herald sent to the fake.

use herald_application::messages::read_model::MessageDocument;
use herald_fake_graph::number::FakeNumber;
use herald_fake_graph::webhooks::InboundMessage;
use herald_fake_graph::{FakeGraph, SentMessage};
use herald_openapi_check::OpenApiContract;
use reqwest::{Method, Response};
use serde_json::{json, Value};
use std::time::Duration;

use crate::app::{receipt, TestApp};
use crate::wait::eventually;

/// How long eventually-consistent checks may take in these tests.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// The webhook verify token every test session uses.
pub const VERIFY_TOKEN: &str = "verify-me-3f9c";

/// A contact that writes to the business in tests.
pub const CONTACT: &str = "+16505551234";

/// A session of the test's tenant, connected through the fake.
#[derive(Debug, Clone)]
pub struct TestSession {
    pub id: String,
    pub number: FakeNumber,
}

impl TestSession {
    pub fn phone_number(&self) -> String {
        format!("+{}", self.number.display_phone_number)
    }
}

/// The session body for `number`, as a client sends it.
pub fn session_body(number: &FakeNumber) -> Value {
    json!({
        "phoneNumber": format!("+{}", number.display_phone_number),
        "sessionName": "Support line",
        "phoneNumberId": number.phone_number_id,
        "wabaId": number.waba_id,
        "accessToken": number.access_token,
        "appSecret": number.app_secret,
        "webhookVerifyToken": VERIFY_TOKEN,
    })
}

impl TestApp {
    pub async fn create_session(&self, body: &Value) -> Response {
        self.request(Method::POST, "/v1/sessions")
            .json(body)
            .send()
            .await
            .expect("the request is sent")
    }

    /// `action` is one of connect, disconnect.
    pub async fn session_action(&self, id: &str, action: &str) -> Response {
        self.request(Method::POST, &format!("/v1/sessions/{id}/{action}"))
            .send()
            .await
            .expect("the request is sent")
    }

    /// Registers `number` on the fake, adds it to Herald and connects it,
    /// and points the fake's webhooks at Herald.
    ///
    /// # Panics
    /// When Herald refuses any step.
    pub async fn connected_session_for(&self, number: FakeNumber) -> TestSession {
        self.graph.add_number(number.clone());
        self.graph.set_webhook(
            format!("{}/v1/webhooks/whatsapp", self.address),
            VERIFY_TOKEN,
        );
        let created = self.create_session(&session_body(&number)).await;
        assert_eq!(
            created.status(),
            201,
            "{}",
            created.text().await.unwrap_or_default()
        );
        let (id, _) = receipt(created).await;
        let connected = self.session_action(&id, "connect").await;
        assert_eq!(connected.status(), 202);
        let answer: Value = connected.json().await.expect("a JSON answer");
        assert_eq!(answer["status"], "connected", "{answer}");
        let position = answer["position"].as_u64().expect("a position");
        // Webhooks are routed through the sessions read model.
        let read = self
            .request(
                Method::GET,
                &format!("/v1/sessions/{id}?minPosition={position}"),
            )
            .send()
            .await
            .expect("the request is sent");
        assert_eq!(read.status(), 200);
        TestSession { id, number }
    }

    pub async fn connected_session(&self) -> TestSession {
        self.connected_session_for(FakeNumber::default()).await
    }

    pub async fn send_message(&self, session: &TestSession, body: &Value) -> Response {
        self.request(
            Method::POST,
            &format!("/v1/sessions/{}/messages", session.id),
        )
        .json(body)
        .send()
        .await
        .expect("the request is sent")
    }

    /// Sends a message that must be accepted; gives its id.
    ///
    /// # Panics
    /// When Herald does not answer 202.
    pub async fn send_message_ok(&self, session: &TestSession, body: &Value) -> String {
        let response = self.send_message(session, body).await;
        assert_eq!(
            response.status(),
            202,
            "{}",
            response.text().await.unwrap_or_default()
        );
        receipt(response).await.0
    }

    /// The `messages` document `id`, once it exists.
    pub async fn message(&self, id: &str) -> Option<Value> {
        let response = self
            .request(Method::GET, &format!("/v1/messages/{id}"))
            .send()
            .await
            .expect("the request is sent");
        match response.status().as_u16() {
            200 => Some(typed::<MessageDocument>(
                response.json().await.expect("a JSON document"),
            )),
            _ => None,
        }
    }

    /// Waits until message `id` has `status`, and gives its document.
    pub async fn wait_for_status(&self, id: &str, status: &str) -> Value {
        eventually(&format!("message {id} {status}"), PATIENCE, || async {
            self.message(id).await.filter(|m| m["status"] == status)
        })
        .await
    }

    /// Waits until message `id` has one of `statuses`, and gives its
    /// document: the read model may pass a status by when the next comes
    /// within one write (sent, then delivered and read 5 ms apart).
    pub async fn wait_for_status_in(&self, id: &str, statuses: &[&str]) -> Value {
        eventually(&format!("message {id} {statuses:?}"), PATIENCE, || async {
            self.message(id)
                .await
                .filter(|m| statuses.iter().any(|status| m["status"] == *status))
        })
        .await
    }

    /// A message from `from` to the session, through the fake's webhook;
    /// waits until Herald has it, and gives its wamid.
    pub async fn receive_text(&self, session: &TestSession, from: &str, text: &str) -> String {
        let inbound = InboundMessage::text(from.trim_start_matches('+'), text);
        let wamid = self
            .graph
            .emit_inbound(&session.number.phone_number_id, inbound)
            .await
            .expect("the fake posts the webhook");
        eventually("the reply to be read back", PATIENCE, || async {
            let list = self.list("/v1/replies").await;
            list["data"]
                .as_array()
                .is_some_and(|replies| replies.iter().any(|r| r["messageId"] == wamid.as_str()))
                .then_some(())
        })
        .await;
        wamid
    }

    /// The sends of Herald's message `id` that Meta accepted (gave a
    /// wamid): Herald puts its id in `biz_opaque_callback_data`.
    pub fn accepted_by_meta(&self, id: &str) -> Vec<SentMessage> {
        self.graph
            .sent_messages()
            .into_iter()
            .filter(|m| m.biz_opaque_callback_data.as_deref() == Some(id))
            .collect()
    }

    /// A list endpoint's answer.
    pub async fn list(&self, path: &str) -> Value {
        let response = self
            .request(Method::GET, path)
            .send()
            .await
            .expect("the request is sent");
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.expect("a JSON list")
    }
}

/// A text message body, as Meta's examples write it.
pub fn text_to(to: &str, body: &str) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"preview_url": false, "body": body}
    })
}

/// Meta documents `biz_opaque_callback_data` on message sends (it comes
/// back in every status webhook, which is how Herald reconciles a send whose
/// answer was lost), but the v23.0 OpenAPI file only has it on call
/// requests. The field is checked as that file defines it there (text of at
/// most 512 characters) and taken off before the rest of the body is
/// checked; any other property the schema lacks still fails.
fn without_callback_data(body: &Value) -> Value {
    let mut body = body.clone();
    if let Some(object) = body.as_object_mut() {
        if let Some(data) = object.remove("biz_opaque_callback_data") {
            assert!(
                data.as_str().is_some_and(|d| d.chars().count() <= 512),
                "biz_opaque_callback_data must be text of at most 512 characters: {data}"
            );
        }
    }
    body
}

/// Checks every JSON request the fake received against Meta's OpenAPI
/// file, and every webhook it posted.
///
/// # Panics
/// Listing each request that does not match its schema.
pub fn assert_requests_match_openapi(graph: &FakeGraph) {
    let contract = OpenApiContract::bundled_shared().expect("Meta's OpenAPI file loads");
    let mut problems = Vec::new();
    for request in graph.requests() {
        let Some(body) = &request.json else { continue };
        let checked = if body.get("status") == Some(&json!("read")) {
            contract.check_component("MarkMessageRequestPayload", body)
        } else {
            contract.check_request(&request.method, &request.path, &without_callback_data(body))
        };
        if let Err(violations) = checked {
            problems.push(format!(
                "{} {}: {violations:?}",
                request.method, request.path
            ));
        }
    }
    for webhook in graph.emitted_webhooks() {
        if let Err(violations) = contract.check_webhook(&webhook) {
            problems.push(format!("webhook {webhook}: {violations:?}"));
        }
    }
    assert!(
        problems.is_empty(),
        "requests off Meta's schemas:\n{}",
        problems.join("\n")
    );
}

/// Whatever events it has seen, a stored document keeps the typed shape
/// the projection creates it with.
pub(crate) fn typed<T: serde::de::DeserializeOwned>(document: Value) -> Value {
    if let Err(error) = serde_json::from_value::<T>(document.clone()) {
        panic!(
            "{document} is not a {}: {error}",
            std::any::type_name::<T>()
        );
    }
    document
}
