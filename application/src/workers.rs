//! Process managers: durable consumers of the event log that act on what
//! happened (send a queued message, apply a recorded webhook). Each commit
//! is handled at least once, so handlers issue only idempotent commands.

use async_trait::async_trait;
use futures::StreamExt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
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

/// How long a stopping worker gives the commits in hand to finish (a send
/// waits for Meta's answer) before it drops them; they come back later.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Runs `worker` over its commits, `concurrency` at a time, until `stop`
/// turns true; the subscription is opened again if it breaks.
///
/// Each commit is handled in a task of its own, so that one handler's
/// work on the CPU (reading a large aggregate) never holds up another's
/// next step: a send claimed is handed to Meta at once.
pub async fn run_worker(
    worker: Arc<dyn Worker>,
    feed: Arc<dyn WorkFeed>,
    concurrency: usize,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut in_hand = JoinSet::new();
    let mut pause = Duration::from_millis(100);
    while !*stop.borrow() {
        let subscribed = feed.subscribe(worker.name(), worker.aggregate_type(), concurrency);
        let mut items = match subscribed.await {
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
        loop {
            let next = tokio::select! {
                next = next_item(&slots, &mut items) => next,
                () = stop_requested(&mut stop) => break,
            };
            while in_hand.try_join_next().is_some() {}
            let Some((slot, item)) = next else {
                warn!(
                    worker = worker.name(),
                    "subscription ended; opening it again"
                );
                break;
            };
            let worker = Arc::clone(&worker);
            in_hand.spawn(async move {
                match item {
                    Ok(item) => handle(worker.as_ref(), item).await,
                    Err(error) => warn!(worker = worker.name(), %error, "feed error"),
                }
                drop(slot);
            });
        }
    }
    let finished = async { while in_hand.join_next().await.is_some() {} };
    if tokio::time::timeout(STOP_GRACE, finished).await.is_err() {
        warn!(
            worker = worker.name(),
            "commits still in hand at stop; they will come back"
        );
    }
}

/// A free slot, then the next item to fill it; `None` when the feed ended.
async fn next_item<S>(
    slots: &Arc<Semaphore>,
    items: &mut S,
) -> Option<(OwnedSemaphorePermit, S::Item)>
where
    S: futures::Stream + Unpin,
{
    let slot = Arc::clone(slots).acquire_owned().await.ok()?;
    let item = items.next().await?;
    Some((slot, item))
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
    use crate::ports::work_feed::WorkReceipt;
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

    struct Receipt;

    #[async_trait]
    impl WorkReceipt for Receipt {
        async fn done(&self) -> Result<(), FeedError> {
            Ok(())
        }
        async fn retry_after(&self, _delay: Duration) -> Result<(), FeedError> {
            Ok(())
        }
        async fn in_progress(&self) -> Result<(), FeedError> {
            Ok(())
        }
    }

    fn item(aggregate_id: &str) -> WorkItem {
        WorkItem {
            commit: RecordedCommit {
                position: 1,
                tenant: "t".into(),
                aggregate_type: "message".into(),
                aggregate_id: aggregate_id.into(),
                recorded_at: chrono::Utc::now(),
                metadata: std::collections::HashMap::new(),
                events: Vec::new(),
                pending: 0,
            },
            receipt: Box::new(Receipt),
            heartbeat: Duration::from_secs(60),
        }
    }

    /// Hands out two commits: one whose handling keeps a thread busy (a
    /// large aggregate read), and one that is quick.
    struct TwoCommits;

    #[async_trait]
    impl WorkFeed for TwoCommits {
        async fn subscribe(
            &self,
            _worker: &str,
            _aggregate_type: &str,
            _capacity: usize,
        ) -> Result<BoxStream<'static, Result<WorkItem, FeedError>>, FeedError> {
            let items = vec![Ok(item("busy")), Ok(item("quick"))];
            Ok(futures::stream::iter(items)
                .chain(futures::stream::pending())
                .boxed())
        }
    }

    struct Timed(std::sync::Mutex<Option<std::time::Instant>>);

    #[async_trait]
    impl Worker for Timed {
        fn name(&self) -> &'static str {
            "timed"
        }
        fn aggregate_type(&self) -> &'static str {
            "message"
        }
        async fn handle(&self, commit: &RecordedCommit) -> Result<(), WorkError> {
            if commit.aggregate_id == "busy" {
                std::thread::sleep(Duration::from_millis(500));
            } else {
                tokio::task::yield_now().await;
                *self.0.lock().unwrap() = Some(std::time::Instant::now());
            }
            Ok(())
        }
    }

    /// A handler keeping its thread busy must not hold up another's next
    /// step: a claimed send waiting for its turn would widen the moment in
    /// which a crash leaves it unknown.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_handler_busy_on_the_cpu_does_not_hold_up_another() {
        let worker = Arc::new(Timed(std::sync::Mutex::new(None)));
        let (stopper, stop) = watch::channel(false);
        let started = std::time::Instant::now();
        let run = tokio::spawn(run_worker(worker.clone(), Arc::new(TwoCommits), 2, stop));
        let deadline = started + Duration::from_secs(5);
        let quick_done = loop {
            if let Some(at) = *worker.0.lock().unwrap() {
                break at;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the quick commit was never handled"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        stopper.send(true).unwrap();
        run.await.unwrap();
        let waited = quick_done - started;
        assert!(
            waited < Duration::from_millis(250),
            "the quick commit waited {waited:?} for the busy one"
        );
    }
}
