//! A message a contact sent to a tenant's number, as the webhook told it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::value::{string_value, ValueError};

/// Who wrote: the contact's WhatsApp id (`wa_id`, digits), or the
/// business-scoped user id Meta sends instead of a phone number since 2026.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContactId(String);

impl ContactId {
    const MAX_LENGTH: usize = 128;

    /// # Errors
    /// When `text` is empty, longer than 128 characters, or holds characters
    /// other than letters, digits, `.`, `-` and `_`.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let valid = !text.is_empty()
            && text.len() <= Self::MAX_LENGTH
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !valid {
            return Err(ValueError::new(format!(
                "{text:?} is not a WhatsApp user id: expected up to {} letters, digits, '.', '-' or '_'",
                Self::MAX_LENGTH
            )));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The contact as a phone number (`+` and the digits), when the id is one.
    pub fn phone_number(&self) -> Option<String> {
        self.0
            .chars()
            .all(|c| c.is_ascii_digit())
            .then(|| format!("+{}", self.0))
    }
}

string_value!(ContactId);

impl fmt::Display for ContactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `type` of an inbound message, as Meta names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboundKind {
    Text,
    Image,
    Video,
    Audio,
    Document,
    Sticker,
    Location,
    Contacts,
    Interactive,
    Button,
    Reaction,
    Order,
    System,
    Unsupported,
    /// A type Meta added after this code was written; kept, not refused.
    Other(String),
}

impl InboundKind {
    pub fn parse(text: &str) -> Self {
        match text {
            "text" => Self::Text,
            "image" => Self::Image,
            "video" => Self::Video,
            "audio" => Self::Audio,
            "document" => Self::Document,
            "sticker" => Self::Sticker,
            "location" => Self::Location,
            "contacts" => Self::Contacts,
            "interactive" => Self::Interactive,
            "button" => Self::Button,
            "reaction" => Self::Reaction,
            "order" => Self::Order,
            "system" => Self::System,
            "unsupported" => Self::Unsupported,
            other => Self::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Sticker => "sticker",
            Self::Location => "location",
            Self::Contacts => "contacts",
            Self::Interactive => "interactive",
            Self::Button => "button",
            Self::Reaction => "reaction",
            Self::Order => "order",
            Self::System => "system",
            Self::Unsupported => "unsupported",
            Self::Other(name) => name,
        }
    }
}

/// A media attachment: Meta sends its id, which the media endpoint turns
/// into a download URL for 7 days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMedia {
    pub id: String,
    pub mime_type: Option<String>,
    pub sha256: Option<String>,
    pub filename: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// Meta's message id (`wamid.…`), unique per message: duplicates of a
    /// webhook carry the same one.
    pub wamid: String,
    pub from: ContactId,
    /// The business number it was sent to, as the webhook's metadata
    /// wrote it (digits).
    pub to: Option<String>,
    /// The contact's profile name, when the webhook had `contacts`.
    pub profile_name: Option<String>,
    pub kind: InboundKind,
    /// What a person would read: the text, a caption, the title of the
    /// button tapped, the emoji of a reaction.
    pub text: Option<String>,
    pub media: Option<InboundMedia>,
    /// The message this one replies to or reacts to.
    pub context_wamid: Option<String>,
    /// When the contact sent it (the webhook's `timestamp`).
    pub sent_at: DateTime<Utc>,
    /// The message object exactly as Meta sent it (JSON), for the types and
    /// details the fields above do not cover.
    pub payload: String,
}
