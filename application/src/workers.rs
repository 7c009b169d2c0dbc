//! Process managers: durable consumers of the event log that act on what
//! happened (send a queued message, apply a recorded webhook). Each commit
//! is handled at least once, so handlers issue only idempotent commands.

use async_trait::async_trait;
use futures::StreamExt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{error, info, warn};

use crate::ports::event_feed::RecordedCommit;
use crate::ports::work_feed::{WorkFeed, WorkItem};

/// What became of a commit a worker could not finish.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    /// Something it needs is down: the commit comes back later.
    #[error("will retry: {0}")]
    Retry(String),
    /// The commit cannot ever be handled (it does not read back): it is
    /// logged and left, so that it does not block the ones after it.
    #[error("skipped: {0}")]
    Skip(String),
    /// Not yet (the number's pace, a campaign's delay): the commit comes
    /// back after this long. The worker holds nothing while it waits, so
    /// one number's queue never occupies the slots other work needs.
    #[error("not before {0:?}")]
    Later(Duration),
}

#[async_trait]
pub trait Worker: Send + Sync + 'static {
    /// The durable name every node of this worker shares.
    fn name(&self) -> &'static str;

    /// The aggregate type whose commits the worker follows.
    fn aggregate_type(&self) -> &'static str;

    /// # Errors
    /// A [`WorkError`] saying whether to try the commit again.
    async fn handle(&self, commit: &RecordedCommit) -> Result<(), WorkError>;
}

/// Resolves once `stop` turns true. A dropped sender never resolves it:
/// nobody can ask for a stop any more, and treating the closed channel as
/// a change would spin every loop that waits on it.
pub async fn stop_requested(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// How long a commit that failed waits before it comes back.
const RETRY_DELAY: Duration = Duration::from_secs(1);

/// Runs `worker` over its commits, `concurrency` at a time, until `stop`
/// turns true; the subscription is opened again if it breaks.
pub async fn run_worker(
    worker: Arc<dyn Worker>,
    feed: Arc<dyn WorkFeed>,
    concurrency: usize,
    mut stop: watch::Receiver<bool>,
) {
    let mut pause = Duration::from_millis(100);
    while !*stop.borrow() {
        let subscribed = feed.subscribe(worker.name(), worker.aggregate_type(), concurrency);
        let items = match subscribed.await {
            Ok(items) => items,
            Err(error) => {
                warn!(worker = worker.name(), %error, "cannot subscribe; trying again");
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = stop_requested(&mut stop) => {}
                }
                pause = (pause * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        info!(worker = worker.name(), "following the event log");
        pause = Duration::from_millis(100);
        let handled = items.for_each_concurrent(concurrency, |item| {
            let worker = Arc::clone(&worker);
            async move {
                match item {
                    Ok(item) => handle(worker.as_ref(), item).await,
                    Err(error) => warn!(worker = worker.name(), %error, "feed error"),
                }
            }
        });
        tokio::select! {
            () = handled => warn!(worker = worker.name(), "subscription ended; opening it again"),
            () = stop_requested(&mut stop) => {}
        }
    }
}

async fn handle(worker: &dyn Worker, item: WorkItem) {
    let position = item.commit.position;
    let outcome = while_saying_in_progress(&item, worker.handle(&item.commit)).await;
    let acknowledged = match outcome {
        Ok(()) => item.receipt.done().await,
        Err(WorkError::Later(delay)) => item.receipt.retry_after(delay).await,
        Err(WorkError::Retry(reason)) => {
            warn!(worker = worker.name(), position, %reason, "will retry");
            item.receipt.retry_after(RETRY_DELAY).await
        }
        Err(WorkError::Skip(reason)) => {
            error!(worker = worker.name(), position, %reason, "commit skipped");
            item.receipt.done().await
        }
    };
    if let Err(error) = acknowledged {
        warn!(worker = worker.name(), position, %error, "cannot acknowledge; it will come back");
    }
}

/// Runs `work`, telling the feed every heartbeat that the commit is still
/// being worked on: a send waiting on Meta's answer is not handed to
/// another node, which would find it mid-send and call it unknown.
async fn while_saying_in_progress<T>(item: &WorkItem, work: impl Future<Output = T>) -> T {
    let mut work = std::pin::pin!(work);
    let mut beats =
        tokio::time::interval_at(tokio::time::Instant::now() + item.heartbeat, item.heartbeat);
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = beats.tick() => {
                if let Err(error) = item.receipt.in_progress().await {
                    warn!(position = item.commit.position, %error, "cannot extend the commit's time");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::event_feed::FeedError;
    use futures::stream::BoxStream;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A feed that can never be subscribed to, counting the attempts.
    #[derive(Default)]
    struct Unreachable(AtomicUsize);

    #[async_trait]
    impl WorkFeed for Unreachable {
        async fn subscribe(
            &self,
            _worker: &str,
            _aggregate_type: &str,
            _capacity: usize,
        ) -> Result<BoxStream<'static, Result<WorkItem, FeedError>>, FeedError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Err(FeedError("down".into()))
        }
    }

    struct Idle;

    #[async_trait]
    impl Worker for Idle {
        fn name(&self) -> &'static str {
            "idle"
        }
        fn aggregate_type(&self) -> &'static str {
            "campaign"
        }
        async fn handle(&self, _commit: &RecordedCommit) -> Result<(), WorkError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_dropped_stop_signal_does_not_make_retries_spin() {
        let feed = Arc::new(Unreachable::default());
        let (sender, stop) = watch::channel(false);
        drop(sender);
        let run = tokio::spawn(run_worker(Arc::new(Idle), feed.clone(), 1, stop));
        tokio::time::sleep(Duration::from_millis(250)).await;
        run.abort();
        let attempts = feed.0.load(Ordering::SeqCst);
        assert!(
            attempts <= 3,
            "{attempts} attempts in a quarter of a second"
        );
    }
}
