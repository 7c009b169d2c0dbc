//! The event log as projections read it: every commit, in order.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::StreamExt;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::Arc;

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

/// What a follower of some aggregate types gets at each position.
#[derive(Debug, Clone)]
pub enum FeedItem {
    /// A commit of a type it follows (shared: several followers may be
    /// handed one reading of it).
    Commit(Arc<RecordedCommit>),
    /// A commit of another type, at `position`, with `pending` commits
    /// already waiting after it (as [`RecordedCommit::pending`]).
    PassedBy { position: u64, pending: u64 },
}

impl FeedItem {
    fn of(commit: RecordedCommit, followed: &[&str]) -> Self {
        Self::Commit(Arc::new(commit)).as_seen_by(followed)
    }

    /// What a follower of the aggregate types in `followed` is given of
    /// this item: the commit when it follows its type, else its position.
    pub fn as_seen_by(&self, followed: &[&str]) -> Self {
        match self {
            Self::Commit(commit) if followed.contains(&commit.aggregate_type.as_str()) => {
                Self::Commit(Arc::clone(commit))
            }
            other => Self::PassedBy {
                position: other.position(),
                pending: other.pending(),
            },
        }
    }

    pub fn position(&self) -> u64 {
        match self {
            Self::Commit(commit) => commit.position,
            Self::PassedBy { position, .. } => *position,
        }
    }

    pub fn pending(&self) -> u64 {
        match self {
            Self::Commit(commit) => commit.pending,
            Self::PassedBy { pending, .. } => *pending,
        }
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

    /// As [`EventFeed::subscribe`], for a reader that follows only the
    /// aggregate types in `followed`: the commits of other types are passed
    /// by, their positions given without reading the commits themselves.
    ///
    /// # Errors
    /// When the feed cannot be opened.
    async fn follow(
        &self,
        after: u64,
        followed: &'static [&'static str],
    ) -> Result<BoxStream<'static, Result<FeedItem, FeedError>>, FeedError> {
        let commits = self.subscribe(after).await?;
        Ok(commits
            .map(move |commit| Ok(FeedItem::of(commit?, followed)))
            .boxed())
    }

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
