//! Who asked for a command, and from where. Recorded with its events: it is
//! what audit logs are built from.

use herald_domain::TenantId;
use std::collections::HashMap;
use uuid::Uuid;

/// The names under which metadata is stored with a commit.
pub mod keys {
    pub const COMMAND_ID: &str = "commandId";
    pub const TENANT: &str = "tenant";
    pub const ACTOR: &str = "actor";
    /// The actor's role (`admin`, `manager`, `agent`) or `api_key`.
    pub const ROLE: &str = "role";
    pub const CORRELATION_ID: &str = "correlationId";
    pub const IP: &str = "ip";
    pub const USER_AGENT: &str = "userAgent";
    pub const IDEMPOTENCY_KEY: &str = "idempotencyKey";
    /// The Herald node that ran a process manager's command.
    pub const NODE: &str = "node";
    /// Added by the event store: the commit's stream position.
    pub const POSITION: &str = "position";
    /// Added by the event store: when the commit was recorded (RFC 3339).
    pub const RECORDED_AT: &str = "recordedAt";
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandMetadata {
    /// Unique per command; the event store's deduplication key.
    pub command_id: Uuid,
    pub tenant: TenantId,
    /// Who asked: a user, an API key, or a Herald process.
    pub actor: String,
    /// The actor's role when it asked, for the audit log.
    pub role: Option<String>,
    pub correlation_id: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub idempotency_key: Option<String>,
    /// The node that ran the command, when a process manager did.
    pub node: Option<String>,
}

impl CommandMetadata {
    /// Metadata for a command a client asked for; the id is new.
    pub fn new(tenant: TenantId, actor: impl Into<String>) -> Self {
        let command_id = Uuid::now_v7();
        Self {
            command_id,
            tenant,
            actor: actor.into(),
            role: None,
            correlation_id: command_id.to_string(),
            ip: None,
            user_agent: None,
            idempotency_key: None,
            node: None,
        }
    }

    /// The metadata of another command of the same request, on `tenant`'s
    /// part of the log. One request may run several commands (a sign-up
    /// records the account, then its verification link; a send holds its
    /// place in the plan first): each needs an id of its own, since the log
    /// refuses one id twice, and they share the request's correlation id.
    #[must_use]
    pub fn next_command(&self, tenant: &TenantId) -> Self {
        Self {
            command_id: Uuid::now_v7(),
            tenant: tenant.clone(),
            ..self.clone()
        }
    }

    /// The same metadata, recording that `node` ran the command.
    pub fn on_node(self, node: &str) -> Self {
        Self {
            node: Some(node.to_owned()),
            ..self
        }
    }

    pub fn to_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::from([
            (keys::COMMAND_ID.to_owned(), self.command_id.to_string()),
            (keys::TENANT.to_owned(), self.tenant.to_string()),
            (keys::ACTOR.to_owned(), self.actor.clone()),
            (keys::CORRELATION_ID.to_owned(), self.correlation_id.clone()),
        ]);
        let optional = [
            (keys::ROLE, &self.role),
            (keys::IP, &self.ip),
            (keys::USER_AGENT, &self.user_agent),
            (keys::IDEMPOTENCY_KEY, &self.idempotency_key),
            (keys::NODE, &self.node),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                map.insert(key.to_owned(), value.clone());
            }
        }
        map
    }
}
