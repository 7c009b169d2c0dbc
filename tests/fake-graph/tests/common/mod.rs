//! Shared arrangements for the fake's own tests: a started fake with one
//! number, a client that speaks to it like Herald would, a webhook receiver,
//! and polling with a deadline.
// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

pub mod receiver;

use receiver::Receiver;

use std::future::Future;
use std::time::Duration;

use herald_fake_graph::{FakeGraph, FakeGraphConfig, FakeNumber, StatusSchedule};
use serde_json::{json, Value};

pub const USER: &str = "+16505551234";
pub const USER_WA_ID: &str = "16505551234";

pub struct TestGraph {
    pub fake: FakeGraph,
    pub number: FakeNumber,
    pub client: reqwest::Client,
}

/// A fake with the default number, its window with [`USER`] open.
pub async fn start() -> TestGraph {
    start_with(FakeGraphConfig::default()).await
}

pub async fn start_with(config: FakeGraphConfig) -> TestGraph {
    let fake = FakeGraph::start(config).await.expect("fake starts");
    let number = FakeNumber::default();
    fake.add_number(number.clone());
    fake.open_window(&number.phone_number_id, USER_WA_ID);
    TestGraph {
        fake,
        number,
        client: reqwest::Client::new(),
    }
}

/// An HTTP answer: status and JSON body (`Null` when not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn error_code(&self) -> Option<u64> {
        self.body["error"]["code"].as_u64()
    }

    pub fn wamid(&self) -> String {
        self.body["messages"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl TestGraph {
    pub fn url(&self, path: &str) -> String {
        format!("{}/v23.0/{path}", self.fake.base_url())
    }

    /// Sends `body` to the number's `/messages` with its token.
    pub async fn send(&self, body: &Value) -> Answer {
        self.send_with_token(body, &self.number.access_token)
            .await
            .expect("the fake answers")
    }

    pub async fn send_with_token(
        &self,
        body: &Value,
        token: &str,
    ) -> Result<Answer, reqwest::Error> {
        let url = self.url(&format!("{}/messages", self.number.phone_number_id));
        let response = self
            .client
            .post(url)
            .bearer_auth(token)
            .json(body)
            .send()
            .await?;
        answer(response).await
    }

    pub async fn send_text(&self, to: &str, text: &str) -> Answer {
        self.send(&text_message(to, text)).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(&self.number.access_token)
            .send()
            .await;
        answer(response.expect("the fake answers"))
            .await
            .expect("a body")
    }
}

pub async fn answer(response: reqwest::Response) -> Result<Answer, reqwest::Error> {
    let status = response.status().as_u16();
    let bytes = response.bytes().await?;
    Ok(Answer {
        status,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    })
}

pub fn text_message(to: &str, text: &str) -> Value {
    json!({"messaging_product":"whatsapp","recipient_type":"individual","to":to,"type":"text","text":{"body":text}})
}

/// Calls `check` until it gives `Some`, failing after `limit`.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} did not happen within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Every status object in a webhook body, across entries and changes.
pub fn statuses(body: &Value) -> Vec<Value> {
    let changes = body["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["changes"].as_array().into_iter().flatten());
    changes
        .flat_map(|c| {
            c["value"]["statuses"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

// --- Webhook arrangements: a fake wired to a receiver that checks signatures.

pub const LIMIT: Duration = Duration::from_secs(5);

pub async fn wired(config: FakeGraphConfig) -> (TestGraph, Receiver) {
    let graph = start_with(config).await;
    let receiver = Receiver::start(&graph.number.app_secret, "verify-me").await;
    graph.fake.set_webhook(&receiver.url, "verify-me");
    (graph, receiver)
}

pub fn quiet() -> FakeGraphConfig {
    FakeGraphConfig {
        status_schedule: StatusSchedule::none(),
        ..FakeGraphConfig::default()
    }
}

/// `(status, wamid)` of every status the receiver accepted, in arrival order.
pub fn received_statuses(receiver: &Receiver) -> Vec<(String, String)> {
    let posts = receiver.accepted();
    let all = posts.iter().flat_map(|p| statuses(&p.json));
    all.map(|s| {
        (
            s["status"].as_str().unwrap_or_default().to_owned(),
            s["id"].as_str().unwrap_or_default().to_owned(),
        )
    })
    .collect()
}

pub async fn wait_for_posts(receiver: &Receiver, count: usize) {
    eventually("webhook posts", LIMIT, || async {
        (receiver.accepted().len() >= count).then_some(())
    })
    .await;
}
