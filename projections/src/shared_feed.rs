//! One reading of the log per node, shared by its projections.
//!
//! Each projection follows the log from its own checkpoint. Given a feed
//! each, the server delivers every commit once per projection and the node
//! reads it as many times; on the busiest path (a command a request, every
//! commit read three times) that was a fifth of the server's CPU and a
//! tenth of the node's. [`SharedFeed`] reads the log once and hands every
//! follower what it follows of each commit:
//!
//! ```text
//! follow(after) ──▶ the shared reading has given nothing past `after`?
//!                     yes: join it (it starts at `after` if none runs)
//!                     no:  read privately from `after`, and join it once
//!                          caught up with it
//! fell behind the shared reading, or it stopped ──▶ private again, from
//!                                                   the last position given
//! ```
//!
//! A follower never misses a position nor sees one twice: it joins the
//! shared reading only under the lock under which every position is handed
//! out, when nothing past its own has been, and skips what it has seen.

use async_trait::async_trait;
use futures::stream::{self, BoxStream};
use futures::StreamExt;
use herald_application::ports::event_feed::{EventFeed, FeedError, FeedItem, RecordedCommit};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::broadcast;

/// Positions the shared reading may be ahead of its slowest follower; one
/// further behind reads privately until it has caught up again. A new
/// follower starting further than this behind the log's head (a rebuild
/// from the start) reads privately too, rather than hold the others back.
const CAPACITY: usize = 4_096;

type Shared = Arc<Result<FeedItem, FeedError>>;

/// An [`EventFeed`] whose followers share one reading of `inner`.
pub struct SharedFeed {
    hub: Arc<Hub>,
}

struct Hub {
    inner: Arc<dyn EventFeed>,
    /// Every aggregate type any follower may follow: the shared reading
    /// parses these and passes the others by.
    followed: &'static [&'static str],
    capacity: usize,
    reading: Mutex<Option<Reading>>,
}

/// The shared reading, while one runs.
struct Reading {
    /// The last position handed out (or where the reading started).
    given: u64,
    items: broadcast::Sender<Shared>,
}

impl SharedFeed {
    /// Shares readings of `inner` among followers of types in `followed`;
    /// a follower of any other type reads privately.
    pub fn new(inner: Arc<dyn EventFeed>, followed: &'static [&'static str]) -> Self {
        Self::with_capacity(inner, followed, CAPACITY)
    }

    /// As [`SharedFeed::new`], with the shared reading at most `capacity`
    /// positions (at least one) ahead of its slowest follower.
    pub fn with_capacity(
        inner: Arc<dyn EventFeed>,
        followed: &'static [&'static str],
        capacity: usize,
    ) -> Self {
        Self {
            hub: Arc::new(Hub {
                inner,
                followed,
                capacity: capacity.max(1),
                reading: Mutex::new(None),
            }),
        }
    }
}

impl Hub {
    /// Joins the shared reading if it has given nothing past `after`,
    /// starting one at `after` when none runs.
    fn join(self: &Arc<Self>, after: u64) -> Option<broadcast::Receiver<Shared>> {
        let mut reading = self.reading.lock().unwrap_or_else(PoisonError::into_inner);
        match reading.as_ref() {
            Some(running) if running.given <= after => Some(running.items.subscribe()),
            Some(_) => None,
            None => {
                let (items, joined) = broadcast::channel(self.capacity);
                *reading = Some(Reading {
                    given: after,
                    items: items.clone(),
                });
                tokio::spawn(Arc::clone(self).read(after, items));
                Some(joined)
            }
        }
    }

    /// Reads the log after `after` for every follower, until the last one
    /// leaves or the log fails.
    async fn read(self: Arc<Self>, after: u64, items: broadcast::Sender<Shared>) {
        let mut log = match self.inner.follow(after, self.followed).await {
            Ok(log) => log,
            Err(error) => {
                self.hand_out(&items, None, Err(error));
                return self.stop(&items);
            }
        };
        loop {
            let next = tokio::select! {
                () = items.closed() => break,
                next = log.next() => next,
            };
            match next {
                Some(Ok(item)) => {
                    let position = item.position();
                    self.hand_out(&items, Some(position), Ok(item));
                }
                Some(Err(error)) => {
                    self.hand_out(&items, None, Err(error));
                    break;
                }
                None => {
                    let ended = FeedError("the shared reading of the log ended".to_owned());
                    self.hand_out(&items, None, Err(ended));
                    break;
                }
            }
        }
        self.stop(&items);
    }

    /// Gives `item` to every follower, and records its position, together:
    /// a follower joining sees either both or neither.
    fn hand_out(
        &self,
        items: &broadcast::Sender<Shared>,
        position: Option<u64>,
        item: Result<FeedItem, FeedError>,
    ) {
        let mut reading = self.reading.lock().unwrap_or_else(PoisonError::into_inner);
        if let (Some(reading), Some(position)) = (reading.as_mut(), position) {
            reading.given = position;
        }
        // No follower left: the reading stops at its next turn.
        let _ = items.send(Arc::new(item));
    }

    /// Ends this reading; followers still joined to it go on privately.
    fn stop(&self, items: &broadcast::Sender<Shared>) {
        let mut reading = self.reading.lock().unwrap_or_else(PoisonError::into_inner);
        if reading
            .as_ref()
            .is_some_and(|running| running.items.same_channel(items))
        {
            *reading = None;
        }
    }
}

/// Where a follower's next item comes from.
enum Source {
    Shared(broadcast::Receiver<Shared>),
    Private(BoxStream<'static, Result<FeedItem, FeedError>>),
}

struct Follower {
    hub: Arc<Hub>,
    followed: &'static [&'static str],
    /// The last position given to this follower.
    last: u64,
    source: Source,
}

impl Follower {
    async fn next(&mut self) -> Option<Result<FeedItem, FeedError>> {
        loop {
            match &mut self.source {
                Source::Shared(items) => match items.recv().await {
                    Ok(shared) => match shared.as_ref() {
                        Ok(item) if item.position() <= self.last => {}
                        Ok(item) => {
                            self.last = item.position();
                            return Some(Ok(item.as_seen_by(self.followed)));
                        }
                        Err(error) => return Some(Err(error.clone())),
                    },
                    // Fell behind the shared reading, or it stopped: read
                    // on privately from the last position given.
                    Err(
                        broadcast::error::RecvError::Lagged(_)
                        | broadcast::error::RecvError::Closed,
                    ) => match self.hub.inner.follow(self.last, self.followed).await {
                        Ok(private) => self.source = Source::Private(private),
                        Err(error) => return Some(Err(error)),
                    },
                },
                Source::Private(items) => {
                    let item = items.next().await?;
                    if let Ok(item) = &item {
                        self.last = item.position();
                        if item.pending() == 0 {
                            if let Some(shared) = self.hub.join(self.last) {
                                self.source = Source::Shared(shared);
                            }
                        }
                    }
                    return Some(item);
                }
            }
        }
    }
}

#[async_trait]
impl EventFeed for SharedFeed {
    async fn subscribe(
        &self,
        after: u64,
    ) -> Result<BoxStream<'static, Result<RecordedCommit, FeedError>>, FeedError> {
        self.hub.inner.subscribe(after).await
    }

    async fn follow(
        &self,
        after: u64,
        followed: &'static [&'static str],
    ) -> Result<BoxStream<'static, Result<FeedItem, FeedError>>, FeedError> {
        let shareable = followed.iter().all(|kind| self.hub.followed.contains(kind));
        if !shareable {
            return self.hub.inner.follow(after, followed).await;
        }
        let behind = self.hub.inner.head().await?.saturating_sub(after);
        let near_head = behind <= self.hub.capacity as u64;
        let shared = if near_head {
            self.hub.join(after)
        } else {
            None
        };
        let source = match shared {
            Some(shared) => Source::Shared(shared),
            None => Source::Private(self.hub.inner.follow(after, followed).await?),
        };
        let follower = Follower {
            hub: Arc::clone(&self.hub),
            followed,
            last: after,
            source,
        };
        Ok(stream::unfold(follower, |mut follower| async move {
            let item = follower.next().await?;
            Some((item, follower))
        })
        .boxed())
    }

    async fn head(&self) -> Result<u64, FeedError> {
        self.hub.inner.head().await
    }

    async fn identity(&self) -> Result<String, FeedError> {
        self.hub.inner.identity().await
    }
}
