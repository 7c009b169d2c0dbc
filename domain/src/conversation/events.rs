//! What has happened in a conversation.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::inbound::InboundMessage;
use crate::ids::SessionId;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ConversationEvent {
    /// `window_expires_at` is when the customer service window closes after
    /// this message: until then any message may be sent, after it only
    /// templates.
    MessageReceived {
        session_id: SessionId,
        message: InboundMessage,
        received_at: DateTime<Utc>,
        window_expires_at: DateTime<Utc>,
    },
}

impl DomainEvent for ConversationEvent {
    fn event_type(&self) -> String {
        match self {
            Self::MessageReceived { .. } => "ConversationMessageReceived".to_owned(),
        }
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
