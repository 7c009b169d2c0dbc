//! What the Campaign aggregate says when it refuses a command.

use crate::value::FieldError;

/// Refusals of the Campaign aggregate, each in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CampaignError {
    /// No campaign has been created under this id (for this tenant).
    #[error("campaign not found")]
    NotFound,
    /// A create command reached a campaign that already exists.
    #[error("a campaign with this id already exists")]
    AlreadyExists,
    /// A value, or the values together, break a rule; names the field.
    #[error("{0}")]
    Invalid(#[from] FieldError),
    /// The lifecycle forbids the command in the campaign's current status.
    #[error("{0}")]
    NotAllowed(String),
}
