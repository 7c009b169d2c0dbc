//! Token buckets: per-number throughput (130429), the per-pair limit (131056)
//! and the hourly management cap (80007) are all the same bucket with
//! different capacity and refill.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketShape {
    /// Tokens available at once (the burst).
    pub capacity: f64,
    /// One token comes back every `refill_every`.
    pub refill_every: Duration,
}

impl BucketShape {
    /// `per_second` calls a second, with a one-second burst (throughput, §4).
    pub fn per_second(per_second: u32) -> Self {
        let per_second = per_second.max(1);
        Self {
            capacity: f64::from(per_second),
            refill_every: Duration::from_secs(1) / per_second,
        }
    }

    /// A burst of `burst`, then one every `interval` (pair rate, §4).
    pub fn burst_then_every(burst: u32, interval: Duration) -> Self {
        Self {
            capacity: f64::from(burst.max(1)),
            refill_every: interval,
        }
    }

    /// `per_hour` calls an hour (management API, §4).
    pub fn per_hour(per_hour: u32) -> Self {
        let per_hour = per_hour.max(1);
        Self {
            capacity: f64::from(per_hour),
            refill_every: Duration::from_secs(3600) / per_hour,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TokenBucket {
    shape: BucketShape,
    tokens: f64,
    updated: Duration,
}

impl TokenBucket {
    pub fn full(shape: BucketShape, now: Duration) -> Self {
        Self {
            shape,
            tokens: shape.capacity,
            updated: now,
        }
    }

    /// Takes one token if there is one; `false` means the limit is hit.
    pub fn try_take(&mut self, now: Duration) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn refill(&mut self, now: Duration) {
        let elapsed = now.saturating_sub(self.updated);
        let every = self.shape.refill_every.as_secs_f64();
        let earned = if every > 0.0 {
            elapsed.as_secs_f64() / every
        } else {
            self.shape.capacity
        };
        self.tokens = (self.tokens + earned).min(self.shape.capacity);
        self.updated = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_the_burst_then_refuses() {
        let mut bucket = TokenBucket::full(
            BucketShape::burst_then_every(3, Duration::from_secs(6)),
            Duration::ZERO,
        );
        assert!((0..3).all(|_| bucket.try_take(Duration::ZERO)));
        assert!(!bucket.try_take(Duration::from_secs(1)));
    }

    #[test]
    fn bucket_refills_one_token_per_interval() {
        let mut bucket = TokenBucket::full(
            BucketShape::burst_then_every(1, Duration::from_secs(6)),
            Duration::ZERO,
        );
        assert!(bucket.try_take(Duration::ZERO));
        assert!(!bucket.try_take(Duration::from_secs(5)));
        assert!(bucket.try_take(Duration::from_secs(6)));
    }
}
