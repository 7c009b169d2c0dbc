//! The event log as projections read it: every commit, in order.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use serde_json::value::RawValue;
use std::collections::HashMap;

/// One command's events as recorded: the unit of atomicity and of order.
#[derive(Debug, Clone)]
pub struct RecordedCommit {
    /// The stream position; strictly increasing along the feed.
    pub position: u64,
    pub tenant: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub recorded_at: DateTime<Utc>,
    pub metadata: HashMap<String, String>,
    pub events: Vec<RecordedEvent>,
    /// How many more commits were already waiting when this one arrived,
    /// so a reader can batch without waiting for more.
    pub pending: u64,
}

#[derive(Debug, Clone)]
pub struct RecordedEvent {
    /// The event's number within its aggregate, from 1.
    pub sequence: u64,
    pub event_type: String,
    pub event_version: String,
    /// The event as JSON, parsed only by readers that want it.
    pub payload: Box<RawValue>,
}

impl RecordedCommit {
    pub fn actor(&self) -> Option<&str> {
        self.metadata
            .get(crate::metadata::keys::ACTOR)
            .map(String::as_str)
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("event feed: {0}")]
pub struct FeedError(pub String);

/// The ordered feed of commits.
#[async_trait]
pub trait EventFeed: Send + Sync {
    /// Every commit after position `after`, in order, then each new one as it
    /// is recorded. The stream ends only on error.
    ///
    /// # Errors
    /// When the feed cannot be opened.
    async fn subscribe(
        &self,
        after: u64,
    ) -> Result<BoxStream<'static, Result<RecordedCommit, FeedError>>, FeedError>;

    /// The position of the last commit recorded; 0 when the log is empty.
    ///
    /// # Errors
    /// When the log cannot be reached.
    async fn head(&self) -> Result<u64, FeedError>;

    /// What tells this log from any other: a log made again under the same
    /// name, or another server's, has another identity. Read stores record
    /// the identity of the log they were projected from.
    ///
    /// # Errors
    /// When the log cannot be reached.
    async fn identity(&self) -> Result<String, FeedError>;
}
