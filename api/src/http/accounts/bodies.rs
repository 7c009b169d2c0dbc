//! Request bodies of the account endpoints, with seed 000's field names.
//! Bodies that hold a password or a token say nothing of it in `Debug`.

use chrono::{DateTime, Utc};
use herald_application::accounts::credentials::Password;
use herald_application::accounts::{Invite, SignUp};
use herald_domain::account::{
    AvatarUrl, Email, FullName, KeyName, Permission, Profile, Role, Username,
};
use herald_domain::{FieldError, PhoneNumber};
use serde::Deserialize;
use std::fmt;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterBody {
    email: String,
    username: String,
    password: String,
    #[serde(default)]
    full_name: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    avatar_url: Option<String>,
}

impl RegisterBody {
    /// # Errors
    /// The first field that breaks its rule.
    pub fn into_sign_up(self) -> Result<SignUp, FieldError> {
        Ok(SignUp {
            email: Email::parse(&self.email).map_err(|e| e.at("email"))?,
            username: Username::parse(&self.username).map_err(|e| e.at("username"))?,
            password: Password::parse(&self.password, "password")?,
            profile: profile(self.full_name, self.phone, self.avatar_url)?,
        })
    }
}

fn profile(
    full_name: Option<String>,
    phone: Option<String>,
    avatar_url: Option<String>,
) -> Result<Profile, FieldError> {
    Ok(Profile {
        full_name: full_name
            .map(|name| FullName::parse(&name).map_err(|e| e.at("fullName")))
            .transpose()?,
        phone: phone
            .map(|phone| PhoneNumber::parse(&phone).map_err(|e| e.at("phone")))
            .transpose()?,
        avatar_url: avatar_url
            .map(|url| AvatarUrl::parse(&url).map_err(|e| e.at("avatarUrl")))
            .transpose()?,
    })
}

/// Sign in with `email` or `username` (or either as `identifier`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginBody {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    identifier: Option<String>,
    password: String,
}

impl LoginBody {
    /// # Errors
    /// When no or several identifiers are given, or the password cannot be
    /// one Herald took.
    pub fn into_parts(self) -> Result<(String, Password), FieldError> {
        let given: Vec<String> = [self.email, self.username, self.identifier]
            .into_iter()
            .flatten()
            .collect();
        let [identifier] = given.as_slice() else {
            return Err(FieldError::new(
                "email",
                "give one of email, username or identifier",
            ));
        };
        // A password Herald would refuse to set cannot be one that works.
        let password = Password::parse(&self.password, "password")?;
        Ok((identifier.clone(), password))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefreshBody {
    pub refresh_token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    pub token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForgotPasswordBody {
    email: String,
}

impl ForgotPasswordBody {
    /// # Errors
    /// When the address is not one.
    pub fn into_email(self) -> Result<Email, FieldError> {
        Email::parse(&self.email).map_err(|e| e.at("email"))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordBody {
    pub token: String,
    password: String,
}

impl ResetPasswordBody {
    /// # Errors
    /// When the new password breaks its rule.
    pub fn password(&self) -> Result<Password, FieldError> {
        Password::parse(&self.password, "password")
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InviteBody {
    email: String,
    username: String,
    role: String,
    #[serde(default)]
    full_name: Option<String>,
    #[serde(default)]
    phone: Option<String>,
}

impl InviteBody {
    /// # Errors
    /// The first field that breaks its rule.
    pub fn into_invite(self) -> Result<Invite, FieldError> {
        Ok(Invite {
            email: Email::parse(&self.email).map_err(|e| e.at("email"))?,
            username: Username::parse(&self.username).map_err(|e| e.at("username"))?,
            role: Role::parse(&self.role).map_err(|e| e.at("role"))?,
            profile: profile(self.full_name, self.phone, None)?,
        })
    }
}

/// `PATCH /v1/users/{id}`: a new role, or (de)activation.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserChangeBody {
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateKeyBody {
    key_name: String,
    permissions: Vec<String>,
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
}

/// A key to make, its values checked.
pub struct KeyRequest {
    pub name: KeyName,
    pub permissions: Vec<Permission>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl CreateKeyBody {
    /// # Errors
    /// The first field that breaks its rule.
    pub fn into_request(self, now: DateTime<Utc>) -> Result<KeyRequest, FieldError> {
        let name = KeyName::parse(&self.key_name).map_err(|e| e.at("keyName"))?;
        let mut permissions = self
            .permissions
            .iter()
            .enumerate()
            .map(|(i, p)| Permission::parse(p).map_err(|e| e.at(format!("permissions[{i}]"))))
            .collect::<Result<Vec<_>, _>>()?;
        permissions.sort();
        permissions.dedup();
        if permissions.is_empty() {
            return Err(FieldError::new(
                "permissions",
                "must hold at least one of read, write, admin",
            ));
        }
        if self.expires_at.is_some_and(|at| at <= now) {
            return Err(FieldError::new("expiresAt", "must be in the future"));
        }
        Ok(KeyRequest {
            name,
            permissions,
            expires_at: self.expires_at,
        })
    }
}

macro_rules! quiet_debug {
    ($($body:ident),*) => {$(
        impl fmt::Debug for $body {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($body)).finish_non_exhaustive()
            }
        }
    )*};
}

quiet_debug!(
    RegisterBody,
    LoginBody,
    RefreshBody,
    TokenBody,
    ResetPasswordBody,
    ForgotPasswordBody,
    InviteBody
);
