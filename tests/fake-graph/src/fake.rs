//! [`FakeGraph`]: the handle a test holds — start, arrange, act, inspect.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::{ErrorTiming, FakeGraphConfig};
use crate::faults::FakeFault;
use crate::number::FakeNumber;
use crate::send::recipient::digits;
use crate::state::{RecordedRequest, SentMessage, Shared, WebhookDelivery, WebhookTarget};
use crate::templates::{FakeTemplate, TemplateStatus};
use crate::webhooks::{self, emitter, InboundMessage, PreparedPosts, StatusSchedule};
use crate::{server, templates};

/// What can go wrong driving the fake itself (never a Graph error: those are HTTP answers).
#[derive(Debug, thiserror::Error)]
pub enum FakeGraphError {
    #[error("could not bind the fake Graph API: {0}")]
    Bind(#[from] std::io::Error),
    #[error("no webhook callback is set; call set_webhook first")]
    NoWebhook,
    #[error("unknown phone number id {0}")]
    UnknownNumber(String),
    #[error("no accepted message has wamid {0}")]
    UnknownMessage(String),
    #[error("unknown template {0}")]
    UnknownTemplate(String),
}

/// A running fake Graph API on 127.0.0.1. Dropping it stops accepting connections.
#[derive(Debug)]
pub struct FakeGraph {
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Drop for FakeGraph {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeGraph {
    /// Binds a free port on 127.0.0.1 and serves.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start(config: FakeGraphConfig) -> Result<Self, FakeGraphError> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared::new(base_url, config));
        let server = tokio::spawn(server::serve(listener, server::router(Arc::clone(&shared))));
        Ok(Self { shared, server })
    }

    /// `http://127.0.0.1:PORT`; clients append `/v23.0/...`.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// Changes any knob while running.
    pub fn configure(&self, change: impl FnOnce(&mut FakeGraphConfig)) {
        change(&mut self.shared.lock().config);
    }

    /// Moves the fake's clock (window, pair limit, hourly cap, media URL expiry).
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    pub fn add_number(&self, number: FakeNumber) {
        self.shared
            .lock()
            .numbers
            .insert(number.phone_number_id.clone(), number);
    }

    /// Edits a number (e.g. `registered = false`, `policy_blocked = true`); `false` if unknown.
    pub fn update_number(
        &self,
        phone_number_id: &str,
        change: impl FnOnce(&mut FakeNumber),
    ) -> bool {
        self.shared
            .lock()
            .numbers
            .get_mut(phone_number_id)
            .map(change)
            .is_some()
    }

    /// Stores a template; gives its id.
    pub fn add_template(&self, template: FakeTemplate) -> String {
        let id = self.shared.new_numeric_id();
        self.shared.lock().templates.put(id.clone(), template);
        id
    }

    /// The template `name` in `language`, as stored now.
    pub fn template(&self, waba_id: &str, name: &str, language: &str) -> Option<FakeTemplate> {
        self.shared
            .lock()
            .templates
            .find(waba_id, name, language)
            .map(|s| s.template.clone())
    }

    /// Flips a template's status and posts `message_template_status_update`.
    ///
    /// # Errors
    /// Unknown template, or no webhook set (the status is flipped anyway).
    pub async fn set_template_status(
        &self,
        name: &str,
        language: &str,
        status: TemplateStatus,
    ) -> Result<(), FakeGraphError> {
        templates::manage::set_status(&self.shared, name, language, status).await
    }

    /// Where the emitter posts, and the token the handshake presents.
    pub fn set_webhook(&self, callback_url: impl Into<String>, verify_token: impl Into<String>) {
        let target = WebhookTarget {
            callback_url: callback_url.into(),
            verify_token: verify_token.into(),
        };
        self.shared.lock().webhook = Some(target);
    }

    /// The GET handshake with the configured verify token: `true` if the challenge came back with 200.
    ///
    /// # Errors
    /// No webhook set.
    pub async fn verify_webhook(&self) -> Result<bool, FakeGraphError> {
        emitter::handshake(&self.shared, None).await
    }

    /// The handshake presenting `verify_token` instead of the configured one.
    ///
    /// # Errors
    /// No webhook set.
    pub async fn verify_webhook_with(&self, verify_token: &str) -> Result<bool, FakeGraphError> {
        emitter::handshake(&self.shared, Some(verify_token)).await
    }

    /// The next `times` matching calls fail with `fault`.
    pub fn fail_next(&self, times: u32, fault: FakeFault) {
        self.shared.lock().faults.push(times, fault);
    }

    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// The next `times` accepted sends (recorded and followed by webhooks)
    /// or read marks have their connection closed without an answer.
    pub fn drop_next_answer(&self, times: u32) {
        self.shared.lock().drop_answers += times;
    }

    /// Sends to these recipients fail with 131026, now (`Sync`) or as a `failed` status (`Async`).
    pub fn invalid_recipients<I, S>(&self, recipients: I, timing: ErrorTiming)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut state = self.shared.lock();
        for recipient in recipients {
            state
                .invalid_recipients
                .insert(digits(recipient.as_ref()), timing);
        }
    }

    /// Opens the 24-hour window for `wa_id` as if they had just written, without a webhook.
    pub fn open_window(&self, phone_number_id: &str, wa_id: &str) {
        let key = (phone_number_id.to_owned(), digits(wa_id));
        let now = self.shared.clock.now();
        self.shared.lock().last_inbound.insert(key, now);
    }

    /// Stores media as if a user had sent it; gives the id the media endpoints serve.
    pub fn add_media(
        &self,
        phone_number_id: &str,
        mime_type: &str,
        bytes: impl Into<Bytes>,
    ) -> String {
        let id = self.shared.new_numeric_id();
        self.shared
            .lock()
            .media
            .put(id.clone(), phone_number_id, mime_type, bytes.into());
        id
    }

    /// Posts `schedule` for an accepted message, waiting until every post is answered.
    ///
    /// # Errors
    /// Unknown wamid, or no webhook set.
    pub async fn emit_statuses(
        &self,
        wamid: &str,
        schedule: &StatusSchedule,
    ) -> Result<(), FakeGraphError> {
        PreparedPosts::build(&self.shared, wamid, schedule)?
            .deliver(&self.shared)
            .await
    }

    /// Posts an inbound message (opening the window); gives its wamid.
    ///
    /// # Errors
    /// Unknown number, or no webhook set.
    pub async fn emit_inbound(
        &self,
        phone_number_id: &str,
        message: InboundMessage,
    ) -> Result<String, FakeGraphError> {
        webhooks::emit_inbound(&self.shared, phone_number_id, &message).await
    }

    /// Posts any body, signed with the number's app secret; `true` once answered 200.
    ///
    /// # Errors
    /// Unknown number, or no webhook set.
    pub async fn post_webhook(
        &self,
        phone_number_id: &str,
        body: &Value,
    ) -> Result<bool, FakeGraphError> {
        let secret = self
            .shared
            .lock()
            .number(phone_number_id)
            .map(|n| n.app_secret.clone())
            .ok_or_else(|| FakeGraphError::UnknownNumber(phone_number_id.to_owned()))?;
        emitter::deliver(&self.shared, &secret, webhooks::to_bytes(body)).await
    }

    /// Accepted sends, oldest first.
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        self.shared.lock().sent.clone()
    }

    /// How many sends were accepted, without copying them.
    pub fn sent_count(&self) -> usize {
        self.shared.lock().sent.len()
    }

    /// Every request received, accepted or not, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// How many requests received match `matches`, counted where they are
    /// kept. A test polling for progress uses this rather than
    /// [`requests`](Self::requests): a copy of thousands of requests, made
    /// under the lock every request must take, stalls the sends it waits for.
    pub fn count_requests(&self, matches: impl Fn(&RecordedRequest) -> bool) -> usize {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| matches(r))
            .count()
    }

    /// Every webhook body posted, retries and duplicates included, in posting order.
    pub fn emitted_webhooks(&self) -> Vec<Value> {
        self.shared
            .lock()
            .deliveries
            .iter()
            .map(|d| d.body.clone())
            .collect()
    }

    /// Every webhook POST attempt with its signature and the receiver's answer.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.shared.lock().deliveries.clone()
    }
}
