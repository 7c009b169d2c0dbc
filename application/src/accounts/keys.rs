//! API keys: made by an admin (or the operator), shown once, checked on
//! every request that presents one.

use chrono::{DateTime, Utc};
use herald_domain::account::{
    AccountServices, ApiKey, ApiKeyCommand, KeyName, NewApiKey, Permission, Presented, TokenHash,
};
use herald_domain::{Clock, TenantId};
use std::sync::Arc;
use std::time::Duration;
use tracing::warn;
use uuid::Uuid;

use super::credentials::{IssuedToken, TokenKind};
use super::error::AccountsError;
use super::principal::{Actor, Principal};
use super::recent::RecentAccounts;
use crate::commands::{CommandExecutor, CommandReceipt};
use crate::metadata::CommandMetadata;
use crate::ports::event_store::TenantEventStores;
use crate::ports::vault::Vault;

/// A key just made: its secret, shown this once.
#[derive(Clone)]
pub struct CreatedKey {
    pub id: Uuid,
    pub secret: String,
    pub prefix: String,
    pub receipt: CommandReceipt,
}

impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey")
            .field("id", &self.id)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

pub struct ApiKeyService<K> {
    keys: CommandExecutor<ApiKey, K>,
    vault: Arc<dyn Vault>,
    clock: Arc<dyn Clock>,
    recent: RecentAccounts<ApiKey>,
}

impl<K: TenantEventStores<ApiKey>> ApiKeyService<K> {
    pub fn new(
        keys: K,
        vault: Arc<dyn Vault>,
        clock: Arc<dyn Clock>,
        recheck_after: Duration,
    ) -> Self {
        Self {
            keys: CommandExecutor::new(keys, AccountServices::new(Arc::clone(&clock))),
            vault,
            clock,
            recent: RecentAccounts::new(recheck_after),
        }
    }

    /// Makes a key for `tenant`.
    ///
    /// # Errors
    /// `Conflict` for a key without permissions; `Unavailable` and
    /// `Internal` when a store fails.
    pub async fn create(
        &self,
        tenant: &TenantId,
        name: KeyName,
        permissions: Vec<Permission>,
        expires_at: Option<DateTime<Utc>>,
        created_by: Option<Uuid>,
        request: &CommandMetadata,
    ) -> Result<CreatedKey, AccountsError> {
        let id = Uuid::now_v7();
        let token = IssuedToken::new(TokenKind::ApiKey, tenant, id, None);
        let prefix = token.display_prefix();
        let key = NewApiKey {
            name,
            prefix: prefix.clone(),
            secret: TokenHash::new(self.vault.fingerprint(token.reveal())),
            permissions,
            created_by: created_by.map(|user| user.to_string()),
            expires_at,
        };
        let receipt = self
            .execute(tenant, id, ApiKeyCommand::Create(key), request)
            .await?;
        Ok(CreatedKey {
            id,
            secret: token.reveal().to_owned(),
            prefix,
            receipt,
        })
    }

    /// # Errors
    /// `NotFound` for a key not of the tenant.
    pub async fn revoke(
        &self,
        tenant: &TenantId,
        id: Uuid,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError> {
        self.execute(tenant, id, ApiKeyCommand::Revoke, request)
            .await
    }

    /// The principal a key stands for, if `presented` is a live key.
    ///
    /// # Errors
    /// `Unauthenticated` for anything but a live key's secret,
    /// `TokenExpired` past its expiry.
    pub async fn principal_for(
        &self,
        presented: &str,
        request: &CommandMetadata,
    ) -> Result<Principal, AccountsError> {
        let refused = AccountsError::Unauthenticated("the API key is not valid");
        let token = IssuedToken::parse(TokenKind::ApiKey, presented).ok_or(refused)?;
        let (tenant, id) = (token.tenant.clone(), token.account);
        let key = match self.recent.get(&tenant, id) {
            Some(key) => key,
            None => {
                let key = self.load(&tenant, id).await?;
                self.recent.put(&tenant, id, key.clone());
                key
            }
        };
        let hashes = self
            .vault
            .fingerprints(token.reveal())
            .into_iter()
            .map(TokenHash::new)
            .collect();
        let permissions = key
            .permissions_for(&Presented(hashes), self.clock.now())
            .map_err(AccountsError::from)
            .map_err(|e| match e {
                AccountsError::Unauthenticated(_) => {
                    AccountsError::Unauthenticated("the API key is not valid")
                }
                other => other,
            })?
            .to_vec();
        let principal = Principal {
            tenant: tenant.clone(),
            actor: Actor::ApiKey { id, permissions },
        };
        if key.use_is_due(self.clock.now()) {
            let metadata = CommandMetadata {
                tenant: tenant.clone(),
                actor: principal.actor_label(),
                ..request.clone()
            };
            if let Err(error) = self
                .execute(&tenant, id, ApiKeyCommand::RecordUse, &metadata)
                .await
            {
                warn!(%error, "an API key's use could not be recorded");
            }
        }
        Ok(principal)
    }

    /// # Errors
    /// When the store fails.
    pub async fn load(&self, tenant: &TenantId, id: Uuid) -> Result<ApiKey, AccountsError> {
        self.keys
            .load(tenant, &id.to_string())
            .await
            .map_err(AccountsError::from)
    }

    async fn execute(
        &self,
        tenant: &TenantId,
        id: Uuid,
        command: ApiKeyCommand,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError> {
        // One request may run several commands (a sign-up records the
        // account, then its verification link): each has an id of its
        // own, and they share the request's correlation id.
        let metadata = CommandMetadata {
            tenant: tenant.clone(),
            command_id: Uuid::now_v7(),
            ..request.clone()
        };
        let receipt = self
            .keys
            .execute(&id.to_string(), command, &metadata)
            .await
            .map_err(AccountsError::from);
        self.recent.forget(tenant, id);
        receipt
    }
}
