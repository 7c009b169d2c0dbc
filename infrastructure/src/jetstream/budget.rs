//! Each business number's send budget in a NATS key-value bucket
//! (`HERALD_PACE`), shared by every node.
//!
//! The budget is a token bucket kept as one time, as in the local pacer:
//! the moment the number's next message may go (the generic cell rate
//! algorithm, with no burst). A node takes a few moments at once with one
//! compare-and-set on the number's key (the revision it read must still be
//! the key's), keeps them, and hands them to its own sends; when two nodes
//! race, one write fails and that node reads again. Moments a node took and
//! could not use within a quarter second of their time are dropped: the
//! number sends a little under its rate rather than over it.

use async_nats::jetstream::kv;
use async_trait::async_trait;
use herald_application::ports::budget::NumberBudget;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;
use tracing::warn;

use super::log::EventLog;

/// How many moments a node takes at once: a twentieth of a second of the
/// number's rate, at least one.
fn chunk(per_second: u32) -> u32 {
    (per_second / 20).max(1)
}

/// A moment taken and not yet used is dropped once it is this far past: a
/// node slow to use its moments may send them a little late (a burst of at
/// most a quarter second's worth, which Meta's per-second limit absorbs)
/// but never piles them up.
const STALE: Duration = Duration::from_millis(250);

/// How far behind now the number's next moment may be taken from. Sending
/// that has been held up (a slow commit, a paused machine) makes up to a
/// quarter second of the moments it missed, sent at once, a burst Meta's
/// per-second limit absorbs (as it absorbs [`STALE`]'s), where it lost them
/// all: a number at 80 a second sent 756 in a ten-second window with a
/// stall in it. The moments stay spaced by the number's interval; a number
/// whose budget is new starts from now.
const CATCH_UP: Duration = Duration::from_millis(250);

/// Compare-and-set attempts before the budget is reported unreachable.
const ATTEMPTS: u32 = 20;

/// The wait answered when the bucket cannot be reached.
const UNREACHABLE_WAIT: Duration = Duration::from_secs(1);

/// How a compare-and-set on a number's key went.
enum Written {
    Done,
    /// Another node wrote the key since it was read.
    Raced,
    Failed,
}

pub struct JetStreamNumberBudget {
    bucket: kv::Store,
    /// Moments this node took, per number, earliest first.
    taken: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl JetStreamNumberBudget {
    pub fn new(log: &EventLog) -> Self {
        Self {
            bucket: log.pace.clone(),
            taken: Mutex::default(),
        }
    }

    /// The earliest moment this node holds for `number` within `latest`.
    fn take_held(&self, number: &str, now: Instant, latest: Instant) -> Option<Instant> {
        let mut taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        let held = taken.get_mut(number)?;
        while held.front().is_some_and(|at| *at + STALE < now) {
            held.pop_front();
        }
        match held.front() {
            Some(at) if *at <= latest => held.pop_front(),
            _ => None,
        }
    }

    /// The number's next moment (unix nanoseconds; 0 when it has none) and
    /// the revision it was read at.
    async fn read(&self, number: &str) -> Result<(u128, Option<u64>), ()> {
        match self.bucket.entry(number).await {
            Ok(entry) => Ok((
                entry
                    .as_ref()
                    .and_then(|e| std::str::from_utf8(&e.value).ok()?.parse().ok())
                    .unwrap_or(0),
                entry.map(|e| e.revision),
            )),
            Err(error) => {
                warn!(%number, %error, "the send budget cannot be read");
                Err(())
            }
        }
    }

    /// Writes the number's next moment, if the key is still at `revision`.
    async fn write(&self, number: &str, next: u128, revision: Option<u64>) -> Written {
        let value = next.to_string().into_bytes().into();
        let written = match revision {
            Some(revision) => self
                .bucket
                .update(number, value, revision)
                .await
                .map(drop)
                .map_err(|e| e.kind() == kv::UpdateErrorKind::WrongLastRevision),
            None => self
                .bucket
                .create(number, value)
                .await
                .map(drop)
                .map_err(|e| e.kind() == kv::CreateErrorKind::AlreadyExists),
        };
        match written {
            Ok(()) => Written::Done,
            Err(true) => Written::Raced,
            Err(false) => {
                warn!(%number, "the send budget cannot be written");
                Written::Failed
            }
        }
    }

    fn hold(&self, number: &str, moments: impl Iterator<Item = Instant>) {
        let mut taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        taken.entry(number.to_owned()).or_default().extend(moments);
    }

    /// Takes `chunk` moments from the shared bucket, the first of them
    /// within `horizon`; `Err` with the wait when the first is further.
    async fn take_shared(
        &self,
        number: &str,
        per_second: u32,
        horizon: Duration,
    ) -> Result<Vec<Instant>, Duration> {
        let interval = Duration::from_secs(1) / per_second.max(1);
        let count = chunk(per_second);
        for _ in 0..ATTEMPTS {
            let Ok((next, revision)) = self.read(number).await else {
                return Err(UNREACHABLE_WAIT);
            };
            let (now, wall) = (Instant::now(), unix_nanos());
            let earliest = match revision {
                Some(_) => wall.saturating_sub(CATCH_UP.as_nanos()),
                None => wall,
            };
            let next = next.max(earliest);
            let wait = nanos(next.saturating_sub(wall));
            if wait > horizon {
                return Err(wait);
            }
            let after = next + interval.as_nanos() * u128::from(count);
            match self.write(number, after, revision).await {
                Written::Done => {
                    let behind = nanos(wall.saturating_sub(next));
                    let first = now.checked_sub(behind).unwrap_or(now) + wait;
                    return Ok((0..count).map(|i| first + interval * i).collect());
                }
                // Another node took moments first: read again.
                Written::Raced => continue,
                Written::Failed => return Err(UNREACHABLE_WAIT),
            }
        }
        Err(interval)
    }
}

#[async_trait]
impl NumberBudget for JetStreamNumberBudget {
    async fn reserve(
        &self,
        number: &str,
        per_second: u32,
        horizon: Duration,
    ) -> Result<Instant, Duration> {
        let now = Instant::now();
        if let Some(at) = self.take_held(number, now, now + horizon) {
            return Ok(at);
        }
        let mut moments = self
            .take_shared(number, per_second, horizon)
            .await?
            .into_iter();
        let first = moments.next().ok_or(UNREACHABLE_WAIT)?;
        self.hold(number, moments);
        Ok(first)
    }

    async fn slow_down(&self, number: &str, wait: Duration) {
        self.taken
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(number);
        for _ in 0..ATTEMPTS {
            let Ok((next, revision)) = self.read(number).await else {
                return;
            };
            let until = unix_nanos() + wait.as_nanos();
            if next >= until {
                return;
            }
            match self.write(number, until, revision).await {
                Written::Done | Written::Failed => return,
                Written::Raced => continue,
            }
        }
        warn!(%number, "the number could not be slowed down in its budget");
    }
}

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn nanos(nanos: u128) -> Duration {
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}
