//! API keys: made by an admin (or the operator), shown once, checked on
//! every request that presents one.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
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
    keys: Arc<CommandExecutor<ApiKey, K>>,
    vault: Arc<dyn Vault>,
    clock: Arc<dyn Clock>,
    recent: Arc<RecentAccounts<ApiKey>>,
}

impl<K: TenantEventStores<ApiKey> + 'static> ApiKeyService<K> {
    pub fn new(
        keys: K,
        vault: Arc<dyn Vault>,
        clock: Arc<dyn Clock>,
        recheck_after: Duration,
    ) -> Self {
        Self {
            keys: Arc::new(CommandExecutor::new(
                keys,
                AccountServices::new(Arc::clone(&clock)),
            )),
            vault,
            clock,
            recent: Arc::new(RecentAccounts::new(recheck_after)),
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
        // A key read before is used at once; past the recheck time it is
        // read again beside the request, which does not wait for the log.
        let key = match self.recent.get_any(&tenant, id) {
            Some((key, fresh)) => {
                if !fresh {
                    self.reread_later(&tenant, id);
                }
                key
            }
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
                actor: principal.actor_label(),
                ..request.next_command(&tenant)
            };
            self.record_use_later(id, metadata);
        }
        Ok(principal)
    }

    /// Reads the key again in the background; meanwhile the entry counts
    /// as fresh, so one request starts the read, not every one.
    fn reread_later(&self, tenant: &TenantId, id: Uuid) {
        if let Some((key, _)) = self.recent.get_any(tenant, id) {
            self.recent.put(tenant, id, key);
        }
        let (keys, recent, tenant) = (
            Arc::clone(&self.keys),
            Arc::clone(&self.recent),
            tenant.clone(),
        );
        tokio::spawn(async move {
            match keys.load(&tenant, &id.to_string()).await {
                Ok(key) => recent.put(&tenant, id, key),
                Err(error) => {
                    warn!(%error, "an API key could not be read again");
                    recent.forget(&tenant, id);
                }
            }
        });
    }

    /// Records the key's use (`lastUsed`, to the minute) beside the
    /// request, which does not wait for the log.
    fn record_use_later(&self, id: Uuid, metadata: CommandMetadata) {
        if let Some((key, _)) = self.recent.get_any(&metadata.tenant, id) {
            // Marked used now, so the next requests do not record it too.
            let mut used = key;
            used.apply(herald_domain::account::ApiKeyEvent::Used {
                at: self.clock.now(),
            });
            self.recent.put(&metadata.tenant, id, used);
        }
        let (keys, recent) = (Arc::clone(&self.keys), Arc::clone(&self.recent));
        tokio::spawn(async move {
            let recorded = keys
                .execute(&id.to_string(), ApiKeyCommand::RecordUse, &metadata)
                .await;
            recent.forget(&metadata.tenant, id);
            if let Err(error) = recorded {
                warn!(%error, "an API key's use could not be recorded");
            }
        });
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
        let metadata = request.next_command(tenant);
        let receipt = self
            .keys
            .execute(&id.to_string(), command, &metadata)
            .await
            .map_err(AccountsError::from);
        self.recent.forget(tenant, id);
        receipt
    }
}
