//! Accounts as this node last read them from the log, for a short while.
//!
//! Every authenticated request needs its account's state (is the user
//! still active, still signed in, which role; is the key revoked). Reading
//! the log each time costs a round trip; keeping what was read for
//! [`AccountSettings::recheck_after`](super::AccountSettings) costs that
//! long for a change made on another node to reach this one. A change
//! made through this node is seen at once: the service forgets the entry.

use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

use herald_domain::TenantId;

/// How many accounts a node keeps: beyond it, the least recently used go.
const CAPACITY: usize = 10_000;

pub struct RecentAccounts<T> {
    entries: Mutex<LruCache<(TenantId, Uuid), (Instant, T)>>,
    keep_for: Duration,
}

impl<T: Clone> RecentAccounts<T> {
    pub fn new(keep_for: Duration) -> Self {
        Self {
            entries: Mutex::new(LruCache::new(
                NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN),
            )),
            keep_for,
        }
    }

    /// The account as read less than `keep_for` ago, if it was.
    pub fn get(&self, tenant: &TenantId, id: Uuid) -> Option<T> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let key = (tenant.clone(), id);
        match entries.get(&key) {
            Some((read_at, account)) if read_at.elapsed() < self.keep_for => Some(account.clone()),
            Some(_) => {
                entries.pop(&key);
                None
            }
            None => None,
        }
    }

    /// The account as last read, however long ago, and whether that was
    /// within `keep_for`.
    pub fn get_any(&self, tenant: &TenantId, id: Uuid) -> Option<(T, bool)> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&(tenant.clone(), id))
            .map(|(read_at, account)| (account.clone(), read_at.elapsed() < self.keep_for))
    }

    pub fn put(&self, tenant: &TenantId, id: Uuid, account: T) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.put((tenant.clone(), id), (Instant::now(), account));
    }

    pub fn forget(&self, tenant: &TenantId, id: Uuid) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.pop(&(tenant.clone(), id));
    }
}
