//! How Herald reaches a session's number: the Cloud API channel.
//!
//! The channel's secrets (access token, app secret, webhook verify token) are
//! sealed by the application before a command is built, so the aggregate, its
//! events and everything projected from them only ever see ciphertext.

pub use crate::secret::{SealedSecret, SecretField};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::value::{string_value, trimmed_text, ValueError};

/// An object id of Meta's Graph API (a phone number id, a WABA id): digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GraphId(String);

impl GraphId {
    const MAX_DIGITS: usize = 32;

    /// # Errors
    /// When `text` is empty, longer than 32 characters or not all digits.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ValueError::new("must not be empty"));
        }
        if text.len() > Self::MAX_DIGITS || !text.chars().all(|c| c.is_ascii_digit()) {
            return Err(ValueError::new(format!(
                "{text:?} is not a Graph API id: expected up to {} digits",
                Self::MAX_DIGITS
            )));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(GraphId);

impl fmt::Display for GraphId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name a tenant gives a number on its dashboard; 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SessionName(String);

impl SessionName {
    /// # Errors
    /// When the trimmed name is empty or longer than 100 characters.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        trimmed_text(text, 1, 100).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(SessionName);

/// How many messages a second a number may send: Meta's 80 by default, up
/// to 1,000 for a number Meta upgraded (cloud-api.md, throughput).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Throughput(u32);

impl Throughput {
    pub const MAX: u32 = 1_000;

    /// # Errors
    /// When `per_second` is outside 1..=1,000.
    pub fn per_second(per_second: u32) -> Result<Self, ValueError> {
        if (1..=Self::MAX).contains(&per_second) {
            Ok(Self(per_second))
        } else {
            Err(ValueError::new(format!(
                "must be between 1 and {} messages a second (got {per_second})",
                Self::MAX
            )))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Throughput {
    type Error = ValueError;
    fn try_from(per_second: u32) -> Result<Self, ValueError> {
        Self::per_second(per_second)
    }
}

impl From<Throughput> for u32 {
    fn from(throughput: Throughput) -> u32 {
        throughput.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudApiSecrets {
    pub access_token: SealedSecret,
    pub app_secret: SealedSecret,
    pub webhook_verify_token: SealedSecret,
}

/// The official Cloud API channel: the number's Graph ids and sealed secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudApiChannel {
    pub phone_number_id: GraphId,
    pub waba_id: GraphId,
    pub secrets: CloudApiSecrets,
    /// A keyed hash of the webhook verify token. Meta's verification request
    /// names no number, only the token; the fingerprint lets Herald find the
    /// session it belongs to without keeping the token anywhere in clear.
    pub verify_token_fingerprint: String,
    /// A keyed hash of all three secrets together. Sealing the same secret
    /// twice gives different texts, so this is how a session tells new
    /// credentials from the ones it has.
    pub secrets_fingerprint: String,
}

impl CloudApiChannel {
    /// Whether `other` reaches the same number with the same secrets.
    pub fn same_credentials(&self, other: &Self) -> bool {
        self.phone_number_id == other.phone_number_id
            && self.waba_id == other.waba_id
            && self.secrets_fingerprint == other.secrets_fingerprint
            && self.verify_token_fingerprint == other.verify_token_fingerprint
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_ids_are_digits() {
        assert!(GraphId::parse("106540352242922").is_ok());
        for bad in ["", "12a", "1 2", &"1".repeat(33)] {
            assert!(GraphId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn sealed_secrets_do_not_print_their_text() {
        let sealed = SealedSecret::from_sealed("v1.k.abc.def".into());
        assert_eq!(format!("{sealed:?}"), "SealedSecret(..)");
    }
}
