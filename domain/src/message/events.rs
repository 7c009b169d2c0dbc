//! What has happened to an outbound message.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::commands::{SendError, StatusReport};
use super::content::MessageContent;
use super::status::MessageStatus;
use crate::campaign::RecipientStatus;
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
        /// The run of `campaign_id` the message belongs to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        campaign_run: Option<u32>,
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
    /// The send was put off before it reached Meta; the message is queued
    /// again.
    SendDeferred {
        reason: String,
        /// The send was tried and refused for a while: it counts as an
        /// attempt. (Recorded as `throttled` before other refusals were
        /// retried this way.)
        #[serde(default, alias = "throttled")]
        attempted: bool,
        /// Not to be sent again before then.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        not_before: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    },
    /// A status reported for the first time. `status` is where the message
    /// stands after it: the highest-ranked status reported so far.
    StatusReported {
        report: StatusReport,
        status: MessageStatus,
    },
    Cancelled {
        reason: String,
        at: DateTime<Utc>,
    },
    /// The business asked for a message whose outcome was unknown to be
    /// sent again: it is queued again, and its recipient pending.
    ResendRequested {
        reason: String,
        at: DateTime<Utc>,
    },
    /// The message of a campaign moved its recipient from one status to
    /// another (recorded with the event that moved it): what the campaign's
    /// counters and recipient list are kept from.
    RecipientProgressed {
        campaign_id: String,
        run: u32,
        recipient: PhoneNumber,
        from: RecipientStatus,
        to: RecipientStatus,
        /// Why, for `failed`, `unknown` and `not_sent`.
        error: Option<String>,
        at: DateTime<Utc>,
    },
}

impl MessageEvent {
    /// The type name of [`MessageEvent::Queued`], which the dispatcher follows.
    pub const QUEUED: &'static str = "MessageQueued";
    /// The type name of [`MessageEvent::ResendRequested`], which the
    /// dispatcher follows too.
    pub const RESEND_REQUESTED: &'static str = "MessageResendRequested";
}

impl MessageEvent {
    /// What went wrong, for the events that say.
    pub fn problem(&self) -> Option<String> {
        match self {
            Self::SendFailed { error, .. } => Some(error.message.clone()),
            Self::SendOutcomeUnknown { reason, .. } | Self::Cancelled { reason, .. } => {
                Some(reason.clone())
            }
            Self::StatusReported { report, .. } => report.errors.first().map(|e| e.message.clone()),
            _ => None,
        }
    }
}

impl DomainEvent for MessageEvent {
    fn event_type(&self) -> String {
        let name = match self {
            Self::Queued { .. } => Self::QUEUED,
            Self::SendStarted { .. } => "MessageSendStarted",
            Self::Sent { .. } => "MessageSent",
            Self::SendFailed { .. } => "MessageSendFailed",
            Self::SendOutcomeUnknown { .. } => "MessageSendOutcomeUnknown",
            Self::SendDeferred { .. } => "MessageSendDeferred",
            Self::StatusReported { .. } => "MessageStatusReported",
            Self::Cancelled { .. } => "MessageCancelled",
            Self::ResendRequested { .. } => Self::RESEND_REQUESTED,
            Self::RecipientProgressed { .. } => "MessageRecipientProgressed",
        };
        name.to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
