//! What the Message aggregate says when it refuses a command.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("message not found")]
    NotFound,
    #[error("{0}")]
    NotAllowed(String),
    /// A message exists under this id (a client's `Idempotency-Key`) with
    /// other content: the key was reused for a different message.
    #[error("this Idempotency-Key was used for a different message ({0}); use a new key for a new message")]
    KeyReused(String),
}
