//! The leak scan: no API answer, read-model document, log line or event
//! log file ever holds a password or its hash, a token, an API key's secret
//! or a Graph credential.
//!
//! A `herald serve` logging at `debug` into a file is driven as clients
//! drive it: accounts signed up with generated passwords, signed in,
//! refreshed, verified, reset; users invited; an API key made; a session
//! added with generated Graph credentials and connected (against the fake
//! Graph API), a message sent, a campaign made. Then every GET route of
//! the API's own table is read, and the answers, the log, and every file
//! Herald wrote (SQLite read models, the nats-server's JetStream files) are
//! searched for every secret used. The outbox folder, where account
//! e-mails go with their links, is the one place a token is meant to be.

mod support;

use herald_fake_graph::{FakeGraph, FakeGraphConfig, FakeNumber, InboundMessage};
use reqwest::{Client, Method};
use serde_json::{json, Value};
use std::path::Path;
use support::{ServeOptions, Serving};

/// Text nobody could guess, different on every run.
fn generated(label: &str) -> String {
    format!(
        "{label}-{:016x}{:016x}",
        fastrand::u64(..),
        fastrand::u64(..)
    )
}

struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn add(&mut self, what: &str, secret: &str) {
        assert!(!secret.is_empty(), "{what} is empty");
        self.0.push((what.to_owned(), secret.to_owned()));
    }

    /// What of these secrets `text`, found in `place`, holds.
    fn found_in(&self, place: &str, text: &str) -> Vec<String> {
        let mut found: Vec<String> = self
            .0
            .iter()
            .filter(|(_, secret)| text.contains(secret.as_str()))
            .map(|(what, _)| format!("{what} in {place}"))
            .collect();
        // A password hash, whoever's: Argon2's PHC strings start so.
        if text.contains("$argon2") {
            found.push(format!("a password hash in {place}"));
        }
        found
    }
}

async fn call(
    client: &Client,
    herald: &Serving,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, String) {
    let mut request = client.request(method, herald.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let answer = request.send().await.expect("an answer");
    (
        answer.status().as_u16(),
        answer.text().await.unwrap_or_default(),
    )
}

async fn public(client: &Client, herald: &Serving, path: &str, body: Value) -> (u16, String) {
    let answer = client
        .post(herald.url(path))
        .json(&body)
        .send()
        .await
        .expect("an answer");
    (
        answer.status().as_u16(),
        answer.text().await.unwrap_or_default(),
    )
}

fn field(text: &str, name: &str) -> String {
    let value: Value = serde_json::from_str(text).unwrap_or_default();
    value[name].as_str().unwrap_or_default().to_owned()
}

/// The token in the last e-mail the outbox holds for `to`.
fn token_mailed_to(data: &Path, to: &str) -> String {
    let mut mails: Vec<_> = std::fs::read_dir(data.join("outbox"))
        .expect("an outbox")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    mails.sort();
    let mail = mails
        .iter()
        .rev()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .find(|mail| mail.starts_with(&format!("To: {to}\r\n")))
        .expect("a mail");
    let start = mail.find("token=").expect("a link") + "token=".len();
    mail[start..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Every file under `dir` (but the outbox), as text where it is text.
fn files_under(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|name| name == "outbox") {
            continue;
        }
        if path.is_dir() {
            files_under(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_read_model_log_or_stored_file_holds_a_secret() {
    herald_infrastructure::tls::install_crypto_provider();
    let graph = FakeGraph::start(FakeGraphConfig::default())
        .await
        .expect("the fake");
    let data = tempfile::tempdir().expect("a folder");
    let log = data.path().join("herald.log");
    let herald = Serving::start_with(
        &data.path().join("herald"),
        ServeOptions {
            env: vec![
                ("RUST_LOG", "debug".into()),
                ("HERALD_GRAPH_API_URL", graph.base_url().to_owned()),
            ],
            log: Some(log.clone()),
            ..ServeOptions::default()
        },
    )
    .await;
    let herald_data = data.path().join("herald");
    let client = Client::new();
    let mut secrets = Secrets(Vec::new());
    let mut answers: Vec<(String, String)> = Vec::new();

    // Accounts, with generated passwords.
    let password = generated("pass");
    secrets.add("a password", &password);
    let (status, registered) = public(
        &client,
        &herald,
        "/v1/auth/register",
        json!({
            "email": "leak@example.com", "username": "leaky", "password": password,
        }),
    )
    .await;
    assert_eq!(status, 201, "{registered}");
    let verification = token_mailed_to(&herald_data, "leak@example.com");
    secrets.add("a verification token", &verification);
    let (_, signed_in) = public(
        &client,
        &herald,
        "/v1/auth/login",
        json!({ "email": "leak@example.com", "password": password }),
    )
    .await;
    let (access, refresh) = (
        field(&signed_in, "accessToken"),
        field(&signed_in, "refreshToken"),
    );
    secrets.add("an access token", &access);
    secrets.add("a refresh token", &refresh);
    let (_, refreshed) = public(
        &client,
        &herald,
        "/v1/auth/refresh",
        json!({ "refreshToken": refresh }),
    )
    .await;
    let (access, refresh) = (
        field(&refreshed, "accessToken"),
        field(&refreshed, "refreshToken"),
    );
    secrets.add("a second access token", &access);
    secrets.add("a second refresh token", &refresh);
    public(
        &client,
        &herald,
        "/v1/auth/verify-email",
        json!({ "token": verification }),
    )
    .await;
    public(
        &client,
        &herald,
        "/v1/auth/forgot-password",
        json!({ "email": "leak@example.com" }),
    )
    .await;
    let reset = token_mailed_to(&herald_data, "leak@example.com");
    secrets.add("a reset token", &reset);
    let new_password = generated("newpass");
    secrets.add("a new password", &new_password);
    public(
        &client,
        &herald,
        "/v1/auth/reset-password",
        json!({ "token": reset, "password": new_password }),
    )
    .await;
    let (_, signed_in) = public(
        &client,
        &herald,
        "/v1/auth/login",
        json!({ "username": "leaky", "password": new_password }),
    )
    .await;
    let access = field(&signed_in, "accessToken");
    secrets.add("a third access token", &access);
    let (_, invited) = call(
        &client,
        &herald,
        &access,
        Method::POST,
        "/v1/users",
        Some(json!({ "email": "agent@example.com", "username": "agent1", "role": "agent" })),
    )
    .await;
    let invitation = token_mailed_to(&herald_data, "agent@example.com");
    secrets.add("an invitation token", &invitation);
    let (_, made) = call(
        &client,
        &herald,
        &access,
        Method::POST,
        "/v1/api-keys",
        Some(json!({ "keyName": "scan", "permissions": ["read", "write"] })),
    )
    .await;
    let api_key = field(&made, "apiKey");
    secrets.add("an API key", &api_key);
    let key_secret = api_key.rsplit('.').next().unwrap_or_default().to_owned();
    secrets.add("an API key's secret part", &key_secret);

    // A session with generated Graph credentials, connected and used.
    let (token, app_secret, verify) = (
        generated("EAAG"),
        generated("appsecret"),
        generated("verify"),
    );
    for (what, secret) in [
        ("a Graph access token", &token),
        ("an app secret", &app_secret),
        ("a webhook verify token", &verify),
    ] {
        secrets.add(what, secret);
    }
    let number = FakeNumber::new(
        "106540352242999",
        "102290129340399",
        "15550783999",
        token.clone(),
        app_secret.clone(),
    );
    graph.add_number(number.clone());
    let (status, session) = call(&client, &herald, &api_key, Method::POST, "/v1/sessions", Some(json!({
        "phoneNumber": "+15550783999", "sessionName": "Leak line", "phoneNumberId": number.phone_number_id,
        "wabaId": number.waba_id, "accessToken": token, "appSecret": app_secret, "webhookVerifyToken": verify,
    }))).await;
    assert_eq!(status, 201, "{session}");
    let session_id = field(&session, "id");
    call(
        &client,
        &herald,
        &api_key,
        Method::POST,
        &format!("/v1/sessions/{session_id}/connect"),
        None,
    )
    .await;
    // A contact writes (a reply), is answered (a message), and a payment
    // is recorded: every list has something in it.
    graph.set_webhook(herald.url("/v1/webhooks/whatsapp"), verify.clone());
    graph
        .emit_inbound(
            &number.phone_number_id,
            InboundMessage::text("14155550100", "Is the sale still on?"),
        )
        .await
        .expect("the reply is delivered");
    let (status, sent) = call(&client, &herald, &api_key, Method::POST, &format!("/v1/sessions/{session_id}/messages"), Some(json!({
        "messaging_product": "whatsapp", "to": "+14155550100", "type": "text", "text": { "body": "It is" },
    }))).await;
    assert_eq!(status, 202, "{sent}");
    let (status, paid) = call(&client, &herald, &access, Method::POST, "/v1/subscription/payments", Some(json!({
        "transactionId": generated("pi_"), "amount": 29.99, "paymentMethod": "stripe", "status": "completed",
    }))).await;
    assert_eq!(status, 201, "{paid}");
    let (_, campaign) = call(&client, &herald, &api_key, Method::POST, "/v1/campaigns", Some(json!({
        "campaignName": "Scan", "sessionId": session_id, "messageType": "text", "messageContent": "Hi",
        "recipients": ["+14155550100"],
    }))).await;
    let campaign_id = field(&campaign, "id");
    let last_position = serde_json::from_str::<Value>(&campaign).unwrap()["position"]
        .as_u64()
        .unwrap();
    let user_id = field(&invited, "id");
    let key_id = field(&made, "id");

    // The reply is recorded by a process following the webhooks: wait
    // until it is listed, so the replies list is read with it in.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, replies) = call(&client, &herald, &access, Method::GET, "/v1/replies", None).await;
        if serde_json::from_str::<Value>(&replies).unwrap_or_default()["total"] == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the reply was not listed: {replies}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Every GET route of the table, with the ids it takes.
    for endpoint in herald_api::http::endpoints() {
        if endpoint.method != "GET" || endpoint.path.contains("progress") {
            continue;
        }
        let path = match endpoint.path {
            p if p.starts_with("/v1/campaigns/{id}") => p.replace("{id}", &campaign_id),
            p if p.starts_with("/v1/sessions/{id}") => p.replace("{id}", &session_id),
            p if p.starts_with("/v1/users/{id}") => p.replace("{id}", &user_id),
            p if p.starts_with("/v1/api-keys/{id}") => p.replace("{id}", &key_id),
            p if p.contains("{id}") => continue,
            p => p.to_owned(),
        };
        // Lists are read once they hold everything written above.
        let caught_up = format!("{path}?minPosition={last_position}");
        let (status, text) = call(&client, &herald, &access, Method::GET, &caught_up, None).await;
        let text = if status == 400 {
            call(&client, &herald, &access, Method::GET, &path, None)
                .await
                .1
        } else {
            text
        };
        answers.push((format!("GET {path}"), text));
    }
    answers.push((
        "the made key's answer (its key excepted)".into(),
        made.replace(&api_key, ""),
    ));

    let mut found = Vec::new();
    for (place, text) in &answers {
        found.extend(secrets.found_in(place, text));
    }
    let mut files = Vec::new();
    files_under(&herald_data, &mut files);
    drop(herald);
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(logged.lines().count() > 50, "the log was written at debug");
    found.extend(secrets.found_in("the log", &logged));
    for (path, text) in &files {
        found.extend(secrets.found_in(path, text));
    }
    assert!(
        files.iter().any(|(p, _)| p.ends_with(".sqlite3")),
        "the read models were scanned"
    );
    assert!(found.is_empty(), "secrets found: {found:#?}");
}
