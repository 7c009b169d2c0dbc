//! Herald on a free port with its own `nats-server` and data folder, and a
//! client with helpers named after what users do.

use herald_api::{Herald, Settings};
use herald_domain::campaign::{
    CampaignDefinition, CampaignMessage, CampaignName, Delay, Description, NewCampaign, Recipient,
    Schedule,
};
use herald_domain::{SessionId, TenantId};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use tempfile::TempDir;
use uuid::Uuid;

use crate::nats::{nats_server_binary, TestNats};
use crate::stores;
use herald_fake_graph::{FakeGraph, FakeGraphConfig};
use herald_projections::stores::MongoReadStore;

pub struct TestApp {
    pub address: String,
    /// The fake Graph API this Herald talks to.
    pub graph: FakeGraph,
    pub client: reqwest::Client,
    /// A tenant of this test's own.
    pub tenant: String,
    /// An API key of that tenant with every permission, which
    /// [`TestApp::request`] sends.
    pub api_key: String,
    /// Keys made for other tenants a test acts as ([`TestApp::request_as`]).
    other_keys: tokio::sync::Mutex<HashMap<String, String>>,
    pub herald: Herald,
    /// The settings Herald started with.
    pub settings: Settings,
    server: tokio::task::JoinHandle<()>,
    pub nats: TestNats,
    pub data: TempDir,
    /// The session `campaign_body()`'s `"main-number"` stands for.
    campaign_session: tokio::sync::OnceCell<String>,
}

/// Starts Herald against a fresh `nats-server`, SQLite read store and fake
/// Graph API.
///
/// # Panics
/// When anything fails to start.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(FakeGraphConfig::default()).await
}

/// As [`spawn_app`], with the fake Graph API configured as given.
///
/// # Panics
/// When anything fails to start.
pub async fn spawn_app_with(graph: FakeGraphConfig) -> TestApp {
    spawn_app_with_settings(graph, |_| {}).await
}

/// As [`spawn_app_with`], with Herald's settings changed by `adjust` after
/// the test's own are made (the fake's URL among them).
///
/// # Panics
/// When anything fails to start.
pub async fn spawn_app_with_settings(
    graph: FakeGraphConfig,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    let graph = FakeGraph::start(graph)
        .await
        .expect("the fake Graph API starts");
    let nats = TestNats::start().await;
    let data = tempfile::tempdir().expect("a temporary folder");
    let mut settings = settings(&nats, &data);
    settings.graph_api_url = graph.base_url().to_owned();
    stores::point_at_store(&mut settings, &stores::fresh_database());
    adjust(&mut settings);
    // Boxed, as every large future here: a test's future holds what it
    // awaits, and it runs on a test thread's stack.
    let herald = Box::pin(Herald::start(&settings))
        .await
        .expect("Herald starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = format!("http://{}", listener.local_addr().expect("an address"));
    let server = tokio::spawn(herald.serve(listener, std::future::pending()));
    let tenant = format!("tenant-{}", Uuid::new_v4().simple());
    let api_key = Box::pin(issue_key(&herald, &tenant)).await;
    TestApp {
        address,
        graph,
        client: http_client(),
        tenant,
        api_key,
        other_keys: tokio::sync::Mutex::new(HashMap::new()),
        herald,
        settings,
        server,
        nats,
        data,
        campaign_session: tokio::sync::OnceCell::new(),
    }
}

/// An API key of `tenant` with every permission, made as the operator's
/// `herald accounts issue-key` makes one; the tenant is given limits
/// agreed apart from the tiers, none at all (`herald subscriptions
/// set-limits --unlimited`), so that tests send what they need. Tests of
/// the plans sign up tenants of their own, on the free plan.
///
/// # Panics
/// When `tenant` is not a tenant id, or Herald refuses.
pub async fn issue_key(herald: &Herald, tenant: &str) -> String {
    use herald_domain::account::{KeyName, Permission};
    use herald_domain::subscription::{Limit, Limits, SubscriptionCommand};
    let tenant = TenantId::parse(tenant).expect("a tenant id");
    let metadata = herald_application::CommandMetadata::new(tenant.clone(), "operator");
    let unlimited = Limits {
        max_sessions: Limit::Unlimited,
        max_messages_per_day: Limit::Unlimited,
        max_campaigns_per_month: Limit::Unlimited,
        max_chatbots: Limit::Unlimited,
    };
    herald
        .state()
        .subscriptions
        .execute(
            &tenant,
            SubscriptionCommand::SetCustomLimits(Some(unlimited)),
            &metadata,
        )
        .await
        .expect("the tenant's limits are set");
    herald
        .state()
        .api_keys
        .create(
            &tenant,
            KeyName::parse("tests").expect("a key name"),
            vec![Permission::Admin],
            None,
            None,
            &metadata,
        )
        .await
        .expect("a key is made")
        .secret
}

/// The first back-off after a temporary Graph error, in every test's Herald.
pub const GRAPH_BACKOFF: Duration = Duration::from_millis(10);
/// The wait after 131057 (business account in maintenance).
pub const GRAPH_MAINTENANCE_WAIT: Duration = Duration::from_millis(50);
/// The unit of the 4^X wait after 131056 (pair rate limit).
pub const GRAPH_PAIR_BACKOFF: Duration = Duration::from_millis(10);

/// Settings for a Herald on the test's server and folder.
pub fn settings(nats: &TestNats, data: &TempDir) -> Settings {
    settings_on_nats(&nats.url(), data)
}

/// Settings for a Herald on the NATS server or cluster at `urls`.
pub fn settings_on_nats(urls: &str, data: &TempDir) -> Settings {
    let vars = HashMap::from([
        ("HERALD_NATS_URL".to_owned(), urls.to_owned()),
        (
            "HERALD_DATA_DIR".to_owned(),
            data.path().display().to_string(),
        ),
        (
            "HERALD_NATS_SERVER_BIN".to_owned(),
            nats_server_binary().display().to_string(),
        ),
        ("HERALD_READ_WAIT_MS".to_owned(), "10000".to_owned()),
        // Retries as in production, only faster.
        (
            "HERALD_GRAPH_BACKOFF_MS".to_owned(),
            GRAPH_BACKOFF.as_millis().to_string(),
        ),
        (
            "HERALD_GRAPH_MAINTENANCE_WAIT_MS".to_owned(),
            GRAPH_MAINTENANCE_WAIT.as_millis().to_string(),
        ),
        (
            "HERALD_GRAPH_PAIR_BACKOFF_MS".to_owned(),
            GRAPH_PAIR_BACKOFF.as_millis().to_string(),
        ),
        // Tests send at the rates they measure; the rate limits have tests
        // of their own, which set them.
        ("HERALD_RATE_TENANT_PER_SECOND".to_owned(), "0".to_owned()),
        ("HERALD_RATE_IP_PER_SECOND".to_owned(), "0".to_owned()),
    ]);
    Settings::from_map(&vars).expect("valid test settings")
}

/// A text campaign named `name` on the session `main`, sent at once, as
/// the campaign service takes it; for tests that act below the HTTP API.
///
/// # Panics
/// When `name` is not a campaign name.
pub fn new_campaign(name: &str, recipients: Vec<Recipient>) -> NewCampaign {
    NewCampaign {
        definition: CampaignDefinition {
            name: CampaignName::parse(name).expect("a campaign name"),
            description: Description::default(),
            session_id: SessionId::parse("main").expect("a session id"),
            message: CampaignMessage::Text { body: "Hi".into() },
            delay: Some(Delay::default()),
            personalize: false,
        },
        schedule: Schedule::Immediate,
        recipients,
    }
}

/// A campaign named `name` on a session `herald` makes for `tenant` (its
/// services refuse a campaign on a session the tenant does not have).
///
/// # Panics
/// When the session cannot be made.
pub async fn new_campaign_on(herald: &Herald, tenant: &TenantId, name: &str) -> NewCampaign {
    use herald_application::sessions::{ChannelCredentials, SessionRegistration};
    use herald_domain::session::{session_id_for, GraphId};
    let phone_number = herald_domain::PhoneNumber::parse("+15550009999").expect("a number");
    let registration = SessionRegistration {
        phone_number: phone_number.clone(),
        name: None,
        credentials: ChannelCredentials {
            phone_number_id: GraphId::parse("900000000000001").expect("an id"),
            waba_id: GraphId::parse("900000000000002").expect("an id"),
            access_token: "campaign-token".into(),
            app_secret: "campaign-secret".into(),
            webhook_verify_token: "verify".into(),
        },
        throughput: None,
    };
    let metadata = herald_application::CommandMetadata::new(tenant.clone(), "test");
    // Made by an earlier call, or now.
    let _ = herald
        .state()
        .sessions
        .create(registration, &metadata)
        .await;
    let mut campaign = new_campaign(name, Vec::new());
    campaign.definition.session_id = session_id_for(tenant, &phone_number);
    campaign
}

/// A campaign body that is valid as it is; tests change what they test.
pub fn campaign_body() -> Value {
    json!({
        "campaignName": "Winter sale",
        "description": "For the loyal ones",
        "sessionId": "main-number",
        "messageType": "text",
        "messageContent": "Hi {{name|there}}, 20% off today",
        "delayBetweenMessages": 10000,
        "personalize": true,
        "recipients": ["+14155550100", { "phoneNumber": "+14155550101", "name": "Ann", "customData": { "city": "Lahore" } }]
    })
}

impl TestApp {
    /// A request as this test's tenant, with its admin API key.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.request_with_key(&self.api_key, method, path)
    }

    /// A request as `tenant`, with an admin API key made for it on first use.
    pub async fn request_as(&self, tenant: &str, method: Method, path: &str) -> RequestBuilder {
        let key = {
            let mut keys = self.other_keys.lock().await;
            match keys.get(tenant) {
                Some(key) => key.clone(),
                None => {
                    let key = Box::pin(issue_key(&self.herald, tenant)).await;
                    keys.insert(tenant.to_owned(), key.clone());
                    key
                }
            }
        };
        self.request_with_key(&key, method, path)
    }

    /// A request with `token` (an API key or an access token) as its bearer.
    pub fn request_with_key(&self, token: &str, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(token)
    }

    /// Posts `body` as it is, declared as JSON: for bodies a JSON
    /// serialiser would not write.
    pub async fn post_raw_json(&self, path: &str, body: String) -> Response {
        self.request(Method::POST, path)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("the request is sent")
    }

    /// Creates a campaign from `body`. A `sessionId` of `"main-number"`
    /// (as [`campaign_body`] has) stands for a connected session of this
    /// test's tenant, made on first use: a campaign must name a session its
    /// tenant has. (A started [`campaign_body`] sends its first message at
    /// once and its second ten seconds later.)
    pub async fn create_campaign(&self, body: &Value) -> Response {
        let mut body = body.clone();
        if body["sessionId"] == "main-number" {
            body["sessionId"] = Value::from(self.campaign_session().await);
        }
        self.request(Method::POST, "/v1/campaigns")
            .json(&body)
            .send()
            .await
            .expect("the request is sent")
    }

    /// The id of the tenant's session `"main-number"` stands for.
    ///
    /// # Panics
    /// When Herald refuses to create or connect it.
    pub async fn campaign_session(&self) -> String {
        self.campaign_session
            .get_or_init(|| async { self.connected_session_for(campaign_number()).await.id })
            .await
            .clone()
    }

    /// Creates a campaign that must be accepted; gives its id and position.
    ///
    /// # Panics
    /// When Herald does not answer 201.
    pub async fn create_campaign_ok(&self, body: &Value) -> (String, u64) {
        let response = self.create_campaign(body).await;
        assert_eq!(
            response.status(),
            201,
            "create answered {}",
            response.text().await.unwrap_or_default()
        );
        receipt(response).await
    }

    pub async fn edit_campaign(&self, id: &str, body: &Value) -> Response {
        self.request(Method::PATCH, &format!("/v1/campaigns/{id}"))
            .json(body)
            .send()
            .await
            .expect("the request is sent")
    }

    /// `action` is one of schedule, start, pause, resume, stop.
    pub async fn campaign_action(&self, id: &str, action: &str) -> Response {
        self.request(Method::POST, &format!("/v1/campaigns/{id}/{action}"))
            .send()
            .await
            .expect("the request is sent")
    }

    pub async fn schedule_campaign(&self, id: &str, schedule: &Value) -> Response {
        self.request(Method::POST, &format!("/v1/campaigns/{id}/schedule"))
            .json(&json!({ "schedule": schedule }))
            .send()
            .await
            .expect("the request is sent")
    }

    pub async fn add_recipients(&self, id: &str, recipients: &Value) -> Response {
        self.request(Method::POST, &format!("/v1/campaigns/{id}/recipients"))
            .json(&json!({ "recipients": recipients }))
            .send()
            .await
            .expect("the request is sent")
    }

    /// Reads a campaign once projections have reached `position`.
    pub async fn get_campaign(&self, id: &str, position: u64) -> Response {
        self.request(
            Method::GET,
            &format!("/v1/campaigns/{id}?minPosition={position}"),
        )
        .send()
        .await
        .expect("the request is sent")
    }

    /// The campaign document as of `position`.
    ///
    /// # Panics
    /// When it is not there.
    pub async fn campaign(&self, id: &str, position: u64) -> Value {
        let response = self.get_campaign(id, position).await;
        assert_eq!(
            response.status(),
            200,
            "read answered {}",
            response.text().await.unwrap_or_default()
        );
        response.json().await.expect("a JSON document")
    }

    pub async fn list_campaigns(&self, query: &str) -> Response {
        self.request(Method::GET, &format!("/v1/campaigns{query}"))
            .send()
            .await
            .expect("the request is sent")
    }

    pub async fn list_recipients(&self, id: &str, query: &str) -> Response {
        self.request(
            Method::GET,
            &format!("/v1/campaigns/{id}/recipients{query}"),
        )
        .send()
        .await
        .expect("the request is sent")
    }

    /// Appends to the event log, under this test's tenant, a commit no
    /// projection can read, as a bug or a foreign writer could; gives its
    /// position.
    ///
    /// # Panics
    /// When the event log does not take it.
    pub async fn append_unreadable_commit(&self) -> u64 {
        let log = self.herald.event_log();
        let subject = format!(
            "{}.{}.campaign.{}",
            log.config().subject_prefix,
            self.tenant,
            Uuid::now_v7()
        );
        let jetstream = async_nats::jetstream::new(log.client());
        let ack = jetstream
            .publish(subject, "not a commit".into())
            .await
            .expect("the publish is sent")
            .await
            .expect("the event log takes it");
        ack.sequence
    }

    /// Stops the HTTP server, Herald, and its servers, and drops the
    /// test's MongoDB database if it had one.
    pub async fn stop(self) {
        self.server.abort();
        self.herald.stop().await;
        if let Some(uri) = &self.settings.mongodb_uri {
            if let Ok(mongo) = MongoReadStore::connect(uri, &self.settings.mongodb_database).await {
                let _ = mongo.drop_database().await;
            }
        }
    }
}

/// The number of the sessions campaigns name in tests that do not send.
fn campaign_number() -> herald_fake_graph::FakeNumber {
    herald_fake_graph::FakeNumber::new(
        "900000000000001",
        "900000000000002",
        "15550009999",
        "campaign-token",
        "campaign-secret",
    )
}

/// Creates a session (not connected) on the Herald at `address`, for the
/// tenant of `key`, for campaigns to name; gives its id.
///
/// # Panics
/// When Herald refuses it.
pub async fn create_session(client: &reqwest::Client, address: &str, key: &str) -> String {
    let number = campaign_number();
    let created = client
        .post(format!("{address}/v1/sessions"))
        .bearer_auth(key)
        .json(&crate::whatsapp::session_body(&number))
        .send()
        .await
        .expect("the request is sent");
    assert_eq!(created.status(), 201, "the campaigns' session is created");
    receipt(created).await.0
}

/// `{"id", "position"}` of a command's answer.
///
/// # Panics
/// When the answer has no such fields.
pub async fn receipt(response: Response) -> (String, u64) {
    let body: Value = response.json().await.expect("a JSON answer");
    let id = body["id"].as_str().expect("an id").to_owned();
    let position = body["position"].as_u64().expect("a position");
    (id, position)
}

/// The error body's `code` and `field`.
///
/// # Panics
/// When the answer is not an error body.
pub async fn error_of(response: Response) -> (u16, String, Option<String>) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("a JSON error");
    let code = body["error"]["code"]
        .as_str()
        .expect("an error code")
        .to_owned();
    (
        status,
        code,
        body["error"]["field"].as_str().map(str::to_owned),
    )
}

/// An HTTP client for tests; TLS needs its crypto provider first.
pub fn http_client() -> reqwest::Client {
    herald_infrastructure::tls::install_crypto_provider();
    reqwest::Client::new()
}
