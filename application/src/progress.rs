//! How far each projection has got, so that a query can wait until its
//! client's own write is visible (read-your-writes).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// The position each projection in this process has applied, as published
/// by its runner.
#[derive(Clone, Default)]
pub struct ProjectionPositions {
    senders: Arc<Mutex<HashMap<String, watch::Sender<u64>>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the read model has reached position {reached}, not yet {wanted}; try again shortly")]
pub struct NotCaughtUp {
    pub wanted: u64,
    pub reached: u64,
}

impl ProjectionPositions {
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
    /// [`NotCaughtUp`] when the limit passes first.
    pub async fn wait_for(
        &self,
        projection: &str,
        position: u64,
        limit: Duration,
    ) -> Result<(), NotCaughtUp> {
        let mut receiver = self.sender(projection).subscribe();
        let reached = tokio::time::timeout(limit, receiver.wait_for(|p| *p >= position))
            .await
            .is_ok_and(|waited| waited.is_ok());
        if reached {
            return Ok(());
        }
        let reached = *receiver.borrow();
        Err(NotCaughtUp {
            wanted: position,
            reached,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            NotCaughtUp {
                wanted: 9,
                reached: 3
            }
        );
    }
}
