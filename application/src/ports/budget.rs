//! A business number's send budget, shared by every node: Meta counts a
//! number's messages per second whichever Herald node sends them, so the
//! budget cannot live in one node's memory.

use async_trait::async_trait;
use std::time::Duration;
use tokio::time::Instant;

#[async_trait]
pub trait NumberBudget: Send + Sync {
    /// Takes the next moment `number` may send at `per_second`, if it comes
    /// within `horizon`; the caller must then send at that moment. When
    /// none comes that soon, nothing is taken and the answer is how long to
    /// wait before asking again.
    ///
    /// # Errors
    /// The wait, when the next moment is further than `horizon`, or when
    /// the budget cannot be reached (then a short wait: the message goes
    /// back to the queue rather than out unpaced).
    async fn reserve(
        &self,
        number: &str,
        per_second: u32,
        horizon: Duration,
    ) -> Result<Instant, Duration>;

    /// Holds back every node's next send from `number` for `wait`: Meta
    /// asked the number to slow down.
    async fn slow_down(&self, number: &str, wait: Duration);
}
