//! The three paths' clients, and a projector that counts what it projects.

use async_nats::header::NATS_MESSAGE_ID;
use async_nats::jetstream::message::PublishMessage;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use axum::http::{HeaderValue, Request, Uri};
use bytes::Bytes;
use herald_application::ports::event_feed::RecordedCommit;
use herald_application::ports::read_store::{Change, CollectionSpec};
use herald_application::CommandMetadata;
use herald_domain::campaign::{CampaignCommand, CampaignEdit, Delay};
use herald_domain::TenantId;
use herald_infrastructure::jetstream::envelope::AGGREGATE_TYPE;
use herald_infrastructure::jetstream::publish::is_wrong_last_sequence;
use herald_projections::{ProjectionError, Projector};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{handshake, SendRequest};
use hyper_util::rt::TokioIo;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use uuid::Uuid;

use super::load::Client;
use herald_application::use_cases::CampaignCommands;

/// Publishes `body` after `last`, the subject's last sequence as this
/// client knows it; gives the new last sequence. A clustered stream can
/// answer "wrong last sequence" for a publish it did store (its leader
/// changed, or its answer to an earlier try was lost): as Herald's own
/// store does, the subject's last message is then read back, and if it is
/// this publish, that is its sequence; otherwise it is published again
/// after that message.
pub(super) async fn publish_raw(
    jetstream: &async_nats::jetstream::Context,
    subject: &str,
    last: u64,
    body: Bytes,
) -> anyhow::Result<u64> {
    let id = Uuid::now_v7().to_string();
    let mut last = last;
    for _ in 0..10 {
        let message = PublishMessage::build()
            .payload(body.clone())
            .message_id(id.clone())
            .expected_last_subject_sequence(last)
            .header(AGGREGATE_TYPE, "campaign");
        let acknowledged = match jetstream.send_publish(subject.to_owned(), message).await {
            Ok(ack) => ack.await,
            Err(error) => Err(error),
        };
        match acknowledged {
            Ok(ack) => return Ok(ack.sequence),
            Err(error) if is_wrong_last_sequence(&error) => {
                let stored = last_message(jetstream, subject).await?;
                if stored.headers.get(NATS_MESSAGE_ID).map(|v| v.as_str()) == Some(id.as_str()) {
                    return Ok(stored.sequence);
                }
                last = stored.sequence;
            }
            Err(error) => return Err(error.into()),
        }
    }
    anyhow::bail!("{subject} kept changing under the benchmark's publishes")
}

async fn last_message(
    jetstream: &async_nats::jetstream::Context,
    subject: &str,
) -> anyhow::Result<async_nats::jetstream::message::StreamMessage> {
    let stream = jetstream.get_stream(STREAM).await?;
    Ok(stream.get_last_raw_message_by_subject(subject).await?)
}

/// The stream the benchmark's servers hold the log in.
const STREAM: &str = "HERALD_EVENTS";

pub(super) struct RawClient {
    pub(super) jetstream: async_nats::jetstream::Context,
    pub(super) subject: String,
    pub(super) last: u64,
    pub(super) body: Bytes,
}

impl Client for RawClient {
    async fn op(&mut self) -> anyhow::Result<()> {
        self.last =
            publish_raw(&self.jetstream, &self.subject, self.last, self.body.clone()).await?;
        Ok(())
    }
}

/// Edits the delay, alternating between two values so every command
/// records an event.
pub(super) struct InprocessClient {
    pub(super) service: Arc<dyn CampaignCommands>,
    pub(super) id: Uuid,
    pub(super) tenant: TenantId,
    pub(super) slow: bool,
}

impl Client for InprocessClient {
    async fn op(&mut self) -> anyhow::Result<()> {
        self.slow = !self.slow;
        let edit = CampaignEdit {
            delay: Some(Some(Delay::from_millis(if self.slow {
                4_000
            } else {
                3_000
            })?)),
            ..Default::default()
        };
        let metadata = CommandMetadata::new(self.tenant.clone(), "bench");
        self.service
            .execute(self.id, CampaignCommand::Edit(edit), &metadata)
            .await?;
        Ok(())
    }
}

/// One keep-alive HTTP/1.1 connection, as a load generator such as wrk
/// holds it: the request is built from parts made once, so the client
/// spends little of the CPU it shares with the Herald it measures.
pub(super) struct HttpClient {
    sender: SendRequest<Full<Bytes>>,
    uri: Uri,
    host: HeaderValue,
    /// `Bearer <API key>`: the command path is measured with
    /// authentication on, as clients use it.
    authorization: HeaderValue,
    /// The two edits sent in turn, so every command records an event.
    bodies: [Bytes; 2],
    turn: usize,
}

impl HttpClient {
    /// Connects to `address` (`host:port`) for PATCHes of `path`.
    pub(super) async fn connect(address: &str, path: &str, key: &str) -> anyhow::Result<Self> {
        let stream = tokio::net::TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        let body = |delay: u64| Bytes::from(format!(r#"{{"delayBetweenMessages":{delay}}}"#));
        Ok(Self {
            sender,
            uri: format!("http://{address}{path}").parse()?,
            host: HeaderValue::from_str(address)?,
            authorization: HeaderValue::from_str(&format!("Bearer {key}"))?,
            bodies: [body(4_000), body(3_000)],
            turn: 0,
        })
    }
}

impl Client for HttpClient {
    async fn op(&mut self) -> anyhow::Result<()> {
        self.turn = 1 - self.turn;
        let request = Request::patch(self.uri.clone())
            .header(HOST, self.host.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(AUTHORIZATION, self.authorization.clone())
            .body(Full::new(self.bodies[self.turn].clone()))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        anyhow::ensure!(
            status == 202,
            "PATCH answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
        Ok(())
    }
}

/// A projector that counts the events it is given.
pub(super) struct CountingProjector {
    pub(super) inner: Arc<dyn Projector>,
    pub(super) events: AtomicU64,
}

impl Projector for CountingProjector {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn collections(&self) -> &'static [&'static CollectionSpec] {
        self.inner.collections()
    }

    fn follows(&self) -> &'static [&'static str] {
        self.inner.follows()
    }

    fn project(&self, commit: &RecordedCommit) -> Result<Vec<Change>, ProjectionError> {
        self.events
            .fetch_add(commit.events.len() as u64, Ordering::Relaxed);
        self.inner.project(commit)
    }
}
