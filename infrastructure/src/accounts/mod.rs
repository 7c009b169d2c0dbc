//! Adapters for accounts: password hashing, access tokens, account e-mail.
//!
//! - [`argon`]: [`Argon2Hasher`], Argon2id with OWASP's parameters.
//! - [`jwt`]: [`JwtAccessTokens`], HS256 JWTs with issuer, audience and
//!   expiry checked.
//! - [`outbox`]: [`OutboxMailer`], e-mails as files in an outbox folder.

pub mod argon;
pub mod jwt;
pub mod outbox;

pub use argon::Argon2Hasher;
pub use jwt::JwtAccessTokens;
pub use outbox::OutboxMailer;
