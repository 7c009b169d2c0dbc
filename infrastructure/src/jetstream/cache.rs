//! Aggregates this process has loaded or written, kept so that the next
//! command on them needs no read.
//!
//! A cached aggregate may be stale when another node wrote to it. A
//! command that commits is safe anyway: the commit names the position it
//! expects, JetStream refuses it as a conflict, the entry is dropped, and
//! the command is decided again on a fresh load. A command that commits
//! nothing (refused, or nothing to do) is decided again on the current
//! state by the command executor, and reads that decide something (a
//! service window, credentials, a webhook's secret) use the cache only
//! once the log confirms it holds the latest commit
//! (`TenantEventStores::for_tenant_current`).

use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::Mutex;

#[derive(Debug, Clone)]
pub struct CachedAggregate<A> {
    pub aggregate: A,
    pub version: u64,
    pub position: u64,
}

pub struct AggregateCache<A> {
    entries: Option<Mutex<LruCache<String, CachedAggregate<A>>>>,
}

impl<A: Clone> AggregateCache<A> {
    /// A cache of at most `capacity` aggregates; 0 turns it off.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: NonZeroUsize::new(capacity).map(|c| Mutex::new(LruCache::new(c))),
        }
    }

    pub fn get(&self, key: &str) -> Option<CachedAggregate<A>> {
        self.with(|entries| entries.get(key).cloned()).flatten()
    }

    pub fn put(&self, key: String, entry: CachedAggregate<A>) {
        self.with(|entries| entries.put(key, entry));
    }

    pub fn forget(&self, key: &str) {
        self.with(|entries| entries.pop(key));
    }

    fn with<R>(
        &self,
        action: impl FnOnce(&mut LruCache<String, CachedAggregate<A>>) -> R,
    ) -> Option<R> {
        let entries = self.entries.as_ref()?;
        let mut guard = entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Some(action(&mut guard))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(version: u64) -> CachedAggregate<String> {
        CachedAggregate {
            aggregate: format!("v{version}"),
            version,
            position: version,
        }
    }

    #[test]
    fn the_least_recently_used_entry_leaves_first() {
        let cache = AggregateCache::new(2);
        cache.put("a".into(), entry(1));
        cache.put("b".into(), entry(2));
        assert!(cache.get("a").is_some());
        cache.put("c".into(), entry(3));
        assert!(cache.get("b").is_none());
        assert!(cache.get("a").is_some());
    }

    #[test]
    fn a_cache_of_capacity_zero_keeps_nothing() {
        let cache = AggregateCache::new(0);
        cache.put("a".into(), entry(1));
        assert!(cache.get("a").is_none());
    }

    #[test]
    fn forgotten_entries_are_gone() {
        let cache = AggregateCache::new(2);
        cache.put("a".into(), entry(1));
        cache.forget("a");
        assert!(cache.get("a").is_none());
    }
}
