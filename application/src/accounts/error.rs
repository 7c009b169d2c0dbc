//! Why an account operation was refused, in the terms the API answers.

use herald_domain::account::AccountError;
use herald_domain::FieldError;

use crate::commands::CommandError;

#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("{0}")]
    Invalid(FieldError),
    /// Another account holds this e-mail address or username.
    #[error("{0} is already taken")]
    Taken(&'static str),
    /// Sign-in refused: no such account, or the wrong password (which of
    /// the two is not said).
    #[error("the e-mail address or username, or the password, is wrong")]
    BadCredentials,
    #[error("no valid credentials: {0}")]
    Unauthenticated(&'static str),
    #[error("the token has expired")]
    TokenExpired,
    /// A used refresh token came back: its sign-in is ended.
    #[error("this refresh token was already used; the sign-in has been ended, sign in again")]
    TokenReused,
    #[error("the account is deactivated")]
    Deactivated,
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<CommandError<AccountError>> for AccountsError {
    fn from(error: CommandError<AccountError>) -> Self {
        match error {
            CommandError::Rejected(refusal) => refusal.into(),
            CommandError::Conflict(what) => {
                Self::Conflict(format!("the {what} kept changing; try again"))
            }
            CommandError::Store(failure) => Self::Unavailable(failure.to_string()),
            CommandError::OverLimit(over) => Self::Conflict(over.to_string()),
            CommandError::Internal(detail) => Self::Internal(detail),
        }
    }
}

impl From<AccountError> for AccountsError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::NotFound => Self::NotFound,
            AccountError::AlreadyExists => Self::Conflict("it already exists".into()),
            AccountError::Deactivated => Self::Deactivated,
            AccountError::TokenRefused => Self::Unauthenticated("the token is not valid"),
            AccountError::TokenExpired => Self::TokenExpired,
            AccountError::NotAllowed(reason) => Self::Conflict(reason),
        }
    }
}
