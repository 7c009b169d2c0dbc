//! What has happened to a user account.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::profile::{Email, Username};
use super::role::Role;
use super::tokens::{OneTimeToken, TokenHash};
use super::user_commands::Profile;
use crate::secret::SealedSecret;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserEvent {
    Registered {
        email: Email,
        username: Username,
        password: SealedSecret,
        role: Role,
        profile: Profile,
        invited_by: Option<String>,
        at: DateTime<Utc>,
    },
    ProfileUpdated {
        profile: Profile,
        at: DateTime<Utc>,
    },
    RoleChanged {
        role: Role,
        at: DateTime<Utc>,
    },
    Deactivated {
        at: DateTime<Utc>,
    },
    Reactivated {
        at: DateTime<Utc>,
    },
    EmailVerificationIssued {
        token: OneTimeToken,
        at: DateTime<Utc>,
    },
    EmailVerified {
        at: DateTime<Utc>,
    },
    PasswordResetIssued {
        token: OneTimeToken,
        at: DateTime<Utc>,
    },
    PasswordReset {
        password: SealedSecret,
        at: DateTime<Utc>,
    },
    PasswordRehashed {
        password: SealedSecret,
        at: DateTime<Utc>,
    },
    SignedIn {
        family: String,
        refresh: TokenHash,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    RefreshRotated {
        family: String,
        refresh: TokenHash,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    /// A used refresh token came back: the family is ended.
    RefreshReused {
        family: String,
        at: DateTime<Utc>,
    },
    SignedOut {
        family: String,
        at: DateTime<Utc>,
    },
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        let name = match self {
            Self::Registered { .. } => "UserRegistered",
            Self::ProfileUpdated { .. } => "UserProfileUpdated",
            Self::RoleChanged { .. } => "UserRoleChanged",
            Self::Deactivated { .. } => "UserDeactivated",
            Self::Reactivated { .. } => "UserReactivated",
            Self::EmailVerificationIssued { .. } => "UserEmailVerificationIssued",
            Self::EmailVerified { .. } => "UserEmailVerified",
            Self::PasswordResetIssued { .. } => "UserPasswordResetIssued",
            Self::PasswordReset { .. } => "UserPasswordReset",
            Self::PasswordRehashed { .. } => "UserPasswordRehashed",
            Self::SignedIn { .. } => "UserSignedIn",
            Self::RefreshRotated { .. } => "UserRefreshRotated",
            Self::RefreshReused { .. } => "UserRefreshReused",
            Self::SignedOut { .. } => "UserSignedOut",
        };
        name.to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
