//! Snapshots of long-lived aggregates in a KV bucket. They only save
//! reading: a missing, stale or unreadable snapshot falls back to the events.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tracing::warn;

use super::log::EventLog;

#[derive(Debug, Serialize, Deserialize)]
pub struct Snapshot<A> {
    /// The aggregate sequence of the last event folded in.
    pub version: u64,
    /// The stream position of the commit that event came in.
    pub position: u64,
    pub state: A,
}

/// The key of an aggregate's snapshot: `<tenant>.<aggregate_type>.<id>`.
pub fn snapshot_key(tenant: &str, aggregate_type: &str, aggregate_id: &str) -> String {
    format!("{tenant}.{aggregate_type}.{aggregate_id}")
}

pub async fn load<A: DeserializeOwned>(log: &EventLog, key: &str) -> Option<Snapshot<A>> {
    let bytes = match log.snapshots.get(key).await {
        Ok(bytes) => bytes?,
        Err(error) => {
            warn!(key, %error, "cannot read a snapshot; replaying events instead");
            return None;
        }
    };
    serde_json::from_slice(&bytes)
        .inspect_err(
            |error| warn!(key, %error, "a snapshot no longer reads back; replaying events instead"),
        )
        .ok()
}

pub async fn save<A: Serialize>(log: &EventLog, key: &str, snapshot: &Snapshot<A>) {
    let bytes = match serde_json::to_vec(snapshot) {
        Ok(bytes) => bytes,
        Err(error) => return warn!(key, %error, "cannot serialize a snapshot"),
    };
    if let Err(error) = log.snapshots.put(key, bytes.into()).await {
        warn!(key, %error, "cannot write a snapshot");
    }
}
