//! Process managers' work on JetStream: one durable consumer per worker,
//! filtered on one aggregate type, with explicit acknowledgements. Nodes
//! that pull from the same consumer share its commits.

use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
use async_nats::jetstream::AckKind;
use async_trait::async_trait;
use futures::stream::BoxStream;
use futures::StreamExt;
use herald_application::ports::event_feed::FeedError;
use herald_application::ports::work_feed::{WorkFeed, WorkItem, WorkReceipt};
use std::time::Duration;

use super::envelope::CommitEnvelope;
use super::log::EventLog;

/// How many commits a worker's consumer hands out without being told they
/// are done, across its nodes. Commits given back for later (a paused
/// campaign's messages, a run due next week) count too, so this is large:
/// what a node works on at once is bounded by its pulls, not by this.
const MAX_IN_FLIGHT: i64 = 100_000;

#[derive(Clone)]
pub struct JetStreamWorkFeed {
    log: EventLog,
}

impl JetStreamWorkFeed {
    pub fn new(log: EventLog) -> Self {
        Self { log }
    }
}

fn feed_error(error: impl std::fmt::Display) -> FeedError {
    FeedError(error.to_string())
}

#[async_trait]
impl WorkFeed for JetStreamWorkFeed {
    async fn subscribe(
        &self,
        worker: &str,
        aggregate_type: &str,
        capacity: usize,
    ) -> Result<BoxStream<'static, Result<WorkItem, FeedError>>, FeedError> {
        let name = format!("herald-{worker}");
        let config = pull::Config {
            durable_name: Some(name.clone()),
            filter_subject: self.log.subject("*", aggregate_type, "*"),
            deliver_policy: DeliverPolicy::All,
            ack_policy: AckPolicy::Explicit,
            ack_wait: self.log.config.work_ack_wait,
            max_ack_pending: MAX_IN_FLIGHT,
            ..Default::default()
        };
        let consumer = self
            .log
            .stream
            .get_or_create_consumer(&name, config)
            .await
            .map_err(feed_error)?;
        let messages = consumer
            .stream()
            .max_messages_per_batch(capacity.max(1))
            .messages()
            .await
            .map_err(feed_error)?;
        // A third of the window, so that one late or lost heartbeat does
        // not cost the commit.
        let heartbeat = (self.log.config.work_ack_wait / 3).max(Duration::from_millis(100));
        Ok(messages
            .map(move |message| work_item(message.map_err(feed_error)?, heartbeat))
            .boxed())
    }
}

fn work_item(
    message: async_nats::jetstream::Message,
    heartbeat: Duration,
) -> Result<WorkItem, FeedError> {
    let info = message.info().map_err(feed_error)?;
    let (position, pending) = (info.stream_sequence, info.pending);
    let envelope: CommitEnvelope = serde_json::from_slice(&message.payload)
        .map_err(|e| FeedError(format!("commit {position} does not parse: {e}")))?;
    Ok(WorkItem {
        commit: envelope.into_recorded(position, pending),
        receipt: Box::new(Acknowledgement(message)),
        heartbeat,
    })
}

struct Acknowledgement(async_nats::jetstream::Message);

#[async_trait]
impl WorkReceipt for Acknowledgement {
    async fn done(&self) -> Result<(), FeedError> {
        self.0.ack().await.map_err(feed_error)
    }

    async fn retry_after(&self, delay: Duration) -> Result<(), FeedError> {
        self.0
            .ack_with(AckKind::Nak(Some(delay)))
            .await
            .map_err(feed_error)
    }

    async fn in_progress(&self) -> Result<(), FeedError> {
        self.0.ack_with(AckKind::Progress).await.map_err(feed_error)
    }
}
