//! The Conversation aggregate: the thread between one of a tenant's numbers
//! (a session) and one contact. For now it records what the contact sent
//! and keeps the 24-hour customer service window; chatbot state, hand-off
//! and opt-out join it later.
//!
//! - [`aggregate`]: the aggregate and its rules.
//! - [`inbound`]: a message as received from WhatsApp.
//! - [`commands`], [`events`]: what may be asked and what happened.

pub mod aggregate;
pub mod commands;
pub mod events;
pub mod inbound;

#[cfg(test)]
mod tests;

pub use aggregate::{conversation_id_for, Conversation, ConversationServices, SERVICE_WINDOW};
pub use commands::ConversationCommand;
pub use events::ConversationEvent;
pub use inbound::{ContactId, InboundKind, InboundMedia, InboundMessage};
