//! Where an outbound message is, and the order statuses rank in.
//!
//! ```text
//! queued ──▶ sending ──▶ sent ──▶ delivered ──▶ read
//!   │          │  └──▶ unknown (the send's answer was lost) ──▶ sent …
//!   │          └──▶ failed (refused when sent)
//!   └──▶ cancelled (its campaign stopped before it was sent)
//! unknown ──▶ queued: only when the business asks for it to be sent again
//! ```
//! Status webhooks come late, twice, out of order, or not at all (Meta skips
//! `delivered` when a message is read at once). A message therefore always
//! shows the highest-ranked status reported for it, whatever the order of
//! arrival: `failed` ranks above `sent` (a failure reported after the send
//! is final news) but below `delivered` and `read`, because a delivery is
//! proof the message arrived (multi-device users can report `failed` for one
//! device and `delivered` for another).

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::campaign::RecipientStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Queued,
    /// Never sent: withdrawn while queued (its campaign was stopped).
    Cancelled,
    Sending,
    /// The send may or may not have reached Meta; its status webhook, which
    /// carries Herald's message id, will tell.
    Unknown,
    Sent,
    Failed,
    Delivered,
    Read,
    /// A voice or video message was played; comes after `read`.
    Played,
}

impl MessageStatus {
    pub const ALL: [Self; 9] = [
        Self::Queued,
        Self::Cancelled,
        Self::Sending,
        Self::Unknown,
        Self::Sent,
        Self::Failed,
        Self::Delivered,
        Self::Read,
        Self::Played,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Cancelled => "cancelled",
            Self::Sending => "sending",
            Self::Unknown => "unknown",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Played => "played",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// What the recipient of a campaign sees of this message.
    pub fn recipient_status(self) -> RecipientStatus {
        match self {
            Self::Queued | Self::Sending => RecipientStatus::Pending,
            Self::Cancelled => RecipientStatus::NotSent,
            Self::Unknown => RecipientStatus::Unknown,
            Self::Sent => RecipientStatus::Sent,
            Self::Failed => RecipientStatus::Failed,
            Self::Delivered => RecipientStatus::Delivered,
            Self::Read | Self::Played => RecipientStatus::Read,
        }
    }

    /// Whether Meta has the message: from here on only webhooks move it.
    pub fn reached_whatsapp(self) -> bool {
        self >= Self::Sent
    }
}

impl fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The statuses a webhook reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Sent,
    Delivered,
    Read,
    Failed,
    Played,
}

impl DeliveryStatus {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "sent" => Some(Self::Sent),
            "delivered" => Some(Self::Delivered),
            "read" => Some(Self::Read),
            "failed" => Some(Self::Failed),
            "played" => Some(Self::Played),
            _ => None,
        }
    }

    pub fn as_status(self) -> MessageStatus {
        match self {
            Self::Sent => MessageStatus::Sent,
            Self::Delivered => MessageStatus::Delivered,
            Self::Read => MessageStatus::Read,
            Self::Failed => MessageStatus::Failed,
            Self::Played => MessageStatus::Played,
        }
    }
}
