//! A commit as stored: one JetStream message per command.
//!
//! The body is JSON, readable by any auditor with the `nats` CLI:
//! `{"commandId", "tenant", "aggregateType", "aggregateId", "recordedAt",
//! "metadata": {...}, "events": [{"sequence", "type", "version", "payload"}]}`.

use chrono::{DateTime, Utc};
use herald_application::metadata::keys;
use herald_application::ports::event_feed::{RecordedCommit, RecordedEvent};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::HashMap;

/// The header naming the aggregate type, so readers can skip a commit
/// without parsing it.
pub const AGGREGATE_TYPE_HEADER: &str = "Herald-Aggregate-Type";

/// [`AGGREGATE_TYPE_HEADER`] as a header name, built once.
pub const AGGREGATE_TYPE: async_nats::HeaderName =
    async_nats::HeaderName::from_static(AGGREGATE_TYPE_HEADER);

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitEnvelope {
    pub command_id: String,
    pub tenant: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub recorded_at: DateTime<Utc>,
    #[serde(default)]
    pub metadata: HashMap<String, String>,
    pub events: Vec<StoredEvent>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct StoredEvent {
    /// The event's number within its aggregate, from 1.
    pub sequence: u64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub version: String,
    pub payload: Box<RawValue>,
}

impl CommitEnvelope {
    /// The commit's metadata as readers get it: what the command carried,
    /// its id and tenant (stored once, at the top of the commit), and the
    /// position and time the store assigned.
    pub fn metadata_at(&self, position: u64) -> HashMap<String, String> {
        self.completed(self.metadata.clone(), position)
    }

    /// As [`CommitEnvelope::metadata_at`], without copying.
    pub fn into_metadata_at(mut self, position: u64) -> HashMap<String, String> {
        let metadata = std::mem::take(&mut self.metadata);
        self.completed(metadata, position)
    }

    fn completed(
        &self,
        mut metadata: HashMap<String, String>,
        position: u64,
    ) -> HashMap<String, String> {
        metadata.insert(keys::COMMAND_ID.to_owned(), self.command_id.clone());
        metadata.insert(keys::TENANT.to_owned(), self.tenant.clone());
        metadata.insert(keys::POSITION.to_owned(), position.to_string());
        metadata.insert(keys::RECORDED_AT.to_owned(), self.recorded_at.to_rfc3339());
        metadata
    }

    /// The commit as the application's event feed presents it.
    pub fn into_recorded(mut self, position: u64, pending: u64) -> RecordedCommit {
        let metadata = std::mem::take(&mut self.metadata);
        let metadata = self.completed(metadata, position);
        let events = self
            .events
            .into_iter()
            .map(|e| RecordedEvent {
                sequence: e.sequence,
                event_type: e.event_type,
                event_version: e.version,
                payload: e.payload,
            })
            .collect();
        RecordedCommit {
            position,
            metadata,
            tenant: self.tenant,
            aggregate_type: self.aggregate_type,
            aggregate_id: self.aggregate_id,
            recorded_at: self.recorded_at,
            events,
            pending,
        }
    }

    /// The aggregate sequence of the last event; 0 for an empty commit.
    pub fn last_sequence(&self) -> u64 {
        self.events.last().map_or(0, |e| e.sequence)
    }

    pub fn first_sequence(&self) -> u64 {
        self.events.first().map_or(0, |e| e.sequence)
    }
}
