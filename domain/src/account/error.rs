//! What the account aggregates say when they refuse a command.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    AlreadyExists,
    /// The account is deactivated: it cannot sign in or use a token.
    #[error("the account is deactivated")]
    Deactivated,
    /// The token is not one this account issued, or it was used already.
    #[error("the token is not valid")]
    TokenRefused,
    #[error("the token has expired")]
    TokenExpired,
    #[error("{0}")]
    NotAllowed(String),
}
