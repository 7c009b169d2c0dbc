//! Identifiers that travel inside NATS subjects.
//!
//! Events are stored under `herald.evt.<tenant>.<aggregate_type>.<id>`, so
//! every identifier that becomes a subject token must be unable to add a
//! token or a wildcard: letters, digits, `-` and `_` only.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::value::{string_value, ValueError};

const MAX_TOKEN_LENGTH: usize = 64;

/// Checks that `text` is a safe NATS subject token.
///
/// # Errors
/// When it is empty, longer than 64 characters, or has a character other
/// than an ASCII letter, digit, `-` or `_`.
pub fn check_subject_token(text: &str) -> Result<(), ValueError> {
    if text.is_empty() {
        return Err(ValueError::new("must not be empty"));
    }
    if text.len() > MAX_TOKEN_LENGTH {
        return Err(ValueError::new(format!(
            "must have at most {MAX_TOKEN_LENGTH} characters"
        )));
    }
    if let Some(bad) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(ValueError::new(format!(
            "may only hold letters, digits, '-' and '_' (found {bad:?})"
        )));
    }
    Ok(())
}

macro_rules! subject_safe_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// # Errors
            /// When `text` is not a safe subject token (see [`check_subject_token`]).
            pub fn parse(text: &str) -> Result<Self, ValueError> {
                check_subject_token(text)?;
                Ok(Self(text.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        string_value!($name);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

subject_safe_id!(
    /// The business account that owns a piece of data. Every command and
    /// every read is scoped to one tenant.
    TenantId
);

subject_safe_id!(
    /// A tenant's WhatsApp number as Herald knows it (a Session aggregate).
    SessionId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_accept_letters_digits_dash_and_underscore() {
        assert!(TenantId::parse("acme-Corp_42").is_ok());
    }

    #[test]
    fn tenant_ids_refuse_subject_separators_and_wildcards() {
        for bad in ["a.b", "a*", ">", "a b", "", "é"] {
            assert!(TenantId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn tenant_ids_refuse_more_than_64_characters() {
        assert!(TenantId::parse(&"a".repeat(64)).is_ok());
        assert!(TenantId::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn deserializing_checks_the_same_rules() {
        let parsed: Result<SessionId, _> = serde_json::from_str("\"x.y\"");
        assert!(parsed.is_err());
    }
}
