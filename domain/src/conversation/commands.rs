//! What can be asked of a conversation.

use super::inbound::InboundMessage;
use crate::ids::SessionId;

#[derive(Debug, Clone, PartialEq)]
pub enum ConversationCommand {
    /// A message arrived from the contact on `session`'s number.
    Receive {
        session_id: SessionId,
        message: InboundMessage,
    },
}
