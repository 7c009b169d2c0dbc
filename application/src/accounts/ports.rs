//! What the accounts service needs from outside: a password hasher, a
//! signer of access tokens, a registry of unique names, and a mailer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use herald_domain::account::{Email, Role};
use herald_domain::TenantId;
use std::fmt;
use uuid::Uuid;

use super::credentials::Password;

/// What checking a password found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    /// It matches; `needs_rehash` when the hash was made with other
    /// parameters than today's, so it is hashed again.
    Matches {
        needs_rehash: bool,
    },
    DoesNotMatch,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(pub String);

/// Hashes passwords (Argon2id) off the request threads; its work is
/// bounded, since each hash takes tens of milliseconds and megabytes.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// # Errors
    /// When the hasher fails.
    async fn hash(&self, password: &Password) -> Result<String, HashError>;

    /// Checks `password` against `hash` (a PHC string); the same work
    /// whether or not it matches.
    async fn check(&self, password: &Password, hash: &str) -> PasswordCheck;

    /// The same work as [`Self::check`] against a hash that matches
    /// nothing, so an unknown account takes as long to refuse as a wrong
    /// password.
    async fn check_nothing(&self, password: &Password);
}

/// What an access token says: who, for which tenant, in which sign-in,
/// until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    pub tenant: TenantId,
    pub user: Uuid,
    /// The sign-in it belongs to: signing out or a reused refresh token
    /// ends it, and the access token with it.
    pub family: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessTokenError {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is not valid")]
    Invalid,
}

/// Signs and checks access tokens (JWT): the algorithm is fixed, and the
/// issuer, audience and expiry are checked.
pub trait AccessTokens: Send + Sync {
    /// # Errors
    /// When the token cannot be signed.
    fn issue(&self, claims: &AccessClaims) -> Result<String, AccessTokenError>;

    /// # Errors
    /// [`AccessTokenError::Expired`] past its expiry, `Invalid` otherwise.
    fn check(&self, token: &str) -> Result<AccessClaims, AccessTokenError>;
}

/// A name that one account at most may hold, across all tenants.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UniqueName {
    Email(Email),
    /// A username, folded to lower case.
    Username(String),
    /// A payment provider's transaction id (seed 000: unique).
    Transaction(String),
}

/// The account that holds a name, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameHolder {
    pub tenant: TenantId,
    pub user: Uuid,
    pub claimed_at: DateTime<Utc>,
}

impl NameHolder {
    pub fn is_same_account(&self, other: &Self) -> bool {
        self.tenant == other.tenant && self.user == other.user
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("the name registry is unavailable: {0}")]
pub struct RegistryError(pub String);

/// Unique names, claimed atomically: two sign-ups racing for one e-mail
/// address cannot both get it, whichever nodes they reach.
#[async_trait]
pub trait NameRegistry: Send + Sync {
    /// Claims `name` for `holder`; answers who holds it after the claim
    /// (`holder` if the claim won, or if it already held it).
    ///
    /// # Errors
    /// When the registry cannot be reached.
    async fn claim(
        &self,
        name: &UniqueName,
        holder: &NameHolder,
    ) -> Result<NameHolder, RegistryError>;

    /// Hands `name` from `from` (which holds it) to `to`: for a claim whose
    /// sign-up never finished.
    ///
    /// # Errors
    /// When the registry cannot be reached; `Ok(false)` when `from` no
    /// longer holds it.
    async fn take_over(
        &self,
        name: &UniqueName,
        from: &NameHolder,
        to: &NameHolder,
    ) -> Result<bool, RegistryError>;

    /// Gives `name` up, if `holder` holds it: for a sign-up that failed
    /// after claiming it.
    ///
    /// # Errors
    /// When the registry cannot be reached.
    async fn release(&self, name: &UniqueName, holder: &NameHolder) -> Result<(), RegistryError>;

    /// # Errors
    /// When the registry cannot be reached.
    async fn holder(&self, name: &UniqueName) -> Result<Option<NameHolder>, RegistryError>;
}

/// An e-mail to a user. Its `Debug` leaves out the body, which may carry
/// a token.
#[derive(Clone)]
pub struct Mail {
    pub to: Email,
    pub subject: String,
    pub body: String,
}

impl fmt::Debug for Mail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mail")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("the mail could not be sent: {0}")]
pub struct MailError(pub String);

#[async_trait]
pub trait Mailer: Send + Sync {
    /// # Errors
    /// When the mail cannot be handed on.
    async fn send(&self, mail: Mail) -> Result<(), MailError>;
}
