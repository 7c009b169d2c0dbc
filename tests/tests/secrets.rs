//! No secret of a channel shows anywhere it could leak from: API answers,
//! read-model documents (and the SQLite file under them), the event stream's
//! raw bytes, and every log line Herald wrote during the run, at the most
//! verbose level.

use async_nats::jetstream;
use futures::StreamExt;
use herald_application::campaigns::read_model::{CAMPAIGNS, CAMPAIGN_RECIPIENTS};
use herald_application::messages::read_model::{MESSAGES, REPLIES};
use herald_application::ports::read_store::FindQuery;
use herald_application::sessions::read_model::SESSIONS;
use herald_fake_graph::number::FakeNumber;
use herald_fake_graph::FakeGraphConfig;
use herald_tests::app::receipt;
use herald_tests::whatsapp::{session_body, text_to, CONTACT, VERIFY_TOKEN};
use herald_tests::{spawn_app, spawn_app_with_settings, TestApp};
use reqwest::Method;
use std::io::Write;
use std::sync::{Arc, Mutex};

const ACCESS_TOKEN: &str = "EAAG-secret-token-7d1f2c";
const APP_SECRET: &str = "app-secret-93ab51";

/// Every log line of the test process, in memory.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> Logs {
    let logs = Logs::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();
    logs
}

fn assert_no_secret(place: &str, text: &str) {
    for secret in [ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN] {
        assert!(!text.contains(secret), "{secret:?} found in {place}");
    }
}

#[tokio::test]
async fn secrets_never_show_in_answers_read_models_events_or_logs() {
    let logs = capture_logs();
    let app = spawn_app().await;
    let number = FakeNumber {
        access_token: ACCESS_TOKEN.into(),
        app_secret: APP_SECRET.into(),
        ..FakeNumber::default()
    };
    let mut answers = Vec::new();

    // A good connect, and a failed one (Meta refuses the token).
    let session = app.connected_session_for(number.clone()).await;
    let refused = FakeNumber {
        phone_number_id: "106540352249999".into(),
        display_phone_number: "15550789999".into(),
        ..number.clone()
    };
    app.graph.add_number(FakeNumber {
        access_token: "the-token-meta-expects".into(),
        ..refused.clone()
    });
    let (id, _) = receipt(app.create_session(&session_body(&refused)).await).await;
    let connect = app.session_action(&id, "connect").await;
    answers.push(connect.text().await.unwrap());

    // Meta's handshake carries the verify token in its query string.
    assert!(app.graph.verify_webhook().await.unwrap());

    // Webhooks in, a message out, and every read endpoint.
    app.receive_text(&session, CONTACT, "Hi").await;
    let sent = app
        .send_message_ok(&session, &text_to(CONTACT, "Hello"))
        .await;
    app.wait_for_status(&sent, "read").await;
    let credentials = app
        .request(Method::PUT, &format!("/v1/sessions/{id}/credentials"))
        .json(&serde_json::json!({"phoneNumberId": "1", "wabaId": "2",
            "accessToken": ACCESS_TOKEN, "appSecret": APP_SECRET, "webhookVerifyToken": VERIFY_TOKEN}))
        .send()
        .await
        .unwrap();
    let credentials = credentials.text().await.unwrap();
    // Read only once the new credentials are in the read models.
    let position = serde_json::from_str::<serde_json::Value>(&credentials).unwrap()["position"]
        .as_u64()
        .expect("the change's position");
    answers.push(credentials);
    for path in [
        &format!("/v1/sessions?minPosition={position}"),
        &format!("/v1/sessions/{id}?minPosition={position}"),
        "/v1/messages",
        "/v1/replies",
        &format!("/v1/messages/{sent}"),
    ] {
        let response = app.request(Method::GET, path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        answers.push(response.text().await.unwrap());
    }
    for answer in &answers {
        assert_no_secret("an API answer", answer);
    }

    assert_no_secret_kept(&app).await;

    app.stop().await;
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("herald"), "the logs were not captured");
    assert_no_secret("the logs", &logs);
}

/// No secret in any read-model document, the SQLite files under them, or
/// the event stream's raw bytes.
async fn assert_no_secret_kept(app: &TestApp) {
    for collection in [
        &SESSIONS,
        &MESSAGES,
        &REPLIES,
        &CAMPAIGNS,
        &CAMPAIGN_RECIPIENTS,
    ] {
        let page = app
            .herald
            .read_store()
            .find(&FindQuery::new(collection, vec![]))
            .await
            .unwrap();
        for document in page.documents {
            assert_no_secret(
                collection.name,
                &serde_json::Value::Object(document).to_string(),
            );
        }
    }
    for entry in std::fs::read_dir(app.data.path()).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("read-models"))
        {
            let bytes = std::fs::read(&path).unwrap();
            assert_no_secret(
                &path.display().to_string(),
                &String::from_utf8_lossy(&bytes),
            );
        }
    }

    let stream = jetstream::new(app.herald.event_log().client());
    let events = stream.get_stream("HERALD_EVENTS").await.unwrap();
    let consumer = events
        .create_consumer(jetstream::consumer::pull::OrderedConfig::default())
        .await
        .unwrap();
    let total = consumer.cached_info().num_pending;
    assert!(total > 0);
    let mut messages = consumer.messages().await.unwrap().take(total as usize);
    while let Some(message) = messages.next().await {
        let message = message.unwrap();
        assert_no_secret(
            "the event stream",
            &String::from_utf8_lossy(&message.payload),
        );
    }
}

/// Stands in for the Graph API the way a misconfigured proxy in front of
/// it can: every request is refused with a Graph error that echoes the
/// request's `Authorization` header.
async fn echoing_proxy() -> String {
    let app = axum::Router::new().fallback(|headers: axum::http::HeaderMap| async move {
        let echoed = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let error = serde_json::json!({"error": {
            "message": format!("Invalid OAuth access token - request had Authorization: {echoed}"),
            "type": "OAuthException", "code": 190,
            "error_data": {"details": format!("upstream saw {echoed}")},
        }});
        (axum::http::StatusCode::UNAUTHORIZED, axum::Json(error))
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn an_upstream_error_echoing_the_token_is_kept_without_it() {
    let proxy = echoing_proxy().await;
    let app = spawn_app_with_settings(FakeGraphConfig::default(), |settings| {
        settings.graph_api_url = proxy;
    })
    .await;
    let number = FakeNumber {
        access_token: ACCESS_TOKEN.into(),
        app_secret: APP_SECRET.into(),
        ..FakeNumber::default()
    };
    let (id, _) = receipt(app.create_session(&session_body(&number)).await).await;

    let connect = app.session_action(&id, "connect").await;
    let answer = connect.text().await.unwrap();
    let position = serde_json::from_str::<serde_json::Value>(&answer).unwrap()["position"]
        .as_u64()
        .expect("the refusal was recorded");
    let session = app
        .request(
            Method::GET,
            &format!("/v1/sessions/{id}?minPosition={position}"),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    assert!(
        session.contains("(#190) upstream saw Bearer [redacted]"),
        "the reason is kept, less the token: {session}"
    );
    assert_no_secret("the connect answer", &answer);
    assert_no_secret("the session", &session);
    assert_no_secret_kept(&app).await;
    app.stop().await;
}
