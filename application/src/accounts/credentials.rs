//! Credentials as they travel: passwords (checked, never printed) and the
//! tokens Herald hands out, which carry where their account is so that no
//! lookup table is needed, and a random secret that only its keyed hash,
//! stored in the account, can vouch for.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use herald_domain::{FieldError, TenantId};
use std::fmt;
use uuid::Uuid;

/// A password in clear, on its way to the hasher. `Debug` prints `***`.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Fewest characters (seed 000).
    pub const MIN: usize = 8;
    /// Most characters: enough for any passphrase, bounded so that hashing
    /// cannot be made slow with a huge one.
    pub const MAX: usize = 128;

    /// # Errors
    /// When `text` has fewer than 8 or more than 128 characters.
    pub fn parse(text: &str, field: &str) -> Result<Self, FieldError> {
        let length = text.chars().count();
        if !(Self::MIN..=Self::MAX).contains(&length) {
            return Err(FieldError::new(
                field,
                format!("must have {} to {} characters", Self::MIN, Self::MAX),
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// 32 random bytes from the operating system, as URL-safe base64.
///
/// # Panics
/// When the operating system has no randomness to give, which leaves
/// nothing safe to do.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the operating system gives random bytes");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A random id for a sign-in (a refresh-token family).
pub fn random_family() -> String {
    random_secret()[..22].to_owned()
}

/// The kinds of token Herald hands out, each with its own prefix so that
/// one is never taken for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `hr_`: buys a new access token.
    Refresh,
    /// `hk_`: an API key.
    ApiKey,
    /// `hv_`: verifies an e-mail address.
    EmailVerification,
    /// `hp_`: sets a new password.
    PasswordReset,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            Self::Refresh => "hr_",
            Self::ApiKey => "hk_",
            Self::EmailVerification => "hv_",
            Self::PasswordReset => "hp_",
        }
    }
}

/// A token: `<prefix><tenant>.<account id>[.<family>].<secret>`. The
/// whole text is what is hashed, so its parts cannot be swapped.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub kind: TokenKind,
    pub tenant: TenantId,
    pub account: Uuid,
    /// The sign-in, for refresh tokens.
    pub family: Option<String>,
    text: String,
}

impl IssuedToken {
    /// A new token of `kind` for `account` of `tenant`, with a fresh secret.
    pub fn new(kind: TokenKind, tenant: &TenantId, account: Uuid, family: Option<&str>) -> Self {
        let family_part = family.map(|f| format!("{f}.")).unwrap_or_default();
        let text = format!(
            "{}{tenant}.{}.{family_part}{}",
            kind.prefix(),
            account.simple(),
            random_secret()
        );
        Self {
            kind,
            tenant: tenant.clone(),
            account,
            family: family.map(str::to_owned),
            text,
        }
    }

    /// Reads a token of `kind`; `None` when it is not one (wrong prefix,
    /// wrong shape, an unsafe tenant).
    pub fn parse(kind: TokenKind, text: &str) -> Option<Self> {
        let rest = text.strip_prefix(kind.prefix())?;
        let parts: Vec<&str> = rest.split('.').collect();
        let (tenant, account, family, secret) = match (kind, parts.as_slice()) {
            (TokenKind::Refresh, [tenant, account, family, secret]) => {
                (*tenant, *account, Some(*family), *secret)
            }
            (TokenKind::Refresh, _) => return None,
            (_, [tenant, account, secret]) => (*tenant, *account, None, *secret),
            _ => return None,
        };
        let well_formed = |part: &str| {
            !part.is_empty()
                && part.len() <= 64
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !well_formed(secret) || !family.is_none_or(well_formed) {
            return None;
        }
        Some(Self {
            kind,
            tenant: TenantId::parse(tenant).ok()?,
            account: Uuid::try_parse(account).ok()?,
            family: family.map(str::to_owned),
            text: text.to_owned(),
        })
    }

    /// The token as its holder gets it: shown once, never stored.
    pub fn reveal(&self) -> &str {
        &self.text
    }

    /// What a key is recognised by in a list: everything before its
    /// secret (its kind, tenant and id), so no two keys share one. The
    /// start of an id would not do: ids made in the same minute begin
    /// alike (UUIDv7 begins with the time).
    pub fn display_prefix(&self) -> String {
        format!(
            "{}{}.{}",
            self.kind.prefix(),
            self.tenant,
            self.account.simple()
        )
    }
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("kind", &self.kind)
            .field("tenant", &self.tenant)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    #[test]
    fn a_token_reads_back_as_issued() {
        let id = Uuid::now_v7();
        let refresh = IssuedToken::new(TokenKind::Refresh, &tenant(), id, Some("fam1"));
        let read = IssuedToken::parse(TokenKind::Refresh, refresh.reveal()).unwrap();
        assert_eq!(read, refresh);
        assert_eq!(read.family.as_deref(), Some("fam1"));
        let key = IssuedToken::new(TokenKind::ApiKey, &tenant(), id, None);
        assert!(key.reveal().starts_with("hk_acme."));
        assert_eq!(
            IssuedToken::parse(TokenKind::ApiKey, key.reveal()).unwrap(),
            key
        );
    }

    #[test]
    fn a_token_of_another_kind_or_shape_is_not_read() {
        let id = Uuid::now_v7();
        let key = IssuedToken::new(TokenKind::ApiKey, &tenant(), id, None);
        assert!(IssuedToken::parse(TokenKind::PasswordReset, key.reveal()).is_none());
        for bad in [
            "hk_",
            "hk_acme.notauuid.secret",
            &format!("hk_a*b.{}.secret", id.simple()),
            &format!("hk_acme.{}.se.cret", id.simple()),
            &format!("hk_acme.{}.", id.simple()),
            &format!("hr_acme.{}.secret", id.simple()),
        ] {
            let kind = if bad.starts_with("hr_") {
                TokenKind::Refresh
            } else {
                TokenKind::ApiKey
            };
            assert!(IssuedToken::parse(kind, bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn secrets_do_not_repeat() {
        assert_ne!(random_secret(), random_secret());
        assert_eq!(random_secret().len(), 43);
    }

    #[test]
    fn a_password_has_8_to_128_characters_and_never_prints() {
        assert!(Password::parse("short", "password").is_err());
        assert!(Password::parse(&"x".repeat(129), "password").is_err());
        let password = Password::parse("correct horse", "password").unwrap();
        assert_eq!(format!("{password:?}"), "Password(***)");
    }
}
