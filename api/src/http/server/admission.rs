//! Admission: how many requests of each kind Herald works on at once, and
//! how many may wait for a turn, and for how long. Past that, a request is
//! answered 503 with `Retry-After` at once: overload is refused, never
//! queued without bound, so memory stays flat and every answer is prompt.
//!
//! Reads, commands and Meta's webhooks each have their own lane, so a flood
//! of list queries cannot keep a webhook or a send waiting. Health checks
//! and the progress streams (long-lived by design) take no turn.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::http::ApiError;

/// The size of one lane.
#[derive(Debug, Clone, Copy)]
pub struct LaneLimits {
    /// Requests worked on at once.
    pub in_flight: usize,
    /// Requests that may wait for one of those turns.
    pub waiting: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct AdmissionLimits {
    pub reads: LaneLimits,
    pub commands: LaneLimits,
    pub webhooks: LaneLimits,
    /// The longest a request waits for its turn before it is refused.
    pub max_wait: Duration,
}

impl Default for AdmissionLimits {
    /// Reads mostly work the CPU and the read store: a few dozen at once
    /// keep two cores busy. Commands mostly wait for the event log, so far
    /// more can be in progress. A tenth of a second in the queue smooths a
    /// burst; past it, the client is better told at once (at twice the
    /// rate two cores serve, a wait of half a second made every answer,
    /// refusals included, take 400 ms: `herald bench --suite queries`).
    fn default() -> Self {
        Self {
            reads: LaneLimits {
                in_flight: 32,
                waiting: 256,
            },
            commands: LaneLimits {
                in_flight: 256,
                waiting: 1_024,
            },
            webhooks: LaneLimits {
                in_flight: 64,
                waiting: 256,
            },
            max_wait: Duration::from_millis(100),
        }
    }
}

/// The lanes, shared by every connection.
#[derive(Clone)]
pub struct Admission {
    reads: Arc<Lane>,
    commands: Arc<Lane>,
    webhooks: Arc<Lane>,
    max_wait: Duration,
}

struct Lane {
    name: &'static str,
    turns: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    refused: AtomicU64,
}

/// How many requests each lane has refused since start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusals {
    pub reads: u64,
    pub commands: u64,
    pub webhooks: u64,
}

impl Admission {
    pub fn new(limits: AdmissionLimits) -> Self {
        Self {
            reads: Lane::new("reads", limits.reads),
            commands: Lane::new("commands", limits.commands),
            webhooks: Lane::new("webhooks", limits.webhooks),
            max_wait: limits.max_wait,
        }
    }

    pub fn refusals(&self) -> Refusals {
        Refusals {
            reads: self.reads.refused.load(Ordering::Relaxed),
            commands: self.commands.refused.load(Ordering::Relaxed),
            webhooks: self.webhooks.refused.load(Ordering::Relaxed),
        }
    }

    /// The lane a request waits in; `None` for those that take no turn.
    fn lane_of(&self, method: &Method, path: &str) -> Option<&Lane> {
        if !path.starts_with("/v1/") || path.ends_with("/progress") {
            return None;
        }
        if path.starts_with("/v1/webhooks/") {
            return Some(&self.webhooks);
        }
        if method == Method::GET || method == Method::HEAD {
            Some(&self.reads)
        } else {
            Some(&self.commands)
        }
    }
}

impl Lane {
    fn new(name: &'static str, limits: LaneLimits) -> Arc<Self> {
        Arc::new(Self {
            name,
            turns: Arc::new(Semaphore::new(limits.in_flight.max(1))),
            waiting: AtomicUsize::new(0),
            max_waiting: limits.waiting,
            refused: AtomicU64::new(0),
        })
    }

    /// A turn at once if one is free; else a place in the queue, if there
    /// is one, for at most `max_wait`.
    async fn turn(&self, max_wait: Duration) -> Option<OwnedSemaphorePermit> {
        if let Ok(turn) = Arc::clone(&self.turns).try_acquire_owned() {
            return Some(turn);
        }
        let place = Place::take(&self.waiting, self.max_waiting)?;
        let turn = tokio::time::timeout(max_wait, Arc::clone(&self.turns).acquire_owned()).await;
        drop(place);
        turn.ok().and_then(Result::ok)
    }

    fn refuse(&self) -> Response {
        self.refused.fetch_add(1, Ordering::Relaxed);
        ApiError::Unavailable {
            code: "overloaded",
            message: format!(
                "Herald is at capacity for {}; try again in a moment",
                self.name
            ),
        }
        .into_response()
    }
}

/// A place in a lane's queue, given back when dropped.
struct Place<'a>(&'a AtomicUsize);

impl<'a> Place<'a> {
    fn take(waiting: &'a AtomicUsize, max: usize) -> Option<Self> {
        waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < max).then_some(now + 1)
            })
            .ok()
            .map(|_| Self(waiting))
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Lets a request through when its lane gives it a turn, holding the turn
/// until the answer is made; refuses it otherwise.
pub async fn admit(State(admission): State<Admission>, request: Request, next: Next) -> Response {
    let Some(lane) = admission.lane_of(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    match lane.turn(admission.max_wait).await {
        Some(turn) => {
            let response = next.run(request).await;
            drop(turn);
            response
        }
        None => lane.refuse(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane(in_flight: usize, waiting: usize) -> Arc<Lane> {
        Lane::new("reads", LaneLimits { in_flight, waiting })
    }

    #[tokio::test]
    async fn a_free_turn_is_taken_at_once() {
        let lane = lane(1, 0);
        assert!(lane.turn(Duration::ZERO).await.is_some());
    }

    #[tokio::test]
    async fn with_every_turn_taken_and_no_room_to_wait_a_request_is_refused_at_once() {
        let lane = lane(1, 0);
        let _held = lane.turn(Duration::ZERO).await;
        let refused =
            tokio::time::timeout(Duration::from_secs(5), lane.turn(Duration::from_secs(60)));
        assert!(refused.await.expect("answered without waiting").is_none());
    }

    #[tokio::test]
    async fn a_waiting_request_gets_the_turn_given_back() {
        let lane = lane(1, 1);
        let held = lane.turn(Duration::ZERO).await;
        let waiter = {
            let lane = Arc::clone(&lane);
            tokio::spawn(async move { lane.turn(Duration::from_secs(60)).await.is_some() })
        };
        while lane.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        drop(held);
        assert!(waiter.await.unwrap());
        assert_eq!(lane.waiting.load(Ordering::Acquire), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_that_waited_too_long_is_refused_and_leaves_the_queue() {
        let lane = lane(1, 1);
        let _held = lane.turn(Duration::ZERO).await;
        assert!(lane.turn(Duration::from_millis(500)).await.is_none());
        assert_eq!(lane.waiting.load(Ordering::Acquire), 0);
    }

    #[tokio::test]
    async fn the_queue_holds_no_more_than_its_room() {
        let lane = lane(1, 2);
        let _held = lane.turn(Duration::ZERO).await;
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let lane = Arc::clone(&lane);
                tokio::spawn(async move { lane.turn(Duration::from_secs(60)).await })
            })
            .collect();
        while lane.waiting.load(Ordering::Acquire) < 2 {
            tokio::task::yield_now().await;
        }
        assert!(lane.turn(Duration::from_secs(60)).await.is_none());
        for waiter in waiters {
            waiter.abort();
        }
    }

    #[test]
    fn health_and_streams_take_no_turn_and_webhooks_have_their_own_lane() {
        let admission = Admission::new(AdmissionLimits::default());
        let name = |method: Method, path: &str| admission.lane_of(&method, path).map(|l| l.name);
        assert_eq!(name(Method::GET, "/healthz"), None);
        assert_eq!(name(Method::GET, "/v1/campaigns/c1/progress"), None);
        assert_eq!(
            name(Method::POST, "/v1/webhooks/whatsapp"),
            Some("webhooks")
        );
        assert_eq!(name(Method::GET, "/v1/campaigns"), Some("reads"));
        assert_eq!(name(Method::POST, "/v1/campaigns"), Some("commands"));
        assert_eq!(name(Method::DELETE, "/v1/sessions/s1"), Some("commands"));
    }
}
