//! What the Message aggregate says when it refuses a command.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("message not found")]
    NotFound,
    #[error("{0}")]
    NotAllowed(String),
}
