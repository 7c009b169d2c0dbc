//! What can be asked of a user account. Passwords arrive hashed and
//! sealed, tokens as their hashes.

use chrono::{DateTime, Utc};

use super::profile::{AvatarUrl, Email, FullName, Username};
use super::role::Role;
use super::tokens::{OneTimeToken, Presented, TokenHash};
use crate::phone::PhoneNumber;
use crate::secret::SealedSecret;

#[derive(Debug, Clone, PartialEq)]
pub enum UserCommand {
    Register(NewUser),
    UpdateProfile(Profile),
    ChangeRole(Role),
    /// The user's sign-ins and tokens stop working.
    Deactivate,
    Reactivate,
    IssueEmailVerification(OneTimeToken),
    VerifyEmail(Presented),
    IssuePasswordReset(OneTimeToken),
    /// A new password, with the reset token that allows it; every sign-in
    /// ends.
    ResetPassword {
        token: Presented,
        password: SealedSecret,
    },
    /// The same password hashed with the current parameters.
    RehashPassword(SealedSecret),
    /// A sign-in: a new family of refresh tokens, with its first.
    SignIn {
        family: String,
        refresh: TokenHash,
        expires_at: DateTime<Utc>,
    },
    /// Trades the family's current refresh token for `next`. An earlier
    /// token of the family, presented again, ends the family: someone
    /// holds a token that was already used.
    Refresh {
        family: String,
        presented: Presented,
        next: TokenHash,
        expires_at: DateTime<Utc>,
    },
    SignOut {
        family: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub email: Email,
    pub username: Username,
    pub password: SealedSecret,
    pub role: Role,
    pub profile: Profile,
    /// The admin who invited them; none for a tenant's first user.
    pub invited_by: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub full_name: Option<FullName>,
    pub phone: Option<PhoneNumber>,
    pub avatar_url: Option<AvatarUrl>,
}
