//! Sending no faster than Meta allows: a rate per business number, and a
//! slower pace per (number, recipient) pair.
//!
//! Each limit is a token bucket kept as one instant (the generic cell rate
//! algorithm): the time at which the bucket will be full again. Taking a
//! token reserves the earliest free slot and returns how long to wait for
//! it, so callers queue in order of arrival, sleep exactly as long as they
//! must, and never poll. A caller waiting for one recipient holds no lock
//! and delays no one else.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tokio::time::{sleep_until, Instant};

use super::config::CloudApiConfig;

/// A token bucket that refills one token every `interval` and holds at
/// most `burst` tokens.
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    interval: Duration,
    /// How far ahead of now the full-again time may run: `(burst − 1)`
    /// intervals.
    tolerance: Duration,
    /// When the bucket is full again; in the past when it is full.
    full_at: Option<Instant>,
}

impl Bucket {
    pub fn new(interval: Duration, burst: u32) -> Self {
        Self {
            interval,
            tolerance: interval.saturating_mul(burst.saturating_sub(1)),
            full_at: None,
        }
    }

    /// Takes a token and gives the instant at which it may be used: `now`
    /// while the bucket has tokens, later once it is empty.
    pub fn reserve(&mut self, now: Instant) -> Instant {
        let full_at = self.full_at.map_or(now, |at| at.max(now));
        let slot = full_at
            .checked_sub(self.tolerance)
            .map_or(now, |at| at.max(now));
        self.full_at = Some(full_at + self.interval);
        slot
    }

    /// Gives no slot before `until`.
    pub fn hold_until(&mut self, until: Instant) {
        let full_at = until + self.tolerance;
        self.full_at = Some(self.full_at.map_or(full_at, |at| at.max(full_at)));
    }

    /// The instant [`Bucket::reserve`] would give, taking nothing.
    pub fn next_slot(&self, now: Instant) -> Instant {
        let full_at = self.full_at.map_or(now, |at| at.max(now));
        full_at
            .checked_sub(self.tolerance)
            .map_or(now, |at| at.max(now))
    }

    /// Whether the bucket has refilled completely, so that forgetting it
    /// changes nothing.
    fn is_full(&self, now: Instant) -> bool {
        self.full_at.is_none_or(|at| at <= now)
    }
}

/// Pair buckets are dropped once full; a sweep runs when the map has grown
/// past this many entries since the last one.
const FIRST_SWEEP: usize = 1024;

/// The buckets of every number and pair this process sends from.
#[derive(Debug)]
pub struct Pacer {
    number_interval: Duration,
    pair_interval: Duration,
    pair_burst: u32,
    numbers: Mutex<HashMap<String, Bucket>>,
    pairs: Mutex<Pairs>,
}

#[derive(Debug, Default)]
struct Pairs {
    buckets: HashMap<(String, String), Bucket>,
    sweep_at: usize,
}

impl Pacer {
    pub fn new(config: &CloudApiConfig) -> Self {
        Self {
            number_interval: Duration::from_secs(1) / config.number_rate_per_second.max(1),
            pair_interval: config.pair_interval,
            pair_burst: config.pair_burst,
            numbers: Mutex::default(),
            pairs: Mutex::new(Pairs {
                sweep_at: FIRST_SWEEP,
                ..Pairs::default()
            }),
        }
    }

    /// Waits until a message may go from `number` to `recipient`: first for
    /// the pair, which may take seconds, then for the number, so that no
    /// slot of the number's rate is held while the pair waits.
    pub async fn before_send(&self, number: &str, recipient: &str) {
        let pair_slot = self.reserve_pair(number, recipient, Instant::now());
        sleep_until(pair_slot).await;
        self.before_call(number).await;
    }

    /// Waits until the number's rate allows one more call.
    pub async fn before_call(&self, number: &str) {
        let slot = self.reserve_number(number, Instant::now());
        sleep_until(slot).await;
    }

    /// Reserves the moment a message may go from `number` to `recipient`
    /// by the pair's limit, if it comes within `horizon`; otherwise takes
    /// nothing and says how long until it does. (The number's own rate is
    /// its budget's business, shared by every node.)
    ///
    /// # Errors
    /// That wait, when it is beyond `horizon`.
    pub fn reserve_pair_within(
        &self,
        number: &str,
        recipient: &str,
        horizon: Duration,
    ) -> Result<Instant, Duration> {
        let now = Instant::now();
        self.with_pair(number, recipient, now, |pair| {
            let slot = pair.next_slot(now);
            if slot > now + horizon {
                return Err(slot - now);
            }
            Ok(pair.reserve(now))
        })
    }

    /// Holds the pair back: its next slot is `wait` from now at the
    /// earliest (Meta refused a message for the pair limit).
    pub fn slow_pair(&self, number: &str, recipient: &str, wait: Duration) {
        let now = Instant::now();
        self.with_pair(number, recipient, now, |pair| pair.hold_until(now + wait));
    }

    fn reserve_number(&self, number: &str, now: Instant) -> Instant {
        // A panic elsewhere cannot leave a bucket half-updated: the map is
        // always consistent, so a poisoned lock is still usable.
        let mut numbers = self.numbers.lock().unwrap_or_else(PoisonError::into_inner);
        numbers
            .entry(number.to_owned())
            .or_insert_with(|| Bucket::new(self.number_interval, 1))
            .reserve(now)
    }

    fn reserve_pair(&self, number: &str, recipient: &str, now: Instant) -> Instant {
        self.with_pair(number, recipient, now, |pair| pair.reserve(now))
    }

    /// Runs `act` on the pair's bucket, made full if the pair has none.
    fn with_pair<R>(
        &self,
        number: &str,
        recipient: &str,
        now: Instant,
        act: impl FnOnce(&mut Bucket) -> R,
    ) -> R {
        let mut pairs = self.pairs.lock().unwrap_or_else(PoisonError::into_inner);
        pairs.sweep(now);
        let pair = pairs
            .buckets
            .entry((number.to_owned(), recipient.to_owned()))
            .or_insert_with(|| Bucket::new(self.pair_interval, self.pair_burst));
        act(pair)
    }
}

impl Pairs {
    /// Forgets full buckets, so that a process sending to millions of
    /// recipients keeps only those it sent to in the last few intervals.
    fn sweep(&mut self, now: Instant) {
        if self.buckets.len() < self.sweep_at {
            return;
        }
        self.buckets.retain(|_, bucket| !bucket.is_full(now));
        self.sweep_at = (self.buckets.len() * 2).max(FIRST_SWEEP);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn a_bucket_gives_its_burst_at_once_then_one_per_interval() {
        let start = Instant::now();
        let mut bucket = Bucket::new(6 * SECOND, 3);
        let slots: Vec<Duration> = (0..5).map(|_| bucket.reserve(start) - start).collect();
        assert_eq!(slots, [0, 0, 0, 6, 12].map(|s| s * SECOND));
    }

    #[test]
    fn a_bucket_refills_while_idle() {
        let start = Instant::now();
        let mut bucket = Bucket::new(SECOND, 2);
        bucket.reserve(start);
        bucket.reserve(start);
        assert_eq!(bucket.reserve(start), start + SECOND);
        let later = start + 10 * SECOND;
        assert!(bucket.is_full(later));
        assert_eq!(bucket.reserve(later), later);
        assert_eq!(bucket.reserve(later), later);
        assert_eq!(bucket.reserve(later), later + SECOND);
    }

    #[test]
    fn a_bucket_of_one_spaces_every_call() {
        let start = Instant::now();
        let mut bucket = Bucket::new(Duration::from_millis(12), 1);
        let slots: Vec<Duration> = (0..3).map(|_| bucket.reserve(start) - start).collect();
        assert_eq!(slots, [0, 12, 24].map(Duration::from_millis));
    }

    fn pacer(rate: u32, pair_burst: u32) -> Pacer {
        Pacer::new(&CloudApiConfig {
            number_rate_per_second: rate,
            pair_interval: 6 * SECOND,
            pair_burst,
            ..CloudApiConfig::default()
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_number_sends_at_its_rate() {
        let pacer = pacer(80, 5);
        let start = Instant::now();
        for i in 0..81 {
            pacer.before_send("n1", &format!("+1555000{i:04}")).await;
        }
        assert_eq!(Instant::now() - start, SECOND);
    }

    #[tokio::test(start_paused = true)]
    async fn numbers_do_not_share_a_rate() {
        let pacer = pacer(1, 5);
        let start = Instant::now();
        pacer.before_call("n1").await;
        pacer.before_call("n2").await;
        assert_eq!(Instant::now(), start);
        pacer.before_call("n1").await;
        assert_eq!(Instant::now() - start, SECOND);
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_for_one_recipient_does_not_hold_up_another() {
        let pacer = std::sync::Arc::new(pacer(80, 1));
        pacer.before_send("n1", "+15550001").await;
        let start = Instant::now();
        let busy = tokio::spawn({
            let pacer = pacer.clone();
            async move { pacer.before_send("n1", "+15550001").await }
        });
        tokio::task::yield_now().await;
        pacer.before_send("n1", "+15550002").await;
        assert!(Instant::now() - start < SECOND);
        busy.await.unwrap();
        assert_eq!(Instant::now() - start, 6 * SECOND);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pair_reservation_beyond_the_horizon_takes_nothing() {
        let pacer = pacer(80, 2);
        let horizon = SECOND;
        for _ in 0..2 {
            assert_eq!(
                pacer.reserve_pair_within("n1", "+15550001", horizon),
                Ok(Instant::now())
            );
        }
        let wait = pacer
            .reserve_pair_within("n1", "+15550001", horizon)
            .unwrap_err();
        assert_eq!(wait, 6 * SECOND);
        // The refusal took nothing: the pair's next slot is still 6 s off,
        // and another recipient goes at once.
        assert_eq!(
            pacer.reserve_pair_within("n1", "+15550001", 6 * SECOND),
            Ok(Instant::now() + 6 * SECOND)
        );
        assert_eq!(
            pacer.reserve_pair_within("n1", "+15550002", horizon),
            Ok(Instant::now())
        );
    }

    #[test]
    fn full_pair_buckets_are_forgotten() {
        let pacer = pacer(80, 1);
        let start = Instant::now();
        for i in 0..FIRST_SWEEP {
            pacer.reserve_pair("n1", &i.to_string(), start);
        }
        pacer.reserve_pair("n1", "last", start + 60 * SECOND);
        let pairs = pacer.pairs.lock().unwrap();
        assert_eq!(pairs.buckets.len(), 1);
    }
}
