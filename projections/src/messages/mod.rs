//! The projector of the `messages` and `replies` collections: outbound
//! messages from the Message aggregate, inbound ones from conversations.

mod documents;
mod projector;

pub use projector::MessageProjector;
