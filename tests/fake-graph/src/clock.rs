//! The fake's notion of time: real time plus a skew tests can advance.
//!
//! The 24-hour window, the pair limit, the hourly template cap and media URL
//! expiry all read this clock, so a test jumps hours ahead instead of waiting.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug)]
pub struct Clock {
    origin: Instant,
    skew: Mutex<Duration>,
}

impl Clock {
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
            skew: Mutex::new(Duration::ZERO),
        }
    }

    /// Time since the fake started, including every [`Clock::advance`].
    pub fn now(&self) -> Duration {
        self.origin.elapsed() + self.skew()
    }

    /// Unix seconds, as webhook `timestamp` strings carry them.
    pub fn unix_secs(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        (real + self.skew()).as_secs()
    }

    pub fn advance(&self, by: Duration) {
        let mut skew = self
            .skew
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        *skew += by;
    }

    fn skew(&self) -> Duration {
        *self
            .skew
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_both_readings() {
        let clock = Clock::new();
        let before = (clock.now(), clock.unix_secs());
        clock.advance(Duration::from_secs(3600));
        assert!(clock.now() >= before.0 + Duration::from_secs(3600));
        assert!(clock.unix_secs() >= before.1 + 3600);
    }
}
