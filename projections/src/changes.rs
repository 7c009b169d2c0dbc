//! Building blocks every projector uses: reading an event back, and
//! writing documents with the seeds' field names.

use chrono::{DateTime, Utc};
use herald_application::ports::event_feed::{RecordedCommit, RecordedEvent};
use herald_application::ports::read_store::{date_value, Change, CollectionSpec, Document};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::projector::ProjectionError;

/// Reads an event of `commit` back into its domain type.
///
/// # Errors
/// When the payload does not read back as an `E`; the error names the
/// projection, the position and the event.
pub fn decode<E: DeserializeOwned>(
    projection: &'static str,
    commit: &RecordedCommit,
    event: &RecordedEvent,
) -> Result<E, ProjectionError> {
    serde_json::from_str(event.payload.get()).map_err(|e| ProjectionError {
        projection,
        position: commit.position,
        message: format!("{} #{}: {e}", event.event_type, event.sequence),
    })
}

/// The fields of a JSON object built with `json!`.
pub fn object(value: Value) -> Document {
    match value {
        Value::Object(map) => map,
        _ => Document::new(),
    }
}

pub fn put(collection: &'static CollectionSpec, id: &str, document: Document) -> Change {
    Change::Put {
        collection,
        id: id.to_owned(),
        document,
    }
}

/// An update that also moves `updatedAt` to when the commit was recorded.
pub fn update(
    collection: &'static CollectionSpec,
    id: &str,
    recorded_at: DateTime<Utc>,
    mut set: Document,
    increment: Vec<(&'static str, i64)>,
) -> Change {
    set.insert("updatedAt".into(), date_value(recorded_at));
    Change::Update {
        collection,
        id: id.to_owned(),
        set,
        increment,
    }
}
