//! The real clock, for aggregates outside tests.

use chrono::{DateTime, Utc};
use herald_domain::Clock;

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
