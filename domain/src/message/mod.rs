//! Outbound WhatsApp messages: the Message aggregate, one per message, from
//! queued to read.
//!
//! - [`aggregate`]: the aggregate and its rules.
//! - [`commands`], [`events`], [`error`]: what may be asked, what happened,
//!   and why a command was refused.
//! - [`status`]: the statuses and the order they rank in.
//! - [`ids`]: ids that name one message across retries and crashes.
//! - [`content`]: what one message says: a text, a media file, a template or
//!   an interactive message, within the Cloud API's limits.

pub mod aggregate;
pub mod commands;
pub mod content;
pub mod error;
pub mod events;
pub mod ids;
pub mod status;

#[cfg(test)]
mod tests;

pub use aggregate::{Message, MessageServices};
pub use commands::{CampaignLink, MessageCommand, NewMessage, SendError, StatusReport};
pub use content::{MessageContent, MessageKind, RawMessageContent};
pub use error::MessageError;
pub use events::MessageEvent;
pub use ids::{campaign_message_id, message_id_for_key};
pub use status::{DeliveryStatus, MessageStatus};
