//! What the Session aggregate says when it refuses a command.

use crate::value::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// No session exists under this id for this tenant, or it was deleted.
    #[error("session not found")]
    NotFound,
    /// The tenant already has a session for this phone number.
    #[error("this phone number is already a session of yours; delete it before adding it again")]
    AlreadyExists,
    #[error("{0}")]
    Invalid(#[from] FieldError),
    /// The lifecycle forbids the command in the session's current status.
    #[error("{0}")]
    NotAllowed(String),
}
