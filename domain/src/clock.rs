//! How aggregates learn the time.

use chrono::{DateTime, Utc};

/// The time, as an aggregate's service. Commands that compare with "now"
/// (a schedule must lie in the future) ask it, so tests can fix the time.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// A clock that always says the same time, for tests and replays.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}
