//! Driving campaigns that send: a template campaign on a connected
//! session, waiting for its run to end, and checking its counters against
//! its recipients and the fake's log.

use herald_application::campaigns::read_model::{CampaignDocument, RecipientDocument};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

use crate::app::TestApp;
use crate::wait::eventually;
use crate::whatsapp::{typed, TestSession, PATIENCE};
use herald_fake_graph::templates::FakeTemplate;

/// The template every test campaign sends: "Hi {{1}}, …", with `{{1}}`
/// filled by the recipient's name.
pub const TEMPLATE: &str = "spring_offer";

/// Registers [`TEMPLATE`] on the fake.
pub fn add_template(app: &TestApp) {
    app.graph.add_template(FakeTemplate::new(
        TEMPLATE,
        "en_US",
        "Hi {{1}}, spring is here: 20% off until Sunday.",
    ));
}

/// The `n` recipients of a test campaign: numbers from `+1650555` on, each
/// named after its place.
pub fn recipients(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({ "phoneNumber": format!("+1650555{i:04}"), "name": format!("Guest {i}") }))
        .collect()
}

/// A personalised template campaign on `session` to `recipients`, paced by
/// the number's throughput unless `delay` (milliseconds) is given.
pub fn template_campaign(session: &TestSession, recipients: &[Value], delay: Option<u32>) -> Value {
    json!({
        "campaignName": "Spring offer",
        "sessionId": session.id,
        "messageType": "template",
        "template": { "name": TEMPLATE, "language": "en_US", "variables": ["{{name|there}}"] },
        "personalize": true,
        "delayBetweenMessages": delay,
        "recipients": recipients,
    })
}

impl TestApp {
    /// Creates a campaign from `body` and starts it; gives its id.
    ///
    /// # Panics
    /// When Herald refuses either.
    pub async fn start_campaign(&self, body: &Value) -> String {
        let (id, _) = self.create_campaign_ok(body).await;
        let started = self.campaign_action(&id, "start").await;
        assert_eq!(
            started.status(),
            202,
            "start answered {}",
            started.text().await.unwrap_or_default()
        );
        id
    }

    /// The campaign document as the read model has it now; null while the
    /// read model does not have it yet.
    ///
    /// # Panics
    /// When it cannot be read.
    pub async fn campaign_now(&self, id: &str) -> Value {
        let response = self
            .request(Method::GET, &format!("/v1/campaigns/{id}"))
            .send()
            .await
            .expect("the request is sent");
        if response.status() == 404 {
            return Value::Null;
        }
        assert_eq!(response.status(), 200);
        typed::<CampaignDocument>(response.json().await.expect("a JSON document"))
    }

    /// Waits until the campaign's `status` is `status`, and gives it.
    pub async fn wait_for_campaign(&self, id: &str, status: &str, limit: Duration) -> Value {
        eventually(&format!("campaign {id} {status}"), limit, || async {
            let campaign = self.campaign_now(id).await;
            (campaign["status"] == status).then_some(campaign)
        })
        .await
    }

    /// Every recipient document of the campaign.
    ///
    /// # Panics
    /// When they cannot be read.
    pub async fn all_recipients(&self, id: &str) -> Vec<Value> {
        let mut all = Vec::new();
        for page in 1.. {
            let response = self
                .list_recipients(id, &format!("?limit=100&page={page}"))
                .await;
            assert_eq!(response.status(), 200);
            let body: Value = response.json().await.expect("a JSON list");
            let data = body["data"].as_array().cloned().unwrap_or_default();
            if data.is_empty() {
                break;
            }
            all.extend(data.into_iter().map(typed::<RecipientDocument>));
        }
        all
    }

    /// The sends the fake accepted, per recipient number.
    pub fn sends_per_recipient(&self) -> HashMap<String, usize> {
        let mut sends = HashMap::new();
        for sent in self.graph.sent_messages() {
            *sends.entry(format!("+{}", sent.wa_id)).or_default() += 1;
        }
        sends
    }
}

impl TestApp {
    /// Waits until the campaign's counters equal a recount of its
    /// recipients (two reads, so a webhook between them can make them
    /// differ for a moment), and gives both.
    pub async fn counters_agree(&self, id: &str) -> (Value, Vec<Value>) {
        eventually("the counters equal a recount", PATIENCE, || async {
            let campaign = self.campaign_now(id).await;
            let recipients = self.all_recipients(id).await;
            let (counters, recount) = counters_and_recount(&campaign, &recipients);
            (counters == recount).then_some((campaign, recipients))
        })
        .await
    }
}

/// A count per recipient status.
pub type Counts = Vec<(String, i64)>;

/// The counters of a campaign document by status, and the same counted
/// from its recipient documents.
pub fn counters_and_recount(campaign: &Value, recipients: &[Value]) -> (Counts, Counts) {
    let statuses = [
        "pending",
        "sent",
        "delivered",
        "read",
        "failed",
        "unknown",
        "not_sent",
    ];
    let counter = |status: &str| match status {
        "not_sent" => "notSentCount".to_owned(),
        other => format!("{other}Count"),
    };
    let counters = statuses
        .iter()
        .map(|s| ((*s).to_owned(), campaign[counter(s)].as_i64().unwrap_or(-1)))
        .collect();
    let recount = statuses
        .iter()
        .map(|s| {
            let n = recipients.iter().filter(|r| r["status"] == *s).count();
            ((*s).to_owned(), i64::try_from(n).unwrap_or(i64::MAX))
        })
        .collect();
    (counters, recount)
}
