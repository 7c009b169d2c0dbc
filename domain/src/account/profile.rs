//! What a user signs up with (seed 000's `users`): an e-mail address, a
//! username, a name, a phone and an avatar.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::value::{string_value, trimmed_text, ValueError};

/// An e-mail address, lower-cased, so that `Ann@Example.com` and
/// `ann@example.com` are one account. Checked by RFC 5321/5322, with a
/// domain of at least two labels and no display name or address literal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// # Errors
    /// When `text`, trimmed, is not a plain e-mail address.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let lowered = text.trim().to_lowercase();
        let options = email_address::Options {
            minimum_sub_domains: 2,
            allow_domain_literal: false,
            allow_display_text: false,
            allow_long_local_parts: false,
        };
        email_address::EmailAddress::parse_with_options(&lowered, options)
            .map(|_| Self(lowered))
            .map_err(|e| ValueError::new(format!("must be an e-mail address ({e})")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(Email);

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A username: 3 to 30 characters (seed 000), of letters, digits, `.`, `_`
/// and `-`, so one cannot be made to look like another with spaces or
/// look-alike characters. Unique whatever its case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    /// # Errors
    /// When `text`, trimmed, is shorter than 3 or longer than 30 characters,
    /// or holds another character.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let name = trimmed_text(text, 3, 30)?;
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        {
            return Err(ValueError::new(format!(
                "may only hold letters, digits, '.', '_' and '-' (found {bad:?})"
            )));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form two usernames are compared in.
    pub fn folded(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

string_value!(Username);

/// A person's name as they write it: 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FullName(String);

impl FullName {
    /// # Errors
    /// When `text`, trimmed, is empty or longer than 100 characters.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        trimmed_text(text, 1, 100).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(FullName);

/// Where a user's picture is: an `https` URL of at most 2,048 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AvatarUrl(String);

impl AvatarUrl {
    /// # Errors
    /// When `text` is not an `https://` URL of at most 2,048 characters.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let url = text.trim();
        let host = url.strip_prefix("https://").unwrap_or_default();
        if host.is_empty() || url.len() > 2_048 || url.chars().any(char::is_whitespace) {
            return Err(ValueError::new(
                "must be an https:// URL of at most 2048 characters",
            ));
        }
        Ok(Self(url.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(AvatarUrl);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_lower_cased_and_must_be_plain() {
        assert_eq!(
            Email::parse(" Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "Ann <ann@example.com>",
            "ann@[127.0.0.1]",
            "ann smith@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_username_has_3_to_30_plain_characters() {
        assert_eq!(
            Username::parse(" ann_1.b-c ").unwrap().as_str(),
            "ann_1.b-c"
        );
        assert!(Username::parse("an").is_err());
        assert!(Username::parse(&"a".repeat(31)).is_err());
        assert!(Username::parse("ann smith").is_err());
        assert!(Username::parse("аnn").is_err(), "a Cyrillic а");
        assert_eq!(Username::parse("Ann").unwrap().folded(), "ann");
    }

    #[test]
    fn an_avatar_is_an_https_url() {
        assert!(AvatarUrl::parse("https://cdn.example.com/a.png").is_ok());
        assert!(AvatarUrl::parse("http://cdn.example.com/a.png").is_err());
        assert!(AvatarUrl::parse("javascript:alert(1)").is_err());
    }
}
