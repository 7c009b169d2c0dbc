//! The open connections, capped. At the cap, a new connection takes the
//! place of the oldest one that is not serving a request (idle between
//! requests, or still waiting for a request's head) and has had a fair
//! chance to send one, so connections that send half a header and stall
//! cannot lock everyone else out: they are the first to go. When no
//! connection can go, new ones wait in the kernel's accept queue until
//! one can.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};

/// How many evicted connections may still be closing before new ones are
/// refused instead: eviction is a signal to another task, and a flood must
/// not outrun it.
const CLOSING_ALLOWANCE: usize = 64;

/// How long a new connection is safe from eviction: long enough for any
/// real client to send its request head, far shorter than a slow client
/// holds a connection.
pub const GRACE: Duration = Duration::from_millis(100);

/// One open connection, as its task and the registry share it.
pub struct Connection {
    admitted_at: Instant,
    requests_in_flight: AtomicUsize,
    evicted: AtomicBool,
    eviction: Notify,
}

impl Connection {
    /// Marks a request as being served until the guard is dropped.
    pub fn serving(self: &Arc<Self>) -> Serving {
        self.requests_in_flight.fetch_add(1, Ordering::SeqCst);
        Serving(Arc::clone(self))
    }

    pub fn is_serving(&self) -> bool {
        self.requests_in_flight.load(Ordering::SeqCst) > 0
    }

    fn can_be_evicted(&self, now: Instant) -> bool {
        !self.is_serving()
            && !self.evicted.load(Ordering::SeqCst)
            && now.duration_since(self.admitted_at) >= GRACE
    }

    /// Resolves when the registry wants this connection closed.
    pub async fn evicted(&self) {
        self.eviction.notified().await;
    }
}

/// A request in flight on its connection.
pub struct Serving(Arc<Connection>);

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.requests_in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Where a new connection would go.
enum Place {
    Free,
    Evicting(Arc<Connection>),
    None,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    /// Open connections by id: ids grow, so the first is the oldest. An
    /// evicted connection stays until its task ends and its socket closes.
    open: BTreeMap<u64, Arc<Connection>>,
    /// How many of `open` are evicted and closing.
    closing: usize,
}

impl Registry {
    fn place(&self, max: usize, now: Instant) -> Place {
        if self.open.len() - self.closing < max {
            return Place::Free;
        }
        if self.closing >= CLOSING_ALLOWANCE {
            return Place::None;
        }
        match self.open.values().find(|c| c.can_be_evicted(now)) {
            Some(oldest_idle) => Place::Evicting(Arc::clone(oldest_idle)),
            None => Place::None,
        }
    }
}

/// The registry of open connections.
pub struct Connections {
    max: usize,
    registry: Mutex<Registry>,
    open_count: watch::Sender<usize>,
}

/// How often admission looks again for a connection that can go, when
/// none could: a connection leaves its grace within this.
const ADMISSION_RETRY: Duration = Duration::from_millis(20);

/// A connection's place in the registry, given back when dropped.
pub struct Admitted {
    id: u64,
    pub connection: Arc<Connection>,
    connections: Arc<Connections>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.connections.release(self.id);
    }
}

impl Connections {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max: max.max(1),
            registry: Mutex::default(),
            open_count: watch::channel(0).0,
        })
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Resolves once a new connection could be admitted.
    pub async fn room(&self) {
        loop {
            if !matches!(self.registry().place(self.max, Instant::now()), Place::None) {
                return;
            }
            tokio::time::sleep(ADMISSION_RETRY).await;
        }
    }

    /// A place for a connection accepted just now, once there is one.
    pub async fn admission(self: &Arc<Self>) -> Admitted {
        loop {
            if let Some(admitted) = self.admit(Instant::now()) {
                return admitted;
            }
            tokio::time::sleep(ADMISSION_RETRY).await;
        }
    }

    /// A place for a connection accepted at `now`: free, or made by
    /// evicting the oldest connection that serves no request and is past
    /// its grace. `None` when no connection can go, or too many are
    /// already closing.
    pub fn admit(self: &Arc<Self>, now: Instant) -> Option<Admitted> {
        let mut registry = self.registry();
        match registry.place(self.max, now) {
            Place::None => return None,
            Place::Free => {}
            Place::Evicting(oldest_idle) => {
                oldest_idle.evicted.store(true, Ordering::SeqCst);
                // A permit is kept if its task is not waiting yet.
                oldest_idle.eviction.notify_one();
                registry.closing += 1;
            }
        }
        let id = registry.next_id;
        registry.next_id += 1;
        let connection = Arc::new(Connection {
            admitted_at: now,
            requests_in_flight: AtomicUsize::new(0),
            evicted: AtomicBool::new(false),
            eviction: Notify::new(),
        });
        registry.open.insert(id, Arc::clone(&connection));
        self.open_count.send_replace(registry.open.len());
        Some(Admitted {
            id,
            connection,
            connections: Arc::clone(self),
        })
    }

    fn release(&self, id: u64) {
        let mut registry = self.registry();
        if let Some(connection) = registry.open.remove(&id) {
            if connection.evicted.load(Ordering::SeqCst) {
                registry.closing -= 1;
            }
        }
        self.open_count.send_replace(registry.open.len());
    }

    pub fn open(&self) -> usize {
        *self.open_count.borrow()
    }

    /// Resolves once every connection has closed.
    pub async fn all_closed(&self) {
        let mut count = self.open_count.subscribe();
        let _ = count.wait_for(|open| *open == 0).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn later(by: Duration) -> Instant {
        Instant::now() + by
    }

    #[test]
    fn at_the_cap_the_oldest_idle_connection_makes_room() {
        let connections = Connections::new(3);
        let start = Instant::now();
        let first = connections.admit(start).unwrap();
        let second = connections.admit(start).unwrap();
        let third = connections.admit(start).unwrap();
        let _busy = first.connection.serving();
        let fourth = connections.admit(start + GRACE).expect("room is made");
        assert!(
            !first.connection.evicted.load(Ordering::SeqCst),
            "a connection serving a request stays"
        );
        assert!(
            second.connection.evicted.load(Ordering::SeqCst),
            "the oldest idle one goes"
        );
        assert!(!third.connection.evicted.load(Ordering::SeqCst));
        assert!(!fourth.connection.evicted.load(Ordering::SeqCst));
        drop(second);
        assert_eq!(connections.open(), 3);
    }

    #[test]
    fn a_connection_within_its_grace_is_not_evicted() {
        let connections = Connections::new(1);
        let start = Instant::now();
        let young = connections.admit(start).unwrap();
        assert!(connections.admit(start + GRACE / 2).is_none());
        assert!(!young.connection.evicted.load(Ordering::SeqCst));
        assert!(connections.admit(start + GRACE).is_some());
    }

    #[test]
    fn when_every_connection_is_serving_a_new_one_waits() {
        let connections = Connections::new(1);
        let only = connections.admit(Instant::now()).unwrap();
        let _busy = only.connection.serving();
        assert!(connections.admit(later(GRACE * 10)).is_none());
    }

    #[test]
    fn closing_connections_count_until_they_are_gone() {
        let connections = Connections::new(1);
        let start = Instant::now();
        let mut held = vec![connections.admit(start).unwrap()];
        for i in 1..=CLOSING_ALLOWANCE as u32 {
            let now = start + GRACE * i;
            held.push(connections.admit(now).expect("an idle one is evicted"));
        }
        let now = start + GRACE * (CLOSING_ALLOWANCE as u32 + 1);
        assert!(
            connections.admit(now).is_none(),
            "too many are still closing"
        );
        held.remove(0);
        assert!(
            connections.admit(now).is_some(),
            "a closed one frees its place"
        );
    }
}
