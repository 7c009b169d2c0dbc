//! Campaigns sent by `herald serve` through faults, against the fake Graph
//! API (no throughput limit, every status webhook on):
//!
//! - 5,000 recipients while Herald is killed with SIGKILL at random
//!   moments and started again, twenty times;
//! - the nats-server killed mid-campaign and started again;
//! - two Herald nodes sharing a campaign, one of them killed.
//!
//! Afterwards the fake's log holds each recipient exactly once, the
//! campaign's counters equal both the fake's counts and a recount of its
//! recipients, and nothing is left unknown: a send cut off by a kill after
//! it reached the fake is settled by its status webhook, which carries
//! Herald's message id.
//!
//! One case cannot be told apart from the outside: a kill after a message
//! was claimed and before its request left the process. Such a message is
//! never resent by Herald alone (it might have reached Meta); it is
//! reported as unknown. The tests print how many there were, check that
//! none of them reached the fake, then ask Herald to send the campaign's
//! unknown recipients again, as a business would
//! (`POST /v1/campaigns/{id}/resend-unknown`), and check that each
//! recipient then reached the fake exactly once and is read.

mod support;

use herald_fake_graph::templates::FakeTemplate;
use herald_fake_graph::{FakeGraph, FakeGraphConfig, FakeNumber, WebhookConfig};
use herald_infrastructure::nats_server::{Durability, NatsServer, NatsServerConfig};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};
use support::{free_address, nats_server_binary, ServeOptions, Serving};

const TENANT: &str = "acme";

/// One test at a time: each kills processes and measures what a kill cuts
/// off, which two of them sharing two cores would stretch.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
const VERIFY_TOKEN: &str = "crash-verify";
/// How long a campaign may take, faults included.
const CAMPAIGN_LIMIT: Duration = Duration::from_secs(600);

/// A nats-server on a port of its own (so that it can be started again on
/// it), the fake Graph API, and what the nodes share.
struct Rig {
    client: reqwest::Client,
    nats: Option<NatsServer>,
    nats_config: NatsServerConfig,
    nats_url: String,
    graph: FakeGraph,
    number: FakeNumber,
    /// Where the fake posts webhooks: the first node's address.
    webhook_address: String,
    /// The tenant's API key, issued beside the first node asked.
    key: std::sync::OnceLock<String>,
    _nats_dir: tempfile::TempDir,
}

impl Rig {
    async fn start() -> Self {
        herald_infrastructure::tls::install_crypto_provider();
        let nats_dir = tempfile::tempdir().expect("a temporary folder");
        let port = free_address()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port");
        let nats_config = NatsServerConfig {
            binary: nats_server_binary(),
            data_dir: nats_dir.path().to_owned(),
            durability: Durability::Always,
            cluster: None,
            port: Some(port),
        };
        let nats = NatsServer::start(&nats_config)
            .await
            .expect("nats-server starts");
        let graph = FakeGraph::start(FakeGraphConfig {
            throughput_per_second: 1_000_000,
            webhooks: WebhookConfig {
                // Meta retries for days; Herald is down for seconds.
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
        let webhook_address = free_address();
        graph.set_webhook(
            format!("http://{webhook_address}/v1/webhooks/whatsapp"),
            VERIFY_TOKEN,
        );
        Self {
            client: reqwest::Client::new(),
            nats_url: nats.url().to_owned(),
            nats: Some(nats),
            nats_config,
            graph,
            number,
            webhook_address,
            key: std::sync::OnceLock::new(),
            _nats_dir: nats_dir,
        }
    }

    /// A `herald serve` on `data`, listening on `address`.
    async fn node(&self, data: &Path, address: &str) -> Serving {
        let options = ServeOptions {
            env: vec![
                ("HERALD_NATS_URL", self.nats_url.clone()),
                ("HERALD_GRAPH_API_URL", self.graph.base_url().to_owned()),
                ("HERALD_NUMBER_RATE", "1000".to_owned()),
                ("HERALD_WORK_ACK_WAIT_MS", "2000".to_owned()),
                ("HERALD_GRAPH_BACKOFF_MS", "10".to_owned()),
                // A send cut off by a kill waits this long for its webhook
                // before it counts as unknown.
                ("HERALD_SEND_ANSWER_WINDOW_MS", "5000".to_owned()),
                ("HERALD_SECRET_KEY", "5e".repeat(32)),
            ],
            address: Some(address.to_owned()),
            // Each node's log, when a folder for them is named.
            log: std::env::var_os("HERALD_TEST_LOG_DIR")
                .map(|dir| Path::new(&dir).join(format!("crash-node-{}.log", fastrand::u32(..)))),
            ..ServeOptions::default()
        };
        Serving::start_with(data, options).await
    }

    /// The node the fake's webhooks go to.
    async fn webhook_node(&self, data: &Path) -> Serving {
        self.node(data, &self.webhook_address.clone()).await
    }

    fn key(&self, node: &Serving) -> &str {
        self.key.get_or_init(|| node.api_key(TENANT))
    }

    async fn post(&self, node: &Serving, path: &str, body: &Value) -> Value {
        let answer = self
            .client
            .post(node.url(path))
            .bearer_auth(self.key(node))
            .json(body)
            .send()
            .await
            .expect("the request is sent");
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or_default();
        assert!(status.is_success(), "{status}: {body}");
        body
    }

    /// A connected session and a started campaign to `recipients` numbers;
    /// gives the campaign's id.
    async fn start_campaign(&self, node: &Serving, recipients: usize) -> String {
        let number = &self.number;
        let session = self
            .post(
                node,
                "/v1/sessions",
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
        let connect = format!("/v1/sessions/{session}/connect");
        let connected = self.post(node, &connect, &json!({})).await;
        assert_eq!(connected["status"], "connected", "{connected}");
        let audience: Vec<Value> = (0..recipients)
            .map(|i| json!({ "phoneNumber": format!("+1650{i:07}"), "name": format!("Guest {i}") }))
            .collect();
        let created = self
            .post(
                node,
                "/v1/campaigns",
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
        let start = format!("/v1/campaigns/{id}/start");
        self.post(node, &start, &json!({})).await;
        id
    }

    /// The nodes that recorded a send, from the event log.
    async fn nodes_that_sent(&self) -> std::collections::BTreeSet<String> {
        use futures::StreamExt;
        use herald_application::ports::event_feed::EventFeed;
        use herald_infrastructure::jetstream::{EventLog, EventLogConfig, JetStreamEventFeed};
        let log = EventLog::connect(&self.nats_url, EventLogConfig::default())
            .await
            .expect("the event log");
        let feed = JetStreamEventFeed::new(log);
        let head = feed.head().await.expect("the head");
        let commits = feed.subscribe(0).await.expect("the feed");
        let commits: Vec<_> = commits.take(head as usize).collect().await;
        commits
            .into_iter()
            .filter_map(Result::ok)
            .filter(|c| c.events.iter().any(|e| e.event_type == "MessageSent"))
            .filter_map(|c| c.metadata.get("node").cloned())
            .collect()
    }

    fn sends(&self) -> usize {
        self.graph.sent_count()
    }

    async fn campaign(&self, node: &Serving, id: &str) -> Option<Value> {
        let answer = self
            .client
            .get(node.url(&format!("/v1/campaigns/{id}")))
            .bearer_auth(self.key(node))
            .send()
            .await
            .ok()?;
        answer.status().is_success().then_some(())?;
        answer.json().await.ok()
    }

    async fn recipients(&self, node: &Serving, id: &str) -> Vec<Value> {
        let mut all = Vec::new();
        for page in 1.. {
            let path = format!("/v1/campaigns/{id}/recipients?limit=100&page={page}");
            let answer = self
                .client
                .get(node.url(&path))
                .bearer_auth(self.key(node))
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

    /// Waits for the campaign to complete and its counters to settle, then
    /// checks every recipient was sent to once, and the counters against
    /// the fake and a recount.
    async fn check_sent_once(&self, node: &Serving, id: &str, total: usize) {
        let started = Instant::now();
        let deadline = started + CAMPAIGN_LIMIT;
        loop {
            let now = self.campaign(node, id).await;
            let done = now
                .as_ref()
                .is_some_and(|c| c["status"] == "completed" && c["pendingCount"] == 0);
            if done {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the campaign did not complete: {now:?}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let (sends, recipients) = self.settled(node, id, total, None, deadline).await;
        let unknown: Vec<String> = recipients
            .iter()
            .filter(|r| r["status"] == "unknown")
            .map(|r| r["phoneNumber"].as_str().unwrap_or_default().to_owned())
            .collect();
        println!(
            "{} recipients sent once, {} unknown (cut off between claim and request)",
            sends.len(),
            unknown.len()
        );
        for number in &unknown {
            assert!(
                !sends.contains_key(number),
                "{number} reached the fake, yet is unknown"
            );
        }
        assert_eq!(sends.len() + unknown.len(), total);
        if unknown.is_empty() {
            return;
        }

        // Herald never resends an unknown send on its own; the business
        // may ask, and then each of them reaches the fake once.
        let resend = format!("/v1/campaigns/{id}/resend-unknown");
        self.post(node, &resend, &json!({})).await;
        let (sends, _) = self.settled(node, id, total, Some(0), deadline).await;
        assert_eq!(sends.len(), total, "every recipient at the fake once");
        let campaign = self.campaign(node, id).await.unwrap_or_default();
        assert_eq!(campaign["unknownCount"], 0, "{campaign}");
        assert_eq!(campaign["readCount"], total, "{campaign}");
    }

    /// Once every status webhook the fake posted has reached Herald: the
    /// fake's sends by recipient (none twice) and the campaign's
    /// recipients, whose recount equals the campaign's counters, every one
    /// of them read or unknown (`unknown` of them, when given), and none
    /// failed or not sent.
    async fn settled(
        &self,
        node: &Serving,
        id: &str,
        total: usize,
        unknown_expected: Option<usize>,
        deadline: Instant,
    ) -> (HashMap<String, usize>, Vec<Value>) {
        let count = |recipients: &[Value], status: &str| {
            recipients.iter().filter(|r| r["status"] == status).count() as i64
        };
        loop {
            let mut sends: HashMap<String, usize> = HashMap::new();
            for sent in self.graph.sent_messages() {
                *sends.entry(format!("+{}", sent.wa_id)).or_default() += 1;
            }
            let twice: Vec<_> = sends.iter().filter(|(_, n)| **n > 1).collect();
            assert!(twice.is_empty(), "sent twice: {twice:?}");
            let campaign = self.campaign(node, id).await.unwrap_or_default();
            let recipients = self.recipients(node, id).await;
            let recount_agrees = ["pending", "sent", "delivered", "read", "failed", "unknown"]
                .iter()
                .all(|s| campaign[format!("{s}Count")] == count(&recipients, s));
            let read = campaign["readCount"].as_u64().unwrap_or_default() as usize;
            let unknown = campaign["unknownCount"].as_u64().unwrap_or_default() as usize;
            let as_expected = unknown_expected.is_none_or(|expected| unknown == expected);
            if recount_agrees && as_expected && read + unknown == total && read == sends.len() {
                assert_eq!(campaign["notSentCount"], 0);
                assert_eq!(campaign["failedCount"], 0);
                return (sends, recipients);
            }
            assert!(
                Instant::now() < deadline,
                "the counters did not settle: {campaign}, {} sends at the fake",
                sends.len()
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_killed_twenty_times_sends_each_recipient_once() {
    let _alone = ONE_AT_A_TIME.lock().await;
    const RECIPIENTS: usize = 5_000;
    const KILLS: usize = 20;
    let rig = Rig::start().await;
    let data = tempfile::tempdir().expect("a temporary folder");
    let mut node = rig.webhook_node(data.path()).await;
    let id = rig.start_campaign(&node, RECIPIENTS).await;

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
            rig.sends()
        );
        node = rig.webhook_node(data.path()).await;
    }

    rig.check_sent_once(&node, &id, RECIPIENTS).await;
    println!("done {:?} after the first kill", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_stalls_while_nats_is_down_then_carries_on() {
    let _alone = ONE_AT_A_TIME.lock().await;
    const RECIPIENTS: usize = 2_000;
    let mut rig = Rig::start().await;
    let data = tempfile::tempdir().expect("a temporary folder");
    let node = rig.webhook_node(data.path()).await;
    let id = rig.start_campaign(&node, RECIPIENTS).await;
    let deadline = Instant::now() + CAMPAIGN_LIMIT;
    while rig.sends() < 200 {
        assert!(Instant::now() < deadline, "the campaign never got going");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    rig.nats.take().expect("nats-server").kill().await;
    // Sends already past their claim may still go out; then nothing can.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let stalled = rig.sends();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(rig.sends(), stalled, "sends went on without the event log");
    println!("{stalled} sends when nats-server went down");
    rig.nats = Some(
        NatsServer::start(&rig.nats_config)
            .await
            .expect("nats-server starts again on its port"),
    );

    rig.check_sent_once(&node, &id, RECIPIENTS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_a_campaign_and_one_carries_on_when_the_other_dies() {
    let _alone = ONE_AT_A_TIME.lock().await;
    const RECIPIENTS: usize = 2_000;
    let rig = Rig::start().await;
    let (first_data, second_data) = (
        tempfile::tempdir().expect("a temporary folder"),
        tempfile::tempdir().expect("a temporary folder"),
    );
    let survivor = rig.webhook_node(first_data.path()).await;
    let mut doomed = rig.node(second_data.path(), &free_address()).await;
    let id = rig.start_campaign(&survivor, RECIPIENTS).await;
    let deadline = Instant::now() + CAMPAIGN_LIMIT;
    while rig.sends() < 300 {
        assert!(Instant::now() < deadline, "the campaign never got going");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    doomed.signal("KILL");
    doomed.wait_for_exit().await;
    println!("{} sends when the second node died", rig.sends());

    rig.check_sent_once(&survivor, &id, RECIPIENTS).await;
    let senders = rig.nodes_that_sent().await;
    assert_eq!(senders.len(), 2, "both nodes sent: {senders:?}");
}
