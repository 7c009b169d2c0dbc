//! What a tenant holds of each limited resource in the current period.
//!
//! Every holding has a key (a session id, a campaign id, a message id, a
//! campaign's chunk of sends), so asking twice for the same key holds it
//! once: a retried command cannot count twice.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::plan::Resource;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    counts: BTreeMap<Resource, Holdings>,
}

/// The holdings of one resource, and when the period they count in began
/// (none for what is counted while it exists).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Holdings {
    period_start: Option<DateTime<Utc>>,
    held: BTreeMap<String, u32>,
}

impl Usage {
    /// How many of `resource` are held in the period `now` falls in.
    pub fn used(&self, resource: Resource, now: DateTime<Utc>) -> u32 {
        self.current(resource, now)
            .map_or(0, |holdings| holdings.held.values().sum())
    }

    /// How many `key` holds in the period `now` falls in.
    pub fn held_by(&self, resource: Resource, key: &str, now: DateTime<Utc>) -> Option<u32> {
        self.current(resource, now)
            .and_then(|holdings| holdings.held.get(key).copied())
    }

    fn current(&self, resource: Resource, now: DateTime<Utc>) -> Option<&Holdings> {
        let holdings = self.counts.get(&resource)?;
        let period_start = resource.period().map(|period| period.start_of(now));
        (holdings.period_start == period_start).then_some(holdings)
    }

    /// Records that `key` holds `count` more, at `at`; a new period's first
    /// holding forgets the last period's.
    pub fn hold(&mut self, resource: Resource, key: String, count: u32, at: DateTime<Utc>) {
        let period_start = resource.period().map(|period| period.start_of(at));
        let holdings = self.counts.entry(resource).or_default();
        if holdings.period_start != period_start {
            *holdings = Holdings {
                period_start,
                held: BTreeMap::new(),
            };
        }
        *holdings.held.entry(key).or_default() += count;
    }

    /// Records that `key` gives back `count` (all it holds, at most) in the
    /// period `at` falls in.
    pub fn release(&mut self, resource: Resource, key: &str, count: u32, at: DateTime<Utc>) {
        let period_start = resource.period().map(|period| period.start_of(at));
        let Some(holdings) = self.counts.get_mut(&resource) else {
            return;
        };
        if holdings.period_start != period_start {
            return;
        }
        if let Some(held) = holdings.held.get_mut(key) {
            *held = held.saturating_sub(count);
            if *held == 0 {
                holdings.held.remove(key);
            }
        }
    }
}
