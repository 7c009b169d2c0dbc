//! Tenant isolation, route by route: tenant B's credentials with tenant A's
//! ids get 404 and none of A's data, on every route the API has. The
//! routes come from the API's own table (`herald_api::http::endpoints`), so
//! a route added without a case here fails this suite. Ids that could
//! reach outside a tenant's part of the event log (`*`, `>`, `.`) are tried
//! on every route that takes one.

use herald_api::http::access::{Access, Endpoint};
use herald_tests::whatsapp::{text_to, TestSession, CONTACT};
use herald_tests::{spawn_app, TestApp};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

/// What tenant A has: one of everything a route can name.
struct Owned {
    session: TestSession,
    campaign: String,
    message: String,
    user: String,
    key_id: String,
    key: String,
}

/// What a route is given, and what it must answer tenant B.
enum Case {
    /// Public, or about the caller itself: no tenant's id in it.
    NotScoped,
    /// Names one of A's aggregates by `{id}`: 404, and none of A's data.
    NamesA(fn(&Owned) -> &str, Value),
    /// Lists B's own: none of A's ids in the answer.
    ListsOwn,
    /// Creates in B's tenant; the body names A's session where one is
    /// needed, which must not be found.
    CreatesOwn(fn(&Owned) -> Value),
}

fn session(owned: &Owned) -> &str {
    &owned.session.id
}

fn campaign(owned: &Owned) -> &str {
    &owned.campaign
}

fn message(owned: &Owned) -> &str {
    &owned.message
}

fn user(owned: &Owned) -> &str {
    &owned.user
}

fn key(owned: &Owned) -> &str {
    &owned.key_id
}

/// Every route's case. A route missing here fails [`every_route_has_a_case`].
fn case(endpoint: &Endpoint) -> Option<Case> {
    use Case::{CreatesOwn, ListsOwn, NamesA, NotScoped};
    let empty = json!({});
    let case = match (endpoint.method, endpoint.path) {
        (_, path) if path.starts_with("/v1/auth/") => NotScoped,
        (_, "/v1/webhooks/whatsapp" | "/healthz" | "/readyz" | "/metrics") => NotScoped,
        (
            "GET",
            "/v1/campaigns"
            | "/v1/sessions"
            | "/v1/messages"
            | "/v1/replies"
            | "/v1/subscription"
            | "/v1/subscription/payments"
            | "/v1/audit-logs"
            | "/v1/users"
            | "/v1/api-keys",
        ) => ListsOwn,
        ("PUT", "/v1/subscription/plan") => CreatesOwn(|_| json!({ "tier": "pro" })),
        ("POST", "/v1/subscription/cancel") => CreatesOwn(|_| json!({})),
        ("POST", "/v1/subscription/payments") => CreatesOwn(
            |_| json!({ "transactionId": "pi_B", "amount": 10, "paymentMethod": "manual", "status": "pending" }),
        ),
        ("POST", "/v1/campaigns") => CreatesOwn(|owned| {
            json!({ "campaignName": "B's", "sessionId": owned.session.id, "messageType": "text",
                    "messageContent": "Hi", "recipients": ["+14155550100"] })
        }),
        ("POST", "/v1/sessions") => CreatesOwn(|_| {
            herald_tests::whatsapp::session_body(&herald_fake_graph::number::FakeNumber::new(
                "900000000000777",
                "900000000000778",
                "15550007777",
                "b-token",
                "b-secret",
            ))
        }),
        ("POST", "/v1/users") => CreatesOwn(
            |_| json!({ "email": "b-agent@example.com", "username": "b-agent", "role": "agent" }),
        ),
        ("POST", "/v1/api-keys") => {
            CreatesOwn(|_| json!({ "keyName": "B's", "permissions": ["read"] }))
        }
        ("PATCH", "/v1/campaigns/{id}") => NamesA(campaign, json!({ "campaignName": "Taken" })),
        ("POST", "/v1/campaigns/{id}/recipients") => {
            NamesA(campaign, json!({ "recipients": ["+14155550123"] }))
        }
        ("POST", "/v1/campaigns/{id}/schedule") => NamesA(
            campaign,
            json!({ "schedule": { "type": "scheduled", "startTime": "2099-12-01T09:00", "timezone": "UTC" } }),
        ),
        (_, path) if path.starts_with("/v1/campaigns/{id}") => NamesA(campaign, empty),
        ("POST", "/v1/sessions/{id}/messages") => NamesA(session, text_to(CONTACT, "Hi")),
        ("PUT", "/v1/sessions/{id}/credentials") => NamesA(
            session,
            json!({ "phoneNumberId": "1", "wabaId": "2", "accessToken": "t", "appSecret": "s",
                    "webhookVerifyToken": "v" }),
        ),
        ("PUT", "/v1/sessions/{id}/throughput") => NamesA(session, json!({ "throughput": 10 })),
        (_, path) if path.starts_with("/v1/sessions/{id}") => NamesA(session, empty),
        (_, path) if path.starts_with("/v1/messages/{id}") => NamesA(message, empty),
        ("PATCH", "/v1/users/{id}") => NamesA(user, json!({ "role": "admin" })),
        (_, "/v1/users/{id}") => NamesA(user, empty),
        (_, "/v1/api-keys/{id}") => NamesA(key, empty),
        _ => return None,
    };
    Some(case)
}

#[test]
fn every_route_has_a_case() {
    let missing: Vec<String> = herald_api::http::endpoints()
        .iter()
        .filter(|endpoint| case(endpoint).is_none())
        .map(|endpoint| format!("{} {}", endpoint.method, endpoint.path))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without an isolation case: {missing:?}"
    );
    // Every route that is not public needs credentials.
    for endpoint in herald_api::http::endpoints() {
        if endpoint.access == Access::Public {
            assert!(
                matches!(case(&endpoint), Some(Case::NotScoped)),
                "{} {} is public",
                endpoint.method,
                endpoint.path
            );
        }
    }
}

async fn tenant_a(app: &TestApp) -> Owned {
    let session = app.connected_session().await;
    app.receive_text(&session, CONTACT, "Hi, is my order ready?")
        .await;
    let message = app
        .send_message_ok(&session, &text_to(CONTACT, "Yes, it ships today"))
        .await;
    let (campaign, _) = app
        .create_campaign_ok(&herald_tests::app::campaign_body())
        .await;
    let invited: Value = app
        .request(Method::POST, "/v1/users")
        .json(&json!({ "email": "a-agent@example.com", "username": "a-agent", "role": "agent" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let made: Value = app
        .request(Method::POST, "/v1/api-keys")
        .json(&json!({ "keyName": "A's", "permissions": ["read"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paid = app
        .request(Method::POST, "/v1/subscription/payments")
        .json(&json!({ "transactionId": "pi_A_only", "amount": 29, "paymentMethod": "stripe", "status": "completed" }))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 201);
    Owned {
        session,
        campaign,
        message,
        user: invited["id"].as_str().expect("a user").to_owned(),
        key_id: made["id"].as_str().expect("a key").to_owned(),
        key: made["apiKey"].as_str().expect("a key").to_owned(),
    }
}

/// A's data that must never appear in an answer to B.
fn secrets_of_a(owned: &Owned) -> Vec<String> {
    vec![
        owned.session.id.clone(),
        owned.campaign.clone(),
        owned.message.clone(),
        owned.user.clone(),
        owned.key_id.clone(),
        "a-agent@example.com".to_owned(),
        "Yes, it ships today".to_owned(),
        "pi_A_only".to_owned(),
    ]
}

async fn as_b(app: &TestApp, method: &str, path: &str, body: &Value) -> (u16, String) {
    let method = Method::from_bytes(method.as_bytes()).expect("a method");
    let mut request = app.request_as("tenant-b", method, path).await;
    if !body.is_null() {
        request = request.json(body);
    }
    let answer = request
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("an answer");
    let status = answer.status().as_u16();
    (status, answer.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_b_gets_404_and_none_of_tenant_as_data_on_every_route() {
    let app = spawn_app().await;
    let owned = tenant_a(&app).await;
    let secrets = secrets_of_a(&owned);
    for endpoint in herald_api::http::endpoints() {
        let Some(case) = case(&endpoint) else {
            panic!("{} {} has no case", endpoint.method, endpoint.path);
        };
        let route = format!("{} {}", endpoint.method, endpoint.path);
        match case {
            Case::NotScoped => continue,
            Case::NamesA(id, body) => {
                let path = endpoint.path.replace("{id}", id(&owned));
                let (status, text) = as_b(&app, endpoint.method, &path, &body).await;
                assert_eq!(status, 404, "{route}: {text}");
                let leaked: Vec<&String> = secrets
                    .iter()
                    .filter(|s| *s != id(&owned) && text.contains(s.as_str()))
                    .collect();
                assert!(leaked.is_empty(), "{route} told B {leaked:?}: {text}");
            }
            Case::ListsOwn => {
                let (status, text) = as_b(&app, endpoint.method, endpoint.path, &Value::Null).await;
                assert_eq!(status, 200, "{route}: {text}");
                let leaked: Vec<&String> = secrets
                    .iter()
                    .filter(|s| text.contains(s.as_str()))
                    .collect();
                assert!(leaked.is_empty(), "{route} told B {leaked:?}: {text}");
            }
            Case::CreatesOwn(body) => {
                let (status, text) =
                    as_b(&app, endpoint.method, endpoint.path, &body(&owned)).await;
                let names_a = body(&owned).to_string().contains(&owned.session.id);
                if names_a {
                    assert!(matches!(status, 404 | 422), "{route}: {status} {text}");
                } else {
                    assert!((200..300).contains(&status), "{route}: {status} {text}");
                }
                let leaked: Vec<&String> = secrets
                    .iter()
                    .filter(|s| **s != owned.session.id && text.contains(s.as_str()))
                    .collect();
                assert!(leaked.is_empty(), "{route} told B {leaked:?}: {text}");
            }
        }
    }
    a_is_untouched(&app, &owned).await;
    app.stop().await;
}

/// A's campaign, session, user and key are as A left them.
async fn a_is_untouched(app: &TestApp, owned: &Owned) {
    let campaign = app.list(&format!("/v1/campaigns/{}", owned.campaign)).await;
    assert_ne!(campaign["campaignName"], "Taken", "{campaign}");
    assert_ne!(campaign["status"], "running", "{campaign}");
    let session = app
        .list(&format!("/v1/sessions/{}", owned.session.id))
        .await;
    assert_eq!(session["status"], "connected", "{session}");
    let user = app.list(&format!("/v1/users/{}", owned.user)).await;
    assert_eq!(
        (user["role"].as_str(), user["isActive"].as_bool()),
        (Some("agent"), Some(true))
    );
    let answer = app.get_with(&owned.key, "/v1/campaigns").await;
    assert_eq!(answer.status(), 200, "A's key still works");
}

/// Ids that would add a token or a wildcard to a NATS subject, on every
/// route that takes an id: refused or not found, never served, never a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_that_are_not_subject_safe_reach_nothing() {
    let app = spawn_app().await;
    let owned = tenant_a(&app).await;
    let unsafe_ids = [
        "*",
        ">",
        "a.b",
        "%2A",
        "%3E",
        "..",
        "a%20b",
        "a%2Eb",
        "tenant-a.*",
    ];
    for endpoint in herald_api::http::endpoints() {
        let Some(Case::NamesA(_, body)) = case(&endpoint) else {
            continue;
        };
        for id in unsafe_ids {
            let path = endpoint.path.replace("{id}", id);
            let (status, text) = as_b(&app, endpoint.method, &path, &body).await;
            assert!(
                (400..500).contains(&status),
                "{} {path}: {status} {text}",
                endpoint.method
            );
        }
    }
    a_is_untouched(&app, &owned).await;
    app.stop().await;
}
