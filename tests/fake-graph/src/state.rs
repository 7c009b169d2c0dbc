//! Everything the fake remembers, behind one lock that is never held across
//! an `.await`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::Value;

use crate::clock::Clock;
use crate::config::{ErrorTiming, FakeGraphConfig};
use crate::faults::FaultScript;
use crate::limits::TokenBucket;
use crate::media::MediaStore;
use crate::number::FakeNumber;
use crate::templates::TemplateStore;

/// One request the fake received, accepted or not.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// When the request arrived, so tests can see the waits between retries.
    pub received_at: Instant,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Lower-case names; repeated headers joined with ", ".
    pub headers: BTreeMap<String, String>,
    pub body: Bytes,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<Value>,
    /// The status answered, or `None` while pending or when the answer was dropped.
    pub response_status: Option<u16>,
    pub answer_dropped: bool,
}

/// One send the fake accepted (it got a wamid).
#[derive(Debug, Clone, PartialEq)]
pub struct SentMessage {
    pub wamid: String,
    pub phone_number_id: String,
    /// `to` exactly as the request gave it.
    pub to: String,
    /// The digits the message went to (`contacts[].wa_id`).
    pub wa_id: String,
    pub body: Value,
    pub biz_opaque_callback_data: Option<String>,
    /// Lower-case template category for template sends (pricing), else `None`.
    pub template_category: Option<String>,
}

/// One webhook POST attempt the emitter made.
#[derive(Debug, Clone)]
pub struct WebhookDelivery {
    pub body: Value,
    /// `X-Hub-Signature-256` as sent, if any.
    pub signature: Option<String>,
    /// 1 for the first try, 2 for the first redelivery, ...
    pub attempt: u32,
    /// The receiver's status; `None` for a timeout or connection error.
    pub status: Option<u16>,
}

#[derive(Debug, Clone)]
pub struct WebhookTarget {
    pub callback_url: String,
    pub verify_token: String,
}

#[derive(Debug, Default)]
pub struct State {
    pub config: FakeGraphConfig,
    pub numbers: HashMap<String, FakeNumber>,
    pub templates: TemplateStore,
    pub media: MediaStore,
    pub requests: Vec<RecordedRequest>,
    pub sent: Vec<SentMessage>,
    pub deliveries: Vec<WebhookDelivery>,
    pub webhook: Option<WebhookTarget>,
    pub faults: FaultScript,
    pub drop_answers: u32,
    pub invalid_recipients: HashMap<String, ErrorTiming>,
    /// Last inbound message per (phone_number_id, wa_id), on the fake clock.
    pub last_inbound: HashMap<(String, String), Duration>,
    pub throughput: HashMap<String, TokenBucket>,
    pub pairs: HashMap<(String, String), TokenBucket>,
    pub template_calls: HashMap<String, TokenBucket>,
}

impl State {
    pub fn number(&self, phone_number_id: &str) -> Option<&FakeNumber> {
        self.numbers.get(phone_number_id)
    }

    pub fn sent_message(&self, wamid: &str) -> Option<&SentMessage> {
        self.sent.iter().find(|m| m.wamid == wamid)
    }

    /// Any number of this WABA, for webhook metadata of WABA-level events.
    pub fn number_of_waba(&self, waba_id: &str) -> Option<&FakeNumber> {
        self.numbers.values().find(|n| n.waba_id == waba_id)
    }
}

/// The state plus what never changes after start.
#[derive(Debug)]
pub struct Shared {
    pub base_url: String,
    pub clock: Clock,
    pub http: reqwest::Client,
    state: Mutex<State>,
    counter: AtomicU64,
}

impl Shared {
    pub fn new(base_url: String, config: FakeGraphConfig) -> Self {
        install_crypto_provider();
        let state = State {
            config,
            ..State::default()
        };
        Self {
            base_url,
            clock: Clock::new(),
            http: reqwest::Client::new(),
            state: Mutex::new(state),
            counter: AtomicU64::new(1),
        }
    }

    /// The state; a panic in another holder does not poison the fake.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// A number never handed out before, for ids.
    pub fn next_serial(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    /// A fresh wamid, unique within this fake.
    pub fn new_wamid(&self) -> String {
        let noise = crate::errors::random_token(24);
        format!("wamid.HBgL{:08}{noise}", self.next_serial())
    }

    /// A fresh numeric id like Meta's media and template ids.
    pub fn new_numeric_id(&self) -> String {
        format!(
            "{}{:06}",
            1_000_000_000 + fastrand::u64(..1_000_000_000),
            self.next_serial()
        )
    }
}

/// The workspace's reqwest uses rustls without a built-in crypto provider, and
/// a client cannot be built before one is installed. Installing twice is
/// harmless (the second attempt is refused), so every start does it.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
