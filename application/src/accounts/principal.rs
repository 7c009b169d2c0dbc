//! Who a request acts as, once its credentials are checked.

use herald_domain::account::{permissions_allow, Action, Permission, Role};
use herald_domain::TenantId;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user, in one sign-in (`family`), with its role as the
    /// log holds it now (not as it was when the token was issued).
    User {
        id: Uuid,
        role: Role,
        family: String,
    },
    ApiKey {
        id: Uuid,
        permissions: Vec<Permission>,
    },
}

/// The tenant and actor of a request: every command and query it makes is
/// scoped to this tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant: TenantId,
    pub actor: Actor,
}

impl Principal {
    pub fn may(&self, action: Action) -> bool {
        match &self.actor {
            Actor::User { role, .. } => role.may(action),
            Actor::ApiKey { permissions, .. } => permissions_allow(permissions, action),
        }
    }

    /// How the actor is recorded with the commands it gives:
    /// `user:<id>` or `api_key:<id>`.
    pub fn actor_label(&self) -> String {
        match &self.actor {
            Actor::User { id, .. } => format!("user:{id}"),
            Actor::ApiKey { id, .. } => format!("api_key:{id}"),
        }
    }

    /// The role recorded with its commands: the user's, or `api_key`.
    pub fn role_label(&self) -> &'static str {
        match &self.actor {
            Actor::User { role, .. } => role.as_str(),
            Actor::ApiKey { .. } => "api_key",
        }
    }

    pub fn user_id(&self) -> Option<Uuid> {
        match &self.actor {
            Actor::User { id, .. } => Some(*id),
            Actor::ApiKey { .. } => None,
        }
    }
}
