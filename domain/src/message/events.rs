//! What has happened to an outbound message.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::commands::{SendError, StatusReport};
use super::content::MessageContent;
use super::status::MessageStatus;
use crate::ids::SessionId;
use crate::phone::PhoneNumber;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MessageEvent {
    Queued {
        session_id: SessionId,
        from: PhoneNumber,
        to: PhoneNumber,
        content: MessageContent,
        reply_to: Option<String>,
        campaign_id: Option<String>,
        at: DateTime<Utc>,
    },
    SendStarted {
        at: DateTime<Utc>,
    },
    Sent {
        wamid: String,
        wa_id: Option<String>,
        at: DateTime<Utc>,
    },
    SendFailed {
        error: SendError,
        at: DateTime<Utc>,
    },
    SendOutcomeUnknown {
        reason: String,
        at: DateTime<Utc>,
    },
    /// A status reported for the first time. `status` is where the message
    /// stands after it: the highest-ranked status reported so far.
    StatusReported {
        report: StatusReport,
        status: MessageStatus,
    },
}

impl MessageEvent {
    /// The type name of [`MessageEvent::Queued`], which the dispatcher follows.
    pub const QUEUED: &'static str = "MessageQueued";
}

impl DomainEvent for MessageEvent {
    fn event_type(&self) -> String {
        let name = match self {
            Self::Queued { .. } => Self::QUEUED,
            Self::SendStarted { .. } => "MessageSendStarted",
            Self::Sent { .. } => "MessageSent",
            Self::SendFailed { .. } => "MessageSendFailed",
            Self::SendOutcomeUnknown { .. } => "MessageSendOutcomeUnknown",
            Self::StatusReported { .. } => "MessageStatusReported",
        };
        name.to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
