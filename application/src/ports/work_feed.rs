//! The event log as process managers read it: commits of one aggregate
//! type, shared among every node running the same worker, each handed out
//! until a node says it is done with it.

use async_trait::async_trait;
use futures::stream::BoxStream;
use std::time::Duration;

use super::event_feed::{FeedError, RecordedCommit};

/// A commit given to one worker, and how to say what became of it.
pub struct WorkItem {
    pub commit: RecordedCommit,
    pub receipt: Box<dyn WorkReceipt>,
    /// How often a worker still busy with the commit must say so
    /// ([`WorkReceipt::in_progress`]), or it is handed to another worker.
    pub heartbeat: Duration,
}

/// A commit not marked done in time goes to a worker again, so handlers
/// must be idempotent (they are: their commands are).
#[async_trait]
pub trait WorkReceipt: Send + Sync {
    /// # Errors
    /// When the log cannot be told; the commit will then come back.
    async fn done(&self) -> Result<(), FeedError>;

    /// Gives the commit back, to come again after `delay`.
    ///
    /// # Errors
    /// As [`WorkReceipt::done`].
    async fn retry_after(&self, delay: Duration) -> Result<(), FeedError>;

    /// Says the worker is still at it: the commit's time starts again.
    ///
    /// # Errors
    /// As [`WorkReceipt::done`].
    async fn in_progress(&self) -> Result<(), FeedError>;
}

#[async_trait]
pub trait WorkFeed: Send + Sync {
    /// Every commit of `aggregate_type` (of every tenant) that the worker
    /// named `worker` has not yet marked done, oldest first, then new ones
    /// as they are recorded. Nodes that subscribe with the same name share
    /// the work: each commit goes to one of them at a time, and a commit a
    /// node took and did not mark done in time goes to another.
    ///
    /// `capacity` is how many commits this node works on at once: it is
    /// given no more ahead of time, so that commits wait where any node
    /// can take them, not in one node's buffer while their time runs.
    ///
    /// # Errors
    /// When the feed cannot be opened.
    async fn subscribe(
        &self,
        worker: &str,
        aggregate_type: &str,
        capacity: usize,
    ) -> Result<BoxStream<'static, Result<WorkItem, FeedError>>, FeedError>;
}
