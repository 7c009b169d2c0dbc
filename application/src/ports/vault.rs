//! The vault: seals a channel's secrets before they enter a command, and
//! opens them only where they are used (a call to the Graph API, a webhook
//! signature check).

use herald_domain::session::{SealedSecret, SecretField};
use herald_domain::TenantId;
use std::fmt;

/// What a sealed secret is bound to. Opening it under any other binding
/// fails, so a ciphertext copied to another tenant, owner or field is
/// useless there.
#[derive(Debug, Clone, Copy)]
pub struct SecretBinding<'a> {
    pub tenant: &'a TenantId,
    /// The id of the aggregate the secret belongs to: a session, a user.
    pub owner: &'a str,
    pub field: SecretField,
}

/// A secret in clear. `Debug` and `Display` print `***`, so it cannot leak
/// into a log line by accident; [`RevealedSecret::expose`] is the one way in.
#[derive(Clone, PartialEq, Eq)]
pub struct RevealedSecret(String);

impl RevealedSecret {
    pub fn new(text: String) -> Self {
        Self(text)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RevealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RevealedSecret(***)")
    }
}

impl fmt::Display for RevealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// The sealed text was not made by this vault's keys for this binding,
    /// or was altered.
    #[error("a sealed secret could not be opened: {0}")]
    CannotOpen(String),
    /// The vault could not seal (no key configured, say).
    #[error("a secret could not be sealed: {0}")]
    CannotSeal(String),
}

pub trait Vault: Send + Sync {
    /// # Errors
    /// [`VaultError::CannotSeal`] when the vault has no usable key.
    fn seal(&self, secret: &str, binding: SecretBinding<'_>) -> Result<SealedSecret, VaultError>;

    /// # Errors
    /// [`VaultError::CannotOpen`] when `sealed` was made under another key or
    /// binding, or has been tampered with.
    fn open(
        &self,
        sealed: &SealedSecret,
        binding: SecretBinding<'_>,
    ) -> Result<RevealedSecret, VaultError>;

    /// A keyed hash of `secret` under the current key: equal secrets give
    /// equal fingerprints, and without the key a fingerprint tells nothing.
    fn fingerprint(&self, secret: &str) -> String;

    /// The fingerprints of `secret` under every key the vault holds, the
    /// current one first, to find what was fingerprinted before a rotation.
    fn fingerprints(&self, secret: &str) -> Vec<String>;

    /// Whether `signature` (the `X-Hub-Signature-256` header, `sha256=<hex>`)
    /// is the HMAC-SHA256 of `body` under the sealed app secret, compared in
    /// constant time. The secret never leaves the vault.
    ///
    /// # Errors
    /// As [`Vault::open`]; a malformed signature is `Ok(false)`, not an error.
    fn verify_signature(
        &self,
        app_secret: &SealedSecret,
        binding: SecretBinding<'_>,
        body: &[u8],
        signature: &str,
    ) -> Result<bool, VaultError>;
}
