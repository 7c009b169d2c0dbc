//! How far each projection has got, so that a query can wait until its
//! client's own write is visible (read-your-writes).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

use crate::ports::event_feed::EventFeed;

/// The position each projection in this process has applied, as published
/// by its runner, and, when it knows the event log, how far the log goes.
#[derive(Clone, Default)]
pub struct ProjectionPositions {
    senders: Arc<Mutex<HashMap<String, watch::Sender<u64>>>>,
    log: Option<Arc<dyn EventFeed>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotCaughtUp {
    #[error("the read model has reached position {reached}, not yet {wanted}; try again shortly")]
    Behind { wanted: u64, reached: u64 },
    /// No read model will ever reach a position the log has not: the
    /// client's position did not come from this log.
    #[error("position {wanted} is beyond the event log, whose last position is {head}")]
    BeyondLog { wanted: u64, head: u64 },
}

impl ProjectionPositions {
    /// Positions that check a wanted position against `log`'s head before
    /// waiting for it.
    pub fn of_log(log: Arc<dyn EventFeed>) -> Self {
        Self {
            senders: Arc::default(),
            log: Some(log),
        }
    }

    fn sender(&self, projection: &str) -> watch::Sender<u64> {
        let mut senders = self
            .senders
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        senders
            .entry(projection.to_owned())
            .or_insert_with(|| watch::channel(0).0)
            .clone()
    }

    /// Records that `projection` has applied everything up to `position`.
    pub fn publish(&self, projection: &str, position: u64) {
        self.sender(projection).send_replace(position);
    }

    pub fn current(&self, projection: &str) -> u64 {
        *self.sender(projection).borrow()
    }

    /// Waits until `projection` has reached `position`, for at most `limit`.
    ///
    /// # Errors
    /// [`NotCaughtUp::BeyondLog`] at once when the log has not reached
    /// `position`; [`NotCaughtUp::Behind`] when the limit passes first.
    pub async fn wait_for(
        &self,
        projection: &str,
        position: u64,
        limit: Duration,
    ) -> Result<(), NotCaughtUp> {
        let mut receiver = self.sender(projection).subscribe();
        if *receiver.borrow() >= position {
            return Ok(());
        }
        self.check_within_log(position).await?;
        let reached = tokio::time::timeout(limit, receiver.wait_for(|p| *p >= position))
            .await
            .is_ok_and(|waited| waited.is_ok());
        if reached {
            return Ok(());
        }
        let reached = *receiver.borrow();
        Err(NotCaughtUp::Behind {
            wanted: position,
            reached,
        })
    }

    /// Every position a client was given is at or below the log's head, on
    /// any node: the head is read from the stream, which acknowledges a
    /// commit only once it is stored. When the head cannot be read, the
    /// wait goes ahead and its limit decides.
    async fn check_within_log(&self, wanted: u64) -> Result<(), NotCaughtUp> {
        let Some(log) = &self.log else {
            return Ok(());
        };
        match log.head().await {
            Ok(head) if wanted > head => Err(NotCaughtUp::BeyondLog { wanted, head }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::event_feed::{FeedError, RecordedCommit};
    use futures::stream::BoxStream;

    #[tokio::test]
    async fn waiting_ends_when_the_position_is_published() {
        let positions = ProjectionPositions::default();
        let publisher = positions.clone();
        tokio::spawn(async move { publisher.publish("campaigns", 7) });
        assert_eq!(
            positions
                .wait_for("campaigns", 7, Duration::from_secs(5))
                .await,
            Ok(())
        );
    }

    #[tokio::test]
    async fn waiting_reports_how_far_the_projection_got() {
        let positions = ProjectionPositions::default();
        positions.publish("campaigns", 3);
        let error = positions
            .wait_for("campaigns", 9, Duration::from_millis(10))
            .await
            .unwrap_err();
        assert_eq!(
            error,
            NotCaughtUp::Behind {
                wanted: 9,
                reached: 3
            }
        );
    }

    /// A log of a fixed length that cannot be followed.
    struct LogOf(u64);

    #[async_trait::async_trait]
    impl EventFeed for LogOf {
        async fn subscribe(
            &self,
            _after: u64,
        ) -> Result<BoxStream<'static, Result<RecordedCommit, FeedError>>, FeedError> {
            Err(FeedError("not followed here".into()))
        }

        async fn head(&self) -> Result<u64, FeedError> {
            Ok(self.0)
        }

        async fn identity(&self) -> Result<String, FeedError> {
            Ok("fixed".into())
        }
    }

    #[tokio::test]
    async fn a_position_beyond_the_log_is_refused_without_waiting() {
        let positions = ProjectionPositions::of_log(Arc::new(LogOf(12)));
        let error = positions
            .wait_for("campaigns", 13, Duration::from_secs(3600))
            .await
            .unwrap_err();
        assert_eq!(
            error,
            NotCaughtUp::BeyondLog {
                wanted: 13,
                head: 12
            }
        );
    }

    #[tokio::test]
    async fn a_position_within_the_log_is_waited_for() {
        let positions = ProjectionPositions::of_log(Arc::new(LogOf(12)));
        let error = positions
            .wait_for("campaigns", 12, Duration::from_millis(10))
            .await
            .unwrap_err();
        assert_eq!(
            error,
            NotCaughtUp::Behind {
                wanted: 12,
                reached: 0
            }
        );
    }
}
