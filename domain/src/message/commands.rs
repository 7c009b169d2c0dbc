//! What can be asked of an outbound message.

use chrono::{DateTime, Utc};
use std::time::Duration;

use super::content::MessageContent;
use super::status::DeliveryStatus;
use crate::ids::SessionId;
use crate::phone::PhoneNumber;

#[derive(Debug, Clone, PartialEq)]
pub enum MessageCommand {
    Queue(NewMessage),
    /// The dispatcher is about to call the Cloud API. Only a queued message
    /// may be claimed, so a message is handed to the API at most once.
    BeginSend,
    /// The send's answer: Meta accepted the message under `wamid`.
    RecordSent {
        wamid: String,
        wa_id: Option<String>,
    },
    /// The send was refused, or could not be made.
    RecordSendFailure(SendError),
    /// The send certainly did not reach Meta, and is to be tried again
    /// later: the message is queued again (its campaign was paused, Meta
    /// asked to slow down or refused for a while, or could not be reached).
    Defer {
        reason: String,
        /// The send was tried and refused for a while (or never got
        /// through): it counts as an attempt.
        attempted: bool,
        /// How long the message is to wait before it is sent again.
        retry_after: Option<Duration>,
    },
    /// The send may have reached Meta, but its answer was lost.
    RecordOutcomeUnknown {
        reason: String,
    },
    /// A status webhook about this message.
    ApplyStatus(StatusReport),
    /// Withdraws a queued message, which is then never sent (its campaign
    /// was stopped). A message no longer queued is left as it is.
    Cancel {
        reason: String,
    },
    /// Queues again a message whose outcome is unknown, because the
    /// business asked: Herald never does it on its own, since Meta may
    /// have the first send. Only an unknown message can be sent again.
    Resend {
        reason: String,
    },
}

/// The campaign run a message belongs to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CampaignLink {
    pub campaign_id: String,
    pub run: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    pub session_id: SessionId,
    pub from: PhoneNumber,
    pub to: PhoneNumber,
    pub content: MessageContent,
    /// The wamid of the message this one replies to.
    pub reply_to: Option<String>,
    pub campaign: Option<CampaignLink>,
}

/// Why a message failed: Meta's error code when there is one, and words.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SendError {
    pub code: Option<i64>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatusReport {
    pub wamid: String,
    pub status: DeliveryStatus,
    /// When Meta says it happened (the webhook's `timestamp`).
    pub at: DateTime<Utc>,
    /// For `failed`: Meta's errors.
    pub errors: Vec<SendError>,
}
