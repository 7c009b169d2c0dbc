//! Every commit in stream order, for projections and for the operator's
//! `herald history`.

use async_nats::jetstream::consumer::pull::OrderedConfig;
use async_trait::async_trait;
use futures::stream::BoxStream;
use futures::StreamExt;
use herald_application::ports::event_feed::{EventFeed, FeedError, FeedItem, RecordedCommit};
use std::sync::Arc;

use super::envelope::{CommitEnvelope, AGGREGATE_TYPE};
use super::log::EventLog;
use super::reading::{deliver_from, read_commits};

#[derive(Clone)]
pub struct JetStreamEventFeed {
    log: EventLog,
}

impl JetStreamEventFeed {
    pub fn new(log: EventLog) -> Self {
        Self { log }
    }

    /// Every commit of one aggregate, of one tenant or of whichever tenant
    /// holds that id.
    ///
    /// # Errors
    /// When the stream cannot be read.
    pub async fn aggregate_history(
        &self,
        tenant: Option<&str>,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Vec<RecordedCommit>, FeedError> {
        let subject = self
            .log
            .subject(tenant.unwrap_or("*"), aggregate_type, aggregate_id);
        let commits = read_commits(&self.log, &subject, 0, None)
            .await
            .map_err(|e| FeedError(e.to_string()))?;
        Ok(commits
            .into_iter()
            .map(|c| c.envelope.into_recorded(c.position, 0))
            .collect())
    }
}

#[async_trait]
impl EventFeed for JetStreamEventFeed {
    async fn subscribe(
        &self,
        after: u64,
    ) -> Result<BoxStream<'static, Result<RecordedCommit, FeedError>>, FeedError> {
        Ok(self
            .messages_after(after)
            .await?
            .map(|message| decode(message?))
            .boxed())
    }

    /// Reads the aggregate type from the commit's header, so that a commit
    /// of a type not followed is passed by without being parsed.
    async fn follow(
        &self,
        after: u64,
        followed: &'static [&'static str],
    ) -> Result<BoxStream<'static, Result<FeedItem, FeedError>>, FeedError> {
        Ok(self
            .messages_after(after)
            .await?
            .map(move |message| {
                let message = message?;
                let aggregate_type = message
                    .headers
                    .as_ref()
                    .and_then(|headers| headers.get(AGGREGATE_TYPE));
                match aggregate_type {
                    Some(found) if !followed.contains(&found.as_str()) => {
                        let info = message.info().map_err(|e| FeedError(e.to_string()))?;
                        Ok(FeedItem::PassedBy {
                            position: info.stream_sequence,
                            pending: info.pending,
                        })
                    }
                    _ => Ok(FeedItem::Commit(Arc::new(decode(message)?))),
                }
            })
            .boxed())
    }

    async fn head(&self) -> Result<u64, FeedError> {
        Ok(self.info().await?.state.last_sequence)
    }

    /// The stream's name and the instant it was created, to the
    /// nanosecond: the same on every replica and after a restart, another
    /// for a stream made again or on another server.
    async fn identity(&self) -> Result<String, FeedError> {
        let info = self.info().await?;
        Ok(format!(
            "{}@{}",
            info.config.name,
            info.created.unix_timestamp_nanos()
        ))
    }
}

impl JetStreamEventFeed {
    async fn messages_after(
        &self,
        after: u64,
    ) -> Result<BoxStream<'static, Result<async_nats::jetstream::Message, FeedError>>, FeedError>
    {
        let config = OrderedConfig {
            filter_subject: self.log.all_subjects(),
            deliver_policy: deliver_from(after + 1),
            ..Default::default()
        };
        let consumer = self
            .log
            .stream
            .create_consumer(config)
            .await
            .map_err(|e| FeedError(e.to_string()))?;
        let messages = consumer
            .messages()
            .await
            .map_err(|e| FeedError(e.to_string()))?;
        Ok(messages
            .map(|message| message.map_err(|e| FeedError(e.to_string())))
            .boxed())
    }

    async fn info(&self) -> Result<async_nats::jetstream::stream::Info, FeedError> {
        self.log
            .stream
            .get_info()
            .await
            .map_err(|e| FeedError(e.to_string()))
    }
}

fn decode(message: async_nats::jetstream::Message) -> Result<RecordedCommit, FeedError> {
    let info = message.info().map_err(|e| FeedError(e.to_string()))?;
    let (position, pending) = (info.stream_sequence, info.pending);
    let envelope: CommitEnvelope = serde_json::from_slice(&message.payload)
        .map_err(|e| FeedError(format!("commit {position} does not parse: {e}")))?;
    Ok(envelope.into_recorded(position, pending))
}
