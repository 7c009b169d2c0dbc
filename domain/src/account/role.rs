//! Who may do what: the roles of seed 001's `Users`, the permissions of
//! seed 000's `api_keys`, and the one table that joins them to actions.
//!
//! | action | admin | manager | agent | API key needs |
//! |---|:-:|:-:|:-:|---|
//! | read sessions, messages, campaigns, replies | ✓ | ✓ | ✓ | `read` |
//! | send a message, answer in the inbox | ✓ | ✓ | ✓ | `write` |
//! | create, edit, start, pause, stop campaigns | ✓ | ✓ | | `write` |
//! | add, connect, delete sessions | ✓ | ✓ | | `write` |
//! | read the account: own profile, plan, usage | ✓ | ✓ | ✓ | `read` |
//! | invite users, change roles, deactivate | ✓ | | | `admin` |
//! | create, list, revoke API keys | ✓ | | | `admin` |
//! | change the plan, record payments | ✓ | | | `admin` |
//! | read the audit log, list users | ✓ | | | `admin` |
//!
//! A key's `admin` permission grants every action; `read` and `write` each
//! grant only their own rows, so a key that sends and reads holds both.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::value::ValueError;

/// A user's role within its tenant (seed 001).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Manager,
    Agent,
}

/// An API key's permission (seed 000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    Read,
    Write,
    Admin,
}

/// What a request asks to do; every route names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ReadMessaging,
    SendMessages,
    ManageCampaigns,
    ManageSessions,
    ReadAccount,
    ManageUsers,
    ManageApiKeys,
    ManageBilling,
    ReadAuditLog,
}

impl Action {
    pub const ALL: [Self; 9] = [
        Self::ReadMessaging,
        Self::SendMessages,
        Self::ManageCampaigns,
        Self::ManageSessions,
        Self::ReadAccount,
        Self::ManageUsers,
        Self::ManageApiKeys,
        Self::ManageBilling,
        Self::ReadAuditLog,
    ];

    /// The least role that may do it: admin > manager > agent.
    fn least_role(self) -> Role {
        match self {
            Self::ReadMessaging | Self::SendMessages | Self::ReadAccount => Role::Agent,
            Self::ManageCampaigns | Self::ManageSessions => Role::Manager,
            Self::ManageUsers | Self::ManageApiKeys | Self::ManageBilling | Self::ReadAuditLog => {
                Role::Admin
            }
        }
    }

    /// The permission an API key needs for it (besides `admin`, which
    /// grants everything).
    pub fn permission(self) -> Permission {
        match self {
            Self::ReadMessaging | Self::ReadAccount => Permission::Read,
            Self::SendMessages | Self::ManageCampaigns | Self::ManageSessions => Permission::Write,
            Self::ManageUsers | Self::ManageApiKeys | Self::ManageBilling | Self::ReadAuditLog => {
                Permission::Admin
            }
        }
    }

    /// Its name in the audit log and in a refusal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadMessaging => "read_messaging",
            Self::SendMessages => "send_messages",
            Self::ManageCampaigns => "manage_campaigns",
            Self::ManageSessions => "manage_sessions",
            Self::ReadAccount => "read_account",
            Self::ManageUsers => "manage_users",
            Self::ManageApiKeys => "manage_api_keys",
            Self::ManageBilling => "manage_billing",
            Self::ReadAuditLog => "read_audit_log",
        }
    }
}

impl Role {
    pub const ALL: [Self; 3] = [Self::Admin, Self::Manager, Self::Agent];

    /// # Errors
    /// When `text` is not `admin`, `manager` or `agent`.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        match text {
            "admin" => Ok(Self::Admin),
            "manager" => Ok(Self::Manager),
            "agent" => Ok(Self::Agent),
            _ => Err(ValueError::new("must be one of admin, manager, agent")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Manager => "manager",
            Self::Agent => "agent",
        }
    }

    fn rank(self) -> u8 {
        match self {
            Self::Agent => 0,
            Self::Manager => 1,
            Self::Admin => 2,
        }
    }

    pub fn may(self, action: Action) -> bool {
        self.rank() >= action.least_role().rank()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Permission {
    /// # Errors
    /// When `text` is not `read`, `write` or `admin`.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        match text {
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            "admin" => Ok(Self::Admin),
            _ => Err(ValueError::new("must be one of read, write, admin")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }
}

/// Whether a key holding `permissions` may do `action`.
pub fn permissions_allow(permissions: &[Permission], action: Action) -> bool {
    permissions.contains(&Permission::Admin) || permissions.contains(&action.permission())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table in this module's documentation, row by row.
    #[test]
    fn the_role_table_is_as_written() {
        let rows = [
            (Action::ReadMessaging, [true, true, true], Permission::Read),
            (Action::SendMessages, [true, true, true], Permission::Write),
            (
                Action::ManageCampaigns,
                [true, true, false],
                Permission::Write,
            ),
            (
                Action::ManageSessions,
                [true, true, false],
                Permission::Write,
            ),
            (Action::ReadAccount, [true, true, true], Permission::Read),
            (Action::ManageUsers, [true, false, false], Permission::Admin),
            (
                Action::ManageApiKeys,
                [true, false, false],
                Permission::Admin,
            ),
            (
                Action::ManageBilling,
                [true, false, false],
                Permission::Admin,
            ),
            (
                Action::ReadAuditLog,
                [true, false, false],
                Permission::Admin,
            ),
        ];
        assert_eq!(rows.len(), Action::ALL.len(), "every action has a row");
        for (action, [admin, manager, agent], permission) in rows {
            assert_eq!(Role::Admin.may(action), admin, "admin, {action:?}");
            assert_eq!(Role::Manager.may(action), manager, "manager, {action:?}");
            assert_eq!(Role::Agent.may(action), agent, "agent, {action:?}");
            assert_eq!(action.permission(), permission, "{action:?}");
        }
    }

    #[test]
    fn an_admin_key_may_do_anything_and_the_others_only_their_rows() {
        for action in Action::ALL {
            assert!(permissions_allow(&[Permission::Admin], action));
        }
        assert!(permissions_allow(
            &[Permission::Read],
            Action::ReadMessaging
        ));
        assert!(!permissions_allow(
            &[Permission::Read],
            Action::SendMessages
        ));
        assert!(!permissions_allow(
            &[Permission::Write],
            Action::ReadMessaging
        ));
        assert!(permissions_allow(
            &[Permission::Read, Permission::Write],
            Action::ManageCampaigns
        ));
        assert!(!permissions_allow(
            &[Permission::Read, Permission::Write],
            Action::ManageApiKeys
        ));
        assert!(!permissions_allow(&[], Action::ReadAccount));
    }
}
