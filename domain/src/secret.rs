//! Secrets as the domain holds them: sealed by the vault before they enter
//! a command, so no event, snapshot or log line holds one in clear.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A secret as the vault sealed it: opaque text that only the vault, given
/// the same binding (tenant, owner and field), can open. Its `Debug` never
/// prints the text, so a sealed secret in a log line says nothing either.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SealedSecret(String);

impl SealedSecret {
    pub fn from_sealed(text: String) -> Self {
        Self(text)
    }

    pub fn as_sealed(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealedSecret(..)")
    }
}

/// Which secret a sealed text holds. The vault binds it into the
/// ciphertext, so an access token cannot be passed off as an app secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretField {
    AccessToken,
    AppSecret,
    WebhookVerifyToken,
    /// A user's password hash (Argon2id, PHC string): sealed too, so the
    /// log does not hand an offline attack what it needs.
    PasswordHash,
}

impl SecretField {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessToken => "accessToken",
            Self::AppSecret => "appSecret",
            Self::WebhookVerifyToken => "webhookVerifyToken",
            Self::PasswordHash => "passwordHash",
        }
    }
}
