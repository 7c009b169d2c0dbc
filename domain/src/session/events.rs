//! What has happened to a session.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::channel::{CloudApiChannel, SessionName, Throughput};
use crate::phone::PhoneNumber;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SessionEvent {
    Created {
        phone_number: PhoneNumber,
        name: Option<SessionName>,
        channel: CloudApiChannel,
        at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        throughput: Option<Throughput>,
    },
    Connected {
        at: DateTime<Utc>,
        verified_name: Option<String>,
        quality_rating: Option<String>,
    },
    /// A connection attempt failed; `code` is the Graph error code, if any.
    ConnectionFailed {
        at: DateTime<Utc>,
        code: Option<i64>,
        reason: String,
    },
    Disconnected {
        at: DateTime<Utc>,
    },
    ChannelReplaced {
        channel: CloudApiChannel,
        at: DateTime<Utc>,
    },
    Deleted {
        at: DateTime<Utc>,
    },
    ThroughputSet {
        throughput: Throughput,
        at: DateTime<Utc>,
    },
    QualityReported {
        event: String,
        at: DateTime<Utc>,
    },
}

impl DomainEvent for SessionEvent {
    fn event_type(&self) -> String {
        let name = match self {
            Self::Created { .. } => "SessionCreated",
            Self::Connected { .. } => "SessionConnected",
            Self::ConnectionFailed { .. } => "SessionConnectionFailed",
            Self::Disconnected { .. } => "SessionDisconnected",
            Self::ChannelReplaced { .. } => "SessionChannelReplaced",
            Self::Deleted { .. } => "SessionDeleted",
            Self::ThroughputSet { .. } => "SessionThroughputSet",
            Self::QualityReported { .. } => "SessionQualityReported",
        };
        name.to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
