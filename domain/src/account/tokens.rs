//! Tokens as the domain holds them: never the token, only its keyed hash
//! (the vault's fingerprint), so neither the log nor a read model can give
//! one back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The keyed hash of a token.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenHash(String);

impl TokenHash {
    pub fn new(hash: String) -> Self {
        Self(hash)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// A token that works once, until it expires: e-mail verification (24 h)
/// and password reset (1 h), as seed 000 has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OneTimeToken {
    pub hash: TokenHash,
    pub expires_at: DateTime<Utc>,
}

/// The hashes a presented token has: one per key the vault holds, so a
/// token issued before a key rotation is still recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented(pub Vec<TokenHash>);

impl Presented {
    pub fn matches(&self, hash: &TokenHash) -> bool {
        self.0.contains(hash)
    }
}
