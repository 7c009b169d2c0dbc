//! Waiting for eventually consistent results: poll, with a deadline.

use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Calls `check` until it gives `Some`, and returns that.
///
/// # Panics
/// When `limit` passes first, naming `what` was awaited.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {limit:?}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}
