//! A campaign of 5,000 recipients sent by `herald serve` while it is killed
//! with SIGKILL at random moments and started again, twenty times, against
//! the fake Graph API (no throughput limit, every status webhook on).
//!
//! Afterwards the fake's log holds each recipient exactly once, the
//! campaign's counters equal both the fake's counts and a recount of its
//! recipients, and nothing is left unknown: a send cut off by a kill after
//! it reached the fake is settled by its status webhook, which carries
//! Herald's message id.
//!
//! One case cannot be told apart from the outside: a kill after a message
//! was claimed and before its request left the process. Such a message is
//! never resent (it might have reached Meta); it is reported as unknown.
//! The test prints how many there were, and holds the invariants for every
//! other recipient.

mod support;

use herald_fake_graph::templates::FakeTemplate;
use herald_fake_graph::{FakeGraph, FakeGraphConfig, FakeNumber, WebhookConfig};
use herald_infrastructure::nats_server::{Durability, NatsServer, NatsServerConfig};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::{free_address, nats_server_binary, ServeOptions, Serving};

const RECIPIENTS: usize = 5_000;
const KILLS: usize = 20;
const TENANT: &str = "acme";
const VERIFY_TOKEN: &str = "crash-verify";
/// How long the whole campaign may take, kills and restarts included.
const CAMPAIGN_LIMIT: Duration = Duration::from_secs(600);

async fn post(client: &reqwest::Client, url: String, body: &Value) -> Value {
    let answer = client
        .post(url)
        .header("X-Tenant-Id", TENANT)
        .json(body)
        .send()
        .await
        .expect("the request is sent");
    let status = answer.status();
    let body: Value = answer.json().await.unwrap_or_default();
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// The campaign document, when the node answers.
async fn campaign(client: &reqwest::Client, node: &Serving, id: &str) -> Option<Value> {
    let answer = client
        .get(node.url(&format!("/v1/campaigns/{id}")))
        .header("X-Tenant-Id", TENANT)
        .send()
        .await
        .ok()?;
    answer.status().is_success().then_some(())?;
    answer.json().await.ok()
}

/// Every recipient document of the campaign.
async fn recipients(client: &reqwest::Client, node: &Serving, id: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for page in 1.. {
        let url = node.url(&format!(
            "/v1/campaigns/{id}/recipients?limit=100&page={page}"
        ));
        let answer = client
            .get(url)
            .header("X-Tenant-Id", TENANT)
            .send()
            .await
            .expect("the request is sent");
        let body: Value = answer.json().await.expect("a JSON list");
        let data = body["data"].as_array().cloned().unwrap_or_default();
        if data.is_empty() {
            return all;
        }
        all.extend(data);
    }
    all
}

fn count(recipients: &[Value], status: &str) -> i64 {
    recipients.iter().filter(|r| r["status"] == status).count() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_killed_twenty_times_sends_each_recipient_once() {
    herald_infrastructure::tls::install_crypto_provider();
    let client = reqwest::Client::new();
    let nats_dir = tempfile::tempdir().expect("a temporary folder");
    let nats = NatsServer::start(&NatsServerConfig {
        binary: nats_server_binary(),
        data_dir: nats_dir.path().to_owned(),
        durability: Durability::Always,
        cluster: None,
    })
    .await
    .expect("nats-server starts");
    let graph = FakeGraph::start(FakeGraphConfig {
        throughput_per_second: 1_000_000,
        webhooks: WebhookConfig {
            // Meta retries for days; Herald is down for seconds at a time.
            retry_base_delay: Duration::from_millis(200),
            max_attempts: 12,
            ..WebhookConfig::default()
        },
        ..FakeGraphConfig::default()
    })
    .await
    .expect("the fake starts");
    let number = FakeNumber::default();
    graph.add_number(number.clone());
    graph.add_template(FakeTemplate::new(
        "spring_offer",
        "en_US",
        "Hi {{1}}, spring is here.",
    ));
    let address = free_address();
    graph.set_webhook(
        format!("http://{address}/v1/webhooks/whatsapp"),
        VERIFY_TOKEN,
    );
    let data = tempfile::tempdir().expect("a temporary folder");
    let options = || ServeOptions {
        env: vec![
            ("HERALD_NATS_URL", nats.url().to_owned()),
            ("HERALD_GRAPH_API_URL", graph.base_url().to_owned()),
            ("HERALD_NUMBER_RATE", "1000".to_owned()),
            ("HERALD_WORK_ACK_WAIT_MS", "2000".to_owned()),
            ("HERALD_GRAPH_BACKOFF_MS", "10".to_owned()),
        ],
        address: Some(address.clone()),
        // Each node's log, when a folder for them is named.
        log: std::env::var_os("HERALD_TEST_LOG_DIR").map(|dir| {
            std::path::PathBuf::from(dir).join(format!("crash-node-{}.log", fastrand::u32(..)))
        }),
        ..ServeOptions::default()
    };
    let mut node = Serving::start_with(data.path(), options()).await;

    let session = post(
        &client,
        node.url("/v1/sessions"),
        &json!({
            "phoneNumber": format!("+{}", number.display_phone_number),
            "sessionName": "Crash line",
            "phoneNumberId": number.phone_number_id,
            "wabaId": number.waba_id,
            "accessToken": number.access_token,
            "appSecret": number.app_secret,
            "webhookVerifyToken": VERIFY_TOKEN,
        }),
    )
    .await["id"]
        .as_str()
        .expect("a session id")
        .to_owned();
    let connected = post(
        &client,
        node.url(&format!("/v1/sessions/{session}/connect")),
        &json!({}),
    )
    .await;
    assert_eq!(connected["status"], "connected", "{connected}");
    let audience: Vec<Value> = (0..RECIPIENTS)
        .map(|i| json!({ "phoneNumber": format!("+1650{i:07}"), "name": format!("Guest {i}") }))
        .collect();
    let created = post(
        &client,
        node.url("/v1/campaigns"),
        &json!({
            "campaignName": "Crash test",
            "sessionId": session,
            "messageType": "template",
            "template": { "name": "spring_offer", "language": "en_US", "variables": ["{{name}}"] },
            "personalize": true,
            "recipients": audience,
        }),
    )
    .await;
    let id = created["id"].as_str().expect("a campaign id").to_owned();
    post(
        &client,
        node.url(&format!("/v1/campaigns/{id}/start")),
        &json!({}),
    )
    .await;

    let seed = fastrand::u64(..);
    println!("kill schedule seed: {seed}");
    let mut rng = fastrand::Rng::with_seed(seed);
    let started = Instant::now();
    for kill in 1..=KILLS {
        tokio::time::sleep(Duration::from_millis(rng.u64(300..1_500))).await;
        node.signal("KILL");
        node.wait_for_exit().await;
        println!(
            "kill {kill} at {:?}: {} sends at the fake",
            started.elapsed(),
            graph.sent_messages().len()
        );
        node = Serving::start_with(data.path(), options()).await;
    }

    let deadline = Instant::now() + CAMPAIGN_LIMIT;
    let done = loop {
        if let Some(done) = campaign(&client, &node, &id)
            .await
            .filter(|c| c["status"] == "completed" && c["pendingCount"] == 0)
        {
            break done;
        }
        if Instant::now() > deadline {
            let now = campaign(&client, &node, &id).await;
            panic!("the campaign did not complete: {now:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    println!(
        "completed at {:?} after {KILLS} kills: {done}",
        started.elapsed()
    );

    let mut sends: HashMap<String, usize> = HashMap::new();
    for sent in graph.sent_messages() {
        *sends.entry(format!("+{}", sent.wa_id)).or_default() += 1;
    }
    let twice: Vec<_> = sends.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");

    // Every status webhook the fake posts reaches Herald in the end: wait
    // for the counters to settle where the fake's log says they must.
    let deadline = Instant::now() + CAMPAIGN_LIMIT;
    let (campaign, recipients) = loop {
        let campaign = campaign(&client, &node, &id).await.unwrap_or_default();
        let recipients = recipients(&client, &node, &id).await;
        let recount_agrees = ["pending", "sent", "delivered", "read", "failed", "unknown"]
            .iter()
            .all(|s| campaign[format!("{s}Count")] == count(&recipients, s));
        let read = campaign["readCount"].as_u64().unwrap_or_default() as usize;
        let unknown = campaign["unknownCount"].as_u64().unwrap_or_default() as usize;
        if recount_agrees && read + unknown == RECIPIENTS && read == sends.len() {
            break (campaign, recipients);
        }
        assert!(
            Instant::now() < deadline,
            "the counters did not settle: {campaign}, {} sends at the fake",
            sends.len()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let unknown: Vec<&Value> = recipients
        .iter()
        .filter(|r| r["status"] == "unknown")
        .collect();
    println!(
        "{} recipients sent once, {} unknown (killed between claim and request)",
        sends.len(),
        unknown.len()
    );
    for recipient in &unknown {
        let number = recipient["phoneNumber"].as_str().unwrap_or_default();
        assert!(
            !sends.contains_key(number),
            "{number} reached the fake, yet is unknown"
        );
    }
    assert_eq!(campaign["notSentCount"], 0);
    assert_eq!(campaign["failedCount"], 0);
    assert_eq!(sends.len() + unknown.len(), RECIPIENTS);
    assert!(
        unknown.len() <= KILLS,
        "a kill cuts off at most the sends it lands between: {} unknown",
        unknown.len()
    );
    drop(node);
    nats.stop().await;
}
