//! Feeding a projector: from its checkpoint, in stream order, in batches
//! written together with the checkpoint.
//!
//! - `lease`: with several nodes on one read store, only the node holding
//!   the projection's lease projects; the others follow the stored
//!   checkpoint, so reads that wait for a position work on every node.

mod lease;

use futures::StreamExt;
use herald_application::ports::event_feed::{EventFeed, FeedError, FeedItem};
use herald_application::ports::lease::Leases;
use herald_application::ports::read_store::{
    ApplyOutcome, Change, ChangeBatch, Generation, PromoteOutcome, ReadStore, ReadStoreError, Stamp,
};
use herald_application::progress::ProjectionPositions;
use herald_application::workers::stop_requested;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tracing::{error, info};

use crate::projector::{ProjectionError, Projector};

/// Batches projected ahead of the one being written: one keeps both the
/// reading and the writing busy; more would only hold memory.
const BATCHES_AHEAD: usize = 1;

/// How long the checkpoint may stay behind what the runner has read when
/// the commits read since change nothing in its read models (another
/// projection's aggregates). Storing it after every such batch cost a
/// transaction per batch per projection on the busiest path, for nothing
/// a reader can see; after a restart, at most this much is read again.
/// Readers on this node see the position at once; other nodes see it
/// stored within this delay.
const IDLE_CHECKPOINT_DELAY: Duration = Duration::from_millis(250);

/// While commits keep coming, a batch is handed to the writer at most this
/// long after the last one, so a document that many commits change (a
/// campaign edited again and again, its counters moved by every send) is
/// written once per window rather than once per commit. A commit after a
/// quiet spell is written at once; under load, read models trail by up to
/// this much more, and a state a document passes through within one window
/// (a message sent, then delivered and read 5 ms apart) is not seen in the
/// read model, only in the log.
const WRITE_WINDOW: Duration = Duration::from_millis(50);

#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error(transparent)]
    Store(#[from] ReadStoreError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("the event feed ended")]
    FeedEnded,
    #[error("another writer moved the checkpoint to {0}")]
    CheckpointMoved(u64),
    #[error("asked to stop")]
    Stopped,
}

/// How far a projection is behind the event log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectionStatus {
    pub name: &'static str,
    pub checkpoint: u64,
    /// The position of the last commit in the log.
    pub head: u64,
    pub lag: u64,
    /// Whether this node is the one projecting (it holds the lease).
    pub projecting: bool,
}

/// How far a projection has got, as health checks and metrics ask it:
/// what the HTTP API holds, rather than the runner itself.
#[async_trait::async_trait]
pub trait ProjectionMonitor: Send + Sync {
    /// # Errors
    /// When the event log or the read store cannot be read.
    async fn status(&self) -> Result<ProjectionStatus, RunnerError>;
}

#[async_trait::async_trait]
impl ProjectionMonitor for ProjectionRunner {
    async fn status(&self) -> Result<ProjectionStatus, RunnerError> {
        ProjectionRunner::status(self).await
    }
}

pub struct ProjectionRunner {
    projector: Arc<dyn Projector>,
    feed: Arc<dyn EventFeed>,
    store: Arc<dyn ReadStore>,
    positions: ProjectionPositions,
    max_batch: usize,
    retry_delay: Duration,
    leases: Option<Arc<dyn Leases>>,
    /// Whether this node is the one projecting, for status and metrics.
    projecting: AtomicBool,
}

impl ProjectionRunner {
    pub fn new(
        projector: Arc<dyn Projector>,
        feed: Arc<dyn EventFeed>,
        store: Arc<dyn ReadStore>,
        positions: ProjectionPositions,
    ) -> Self {
        Self {
            projector,
            feed,
            store,
            positions,
            max_batch: 500,
            retry_delay: Duration::from_secs(1),
            leases: None,
            projecting: AtomicBool::new(false),
        }
    }

    /// Projects only while this node holds the projection's lease among
    /// the nodes sharing the read store; without leases, it always does.
    pub fn with_leases(mut self, leases: Arc<dyn Leases>) -> Self {
        self.leases = Some(leases);
        self
    }

    /// At most this many commits, or changes, are written in one batch.
    pub fn with_max_batch(mut self, max_batch: usize) -> Self {
        self.max_batch = max_batch.max(1);
        self
    }

    pub fn name(&self) -> &'static str {
        self.projector.name()
    }

    /// Keeps the live read models up to date until `shutdown` turns true,
    /// on whichever node holds the lease when there are leases. Errors are
    /// logged and the runner resumes from the stored checkpoint.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        match self.leases.clone() {
            Some(leases) => self.run_under_lease(leases.as_ref(), &mut shutdown).await,
            None => {
                self.projecting.store(true, Ordering::SeqCst);
                self.project_live(&mut shutdown).await;
            }
        }
    }

    /// Follows the log into the live read models until `shutdown`.
    async fn project_live(&self, shutdown: &mut watch::Receiver<bool>) {
        let name = self.name();
        while !*shutdown.borrow() {
            match self.follow(Generation::Live, None, shutdown).await {
                Ok(_) | Err(RunnerError::Stopped) => return,
                Err(RunnerError::CheckpointMoved(stored)) => info!(
                    projection = name,
                    stored, "checkpoint moved by another writer; resuming from it"
                ),
                Err(error) => {
                    error!(projection = name, %error, "projection interrupted; resuming from its checkpoint");
                    tokio::select! {
                        _ = tokio::time::sleep(self.retry_delay) => {}
                        _ = stop_requested(shutdown) => return,
                    }
                }
            }
        }
    }

    /// Projects every commit from position 0 into a new generation, then
    /// makes it the live one once it has read at least as far.
    ///
    /// # Errors
    /// When the feed or the store fails, or `shutdown` turns true.
    pub async fn rebuild(&self, mut shutdown: watch::Receiver<bool>) -> Result<u64, RunnerError> {
        let (name, collections) = (self.name(), self.projector.collections());
        self.store.discard_rebuild(name, collections).await?;
        loop {
            let target = self
                .feed
                .head()
                .await?
                .max(self.store.checkpoint(name, Generation::Live).await?);
            self.follow(Generation::Rebuild, Some(target), &mut shutdown)
                .await?;
            match self.store.promote(name, collections).await? {
                PromoteOutcome::Promoted { checkpoint } => {
                    info!(projection = name, checkpoint, "rebuild promoted to live");
                    return Ok(checkpoint);
                }
                PromoteOutcome::Behind { rebuild, live } => info!(
                    projection = name,
                    rebuild, live, "rebuild behind live; catching up"
                ),
            }
        }
    }

    /// # Errors
    /// When the feed or the store cannot be read.
    pub async fn status(&self) -> Result<ProjectionStatus, RunnerError> {
        let head = self.feed.head().await?;
        let stored = self.store.checkpoint(self.name(), Generation::Live).await?;
        let projecting = self.projecting.load(Ordering::SeqCst);
        // The node projecting knows how far it has read past the stored
        // checkpoint through commits that change nothing here.
        let checkpoint = if projecting {
            stored.max(self.positions.current(self.name()))
        } else {
            stored
        };
        Ok(ProjectionStatus {
            name: self.name(),
            checkpoint,
            head,
            lag: head.saturating_sub(checkpoint),
            projecting,
        })
    }

    /// Reads commits after the stored checkpoint, applying them in batches,
    /// until `stop_at` is reached (forever when `None`).
    ///
    /// Reading and projecting the next batch goes on while the last one is
    /// written (the store writes on a thread of its own), so the two costs
    /// overlap instead of adding up; batches are still written one at a
    /// time, in order, each with its checkpoint.
    async fn follow(
        &self,
        generation: Generation,
        stop_at: Option<u64>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<u64, RunnerError> {
        self.store
            .prepare(self.projector.collections(), generation)
            .await?;
        let checkpoint = self.store.checkpoint(self.name(), generation).await?;
        self.publish(generation, checkpoint);
        if stop_at.is_some_and(|stop| checkpoint >= stop) {
            return Ok(checkpoint);
        }
        let mut commits = self
            .feed
            .follow(checkpoint, self.projector.follows())
            .await?;
        let (to_write, mut written_in_turn) = mpsc::channel::<Batch>(BATCHES_AHEAD);
        let read = async move {
            let mut batch = Batch::after(checkpoint);
            // Whether the batch holds every commit recorded so far, so that
            // it is worth writing before more come.
            let mut caught_up = false;
            let mut reached_stop = false;
            let mut window_opens = Instant::now();
            loop {
                let in_window = Instant::now() >= window_opens;
                let worth_writing = batch.commits > 0
                    && (reached_stop || batch.is_full(self.max_batch) || (caught_up && in_window));
                tokio::select! {
                    biased;
                    _ = stop_requested(shutdown) => return Err(RunnerError::Stopped),
                    // The writer is free: hand it the batch. While it is
                    // busy, commits keep joining the batch (up to a full
                    // one), so a busy store writes fewer, larger batches.
                    slot = to_write.reserve(), if worth_writing => {
                        let Ok(slot) = slot else {
                            // The writer has stopped on an error, which is
                            // the one to report.
                            return Ok(());
                        };
                        let end = batch.end;
                        batch.last = reached_stop;
                        slot.send(std::mem::replace(&mut batch, Batch::after(end)));
                        window_opens = Instant::now() + WRITE_WINDOW;
                        if reached_stop {
                            return Ok(());
                        }
                    }
                    // Caught up with a batch waiting for its window.
                    () = tokio::time::sleep_until(window_opens),
                        if batch.commits > 0 && caught_up && !in_window => {}
                    next = commits.next(), if !reached_stop && !batch.is_full(self.max_batch) => {
                        let item = next.ok_or(RunnerError::FeedEnded)??;
                        reached_stop = stop_at.is_some_and(|stop| item.position() >= stop);
                        caught_up = item.pending() == 0;
                        let changes = match &item {
                            FeedItem::Commit(commit) => self.projector.project(commit)?,
                            FeedItem::PassedBy { .. } => Vec::new(),
                        };
                        batch.add(item.position(), changes);
                    }
                }
            }
        };
        let write = async {
            let mut checkpoint = StoredCheckpoint::new(checkpoint);
            loop {
                let batch = if checkpoint.read > checkpoint.stored {
                    tokio::select! {
                        batch = written_in_turn.recv() => batch,
                        () = tokio::time::sleep_until(checkpoint.due()) => {
                            Some(Batch::after(checkpoint.read))
                        }
                    }
                } else {
                    written_in_turn.recv().await
                };
                let Some(batch) = batch else {
                    return Ok(checkpoint.stored);
                };
                if batch.changes.is_empty() && !batch.last && !checkpoint.is_due() {
                    checkpoint.read = batch.end;
                    self.publish(generation, batch.end);
                    continue;
                }
                checkpoint.stored = self.apply(generation, checkpoint.stored, batch).await?;
                checkpoint.stored_now();
            }
        };
        let ((), checkpoint) = tokio::try_join!(read, write)?;
        Ok(checkpoint)
    }

    /// Writes `batch` after `stored`, the checkpoint the store holds.
    async fn apply(
        &self,
        generation: Generation,
        stored: u64,
        batch: Batch,
    ) -> Result<u64, RunnerError> {
        let end = batch.end;
        let change_batch = ChangeBatch {
            projection: self.name(),
            generation,
            expected_checkpoint: stored,
            checkpoint: end,
            changes: batch.changes,
        };
        match self.store.apply(change_batch).await? {
            ApplyOutcome::Applied => {
                self.publish(generation, end);
                Ok(end)
            }
            ApplyOutcome::CheckpointMoved { stored } => Err(RunnerError::CheckpointMoved(stored)),
        }
    }

    fn publish(&self, generation: Generation, position: u64) {
        if generation == Generation::Live {
            self.positions.publish(self.name(), position);
        }
    }
}

/// The writer's view of the checkpoint: what the store holds, and how far
/// the commits handed to it go when that is further (commits that changed
/// nothing, not yet worth a transaction).
struct StoredCheckpoint {
    stored: u64,
    read: u64,
    stored_at: Instant,
}

impl StoredCheckpoint {
    fn new(stored: u64) -> Self {
        Self {
            stored,
            read: stored,
            stored_at: Instant::now(),
        }
    }

    fn due(&self) -> Instant {
        self.stored_at + IDLE_CHECKPOINT_DELAY
    }

    fn is_due(&self) -> bool {
        Instant::now() >= self.due()
    }

    fn stored_now(&mut self) {
        self.read = self.stored;
        self.stored_at = Instant::now();
    }
}

/// Commits read but not yet written.
struct Batch {
    end: u64,
    commits: usize,
    changes: Vec<(Stamp, Change)>,
    /// The batch that reaches the position the runner was asked to stop
    /// at: always stored, so a rebuild's checkpoint reaches it.
    last: bool,
}

impl Batch {
    fn after(checkpoint: u64) -> Self {
        Self {
            end: checkpoint,
            commits: 0,
            changes: Vec::new(),
            last: false,
        }
    }

    fn add(&mut self, position: u64, changes: Vec<Change>) {
        let stamped = changes
            .into_iter()
            .zip(0u32..)
            .map(|(change, index)| (Stamp { position, index }, change));
        self.changes.extend(stamped);
        self.end = position;
        self.commits += 1;
    }

    fn is_full(&self, max: usize) -> bool {
        self.commits >= max || self.changes.len() >= max
    }
}
