//! What can be asked of a session. Secrets arrive sealed and values parsed.

use super::channel::{CloudApiChannel, SessionName, Throughput};
use crate::phone::PhoneNumber;

#[derive(Debug, Clone, PartialEq)]
pub enum SessionCommand {
    Create(NewSession),
    /// What the Graph API said when the application checked the channel's
    /// credentials; the aggregate decides what that means for the session.
    Connect(Verification),
    Disconnect,
    /// New credentials (a rotated token, say); the session must connect again.
    ReplaceChannel(CloudApiChannel),
    /// The number's messages a second (Meta upgraded it, say).
    SetThroughput(Throughput),
    /// Meta's word on the number's quality (`phone_number_quality_update`):
    /// `FLAGGED` when it is low, `UNFLAGGED` once it recovers, or a change
    /// of its messaging limit (`DOWNGRADE`, `UPGRADE`).
    ReportQuality {
        event: String,
    },
    Delete,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSession {
    pub phone_number: PhoneNumber,
    pub name: Option<SessionName>,
    pub channel: CloudApiChannel,
    /// `None`: Herald's default (`HERALD_NUMBER_RATE`).
    pub throughput: Option<Throughput>,
}

/// The answer to "do these credentials reach this number?".
#[derive(Debug, Clone, PartialEq)]
pub enum Verification {
    /// The Graph API knows the phone number id under this token.
    Verified {
        display_phone_number: String,
        verified_name: Option<String>,
        quality_rating: Option<String>,
    },
    /// The Graph API refused: a bad token, an unknown phone number id.
    Refused { code: i64, reason: String },
    /// The Graph API could not be reached; nothing is known of the credentials.
    Unreachable { reason: String },
}
