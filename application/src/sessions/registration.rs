//! What a client gives to add a number or replace its credentials. Secrets
//! are plain text only here, on their way to the vault.

use herald_domain::session::{GraphId, SessionName, Throughput};
use herald_domain::{FieldError, PhoneNumber};
use std::fmt;

/// The Cloud API credentials of a number, in clear. `Debug` hides the
/// secrets, so a registration in a log line or a panic message leaks nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelCredentials {
    pub phone_number_id: GraphId,
    pub waba_id: GraphId,
    pub access_token: String,
    pub app_secret: String,
    pub webhook_verify_token: String,
}

impl fmt::Debug for ChannelCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelCredentials")
            .field("phone_number_id", &self.phone_number_id)
            .field("waba_id", &self.waba_id)
            .finish_non_exhaustive()
    }
}

impl ChannelCredentials {
    const MAX_SECRET_LENGTH: usize = 2_048;

    /// Checks a secret as clients send it: not blank, not absurdly long,
    /// and without spaces or line breaks, which a copy-paste adds and Meta
    /// never puts in a token.
    ///
    /// # Errors
    /// When `text` breaks one of those rules; the error names `field`.
    pub fn check_secret(field: &str, text: &str) -> Result<String, FieldError> {
        if text.is_empty() {
            return Err(FieldError::new(field, "must not be empty"));
        }
        if text.len() > Self::MAX_SECRET_LENGTH {
            return Err(FieldError::new(
                field,
                format!("must have at most {} characters", Self::MAX_SECRET_LENGTH),
            ));
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(FieldError::new(
                field,
                "must not contain spaces or line breaks; was it pasted whole?",
            ));
        }
        Ok(text.to_owned())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRegistration {
    pub phone_number: PhoneNumber,
    pub name: Option<SessionName>,
    pub credentials: ChannelCredentials,
    /// The number's messages a second; `None` for Herald's default.
    pub throughput: Option<Throughput>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_shows_no_secret() {
        let credentials = ChannelCredentials {
            phone_number_id: GraphId::parse("1").unwrap(),
            waba_id: GraphId::parse("2").unwrap(),
            access_token: "EAAG-secret-token".into(),
            app_secret: "app-secret-value".into(),
            webhook_verify_token: "verify-me".into(),
        };
        let printed = format!("{credentials:?}");
        for secret in ["EAAG-secret-token", "app-secret-value", "verify-me"] {
            assert!(!printed.contains(secret), "{printed}");
        }
    }

    #[test]
    fn secrets_with_spaces_or_nothing_are_refused() {
        assert!(ChannelCredentials::check_secret("accessToken", "").is_err());
        assert!(ChannelCredentials::check_secret("accessToken", "EAAG abc").is_err());
        assert!(ChannelCredentials::check_secret("accessToken", "EAAG\n").is_err());
        assert!(ChannelCredentials::check_secret("accessToken", "EAAGabc").is_ok());
    }
}
