//! The accounts services as object-safe traits, which is how the HTTP API
//! holds them, naming no store. Each method is the service's own,
//! documented there.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use herald_domain::account::{ApiKey, Email, KeyName, Permission, User, UserCommand};
use herald_domain::TenantId;
use uuid::Uuid;

use super::credentials::Password;
use super::error::AccountsError;
use super::keys::{ApiKeyService, CreatedKey};
use super::principal::Principal;
use super::service::{AccountService, Invite, SignUp, SignedUp, Tokens};
use crate::commands::CommandReceipt;
use crate::metadata::CommandMetadata;
use crate::ports::event_store::TenantEventStores;

/// See [`AccountService`].
#[async_trait]
pub trait Accounts: Send + Sync {
    async fn sign_up(
        &self,
        sign_up: SignUp,
        tenant: Option<TenantId>,
        request: &CommandMetadata,
    ) -> Result<SignedUp, AccountsError>;
    async fn invite(
        &self,
        admin: &Principal,
        invite: Invite,
        request: &CommandMetadata,
    ) -> Result<(Uuid, CommandReceipt), AccountsError>;
    async fn sign_in(
        &self,
        identifier: &str,
        password: &Password,
        request: &CommandMetadata,
    ) -> Result<Tokens, AccountsError>;
    async fn refresh(
        &self,
        token: &str,
        request: &CommandMetadata,
    ) -> Result<Tokens, AccountsError>;
    async fn sign_out(
        &self,
        principal: &Principal,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError>;
    async fn request_verification(
        &self,
        principal: &Principal,
        request: &CommandMetadata,
    ) -> Result<(), AccountsError>;
    async fn verify_email(
        &self,
        token: &str,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError>;
    async fn request_reset(
        &self,
        email: &Email,
        request: &CommandMetadata,
    ) -> Result<(), AccountsError>;
    async fn reset_password(
        &self,
        token: &str,
        password: &Password,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError>;
    async fn administer(
        &self,
        admin: &Principal,
        user: Uuid,
        command: UserCommand,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError>;
    async fn user(&self, tenant: &TenantId, id: Uuid) -> Result<User, AccountsError>;
    async fn authenticate(&self, token: &str) -> Result<Principal, AccountsError>;
}

#[async_trait]
impl<U: TenantEventStores<User>> Accounts for AccountService<U> {
    async fn sign_up(
        &self,
        sign_up: SignUp,
        tenant: Option<TenantId>,
        request: &CommandMetadata,
    ) -> Result<SignedUp, AccountsError> {
        AccountService::sign_up(self, sign_up, tenant, request).await
    }

    async fn invite(
        &self,
        admin: &Principal,
        invite: Invite,
        request: &CommandMetadata,
    ) -> Result<(Uuid, CommandReceipt), AccountsError> {
        AccountService::invite(self, admin, invite, request).await
    }

    async fn sign_in(
        &self,
        identifier: &str,
        password: &Password,
        request: &CommandMetadata,
    ) -> Result<Tokens, AccountsError> {
        AccountService::sign_in(self, identifier, password, request).await
    }

    async fn refresh(
        &self,
        token: &str,
        request: &CommandMetadata,
    ) -> Result<Tokens, AccountsError> {
        AccountService::refresh(self, token, request).await
    }

    async fn sign_out(
        &self,
        principal: &Principal,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError> {
        AccountService::sign_out(self, principal, request).await
    }

    async fn request_verification(
        &self,
        principal: &Principal,
        request: &CommandMetadata,
    ) -> Result<(), AccountsError> {
        AccountService::request_verification(self, principal, request).await
    }

    async fn verify_email(
        &self,
        token: &str,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError> {
        AccountService::verify_email(self, token, request).await
    }

    async fn request_reset(
        &self,
        email: &Email,
        request: &CommandMetadata,
    ) -> Result<(), AccountsError> {
        AccountService::request_reset(self, email, request).await
    }

    async fn reset_password(
        &self,
        token: &str,
        password: &Password,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError> {
        AccountService::reset_password(self, token, password, request).await
    }

    async fn administer(
        &self,
        admin: &Principal,
        user: Uuid,
        command: UserCommand,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError> {
        AccountService::administer(self, admin, user, command, request).await
    }

    async fn user(&self, tenant: &TenantId, id: Uuid) -> Result<User, AccountsError> {
        self.load_user(tenant, id).await
    }

    async fn authenticate(&self, token: &str) -> Result<Principal, AccountsError> {
        AccountService::authenticate(self, token).await
    }
}

/// See [`ApiKeyService`].
#[async_trait]
pub trait ApiKeys: Send + Sync {
    async fn create(
        &self,
        tenant: &TenantId,
        name: KeyName,
        permissions: Vec<Permission>,
        expires_at: Option<DateTime<Utc>>,
        created_by: Option<Uuid>,
        request: &CommandMetadata,
    ) -> Result<CreatedKey, AccountsError>;
    async fn revoke(
        &self,
        tenant: &TenantId,
        id: Uuid,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError>;
    async fn key(&self, tenant: &TenantId, id: Uuid) -> Result<ApiKey, AccountsError>;
    async fn authenticate(
        &self,
        presented: &str,
        request: &CommandMetadata,
    ) -> Result<Principal, AccountsError>;
}

#[async_trait]
impl<K: TenantEventStores<ApiKey> + 'static> ApiKeys for ApiKeyService<K> {
    async fn create(
        &self,
        tenant: &TenantId,
        name: KeyName,
        permissions: Vec<Permission>,
        expires_at: Option<DateTime<Utc>>,
        created_by: Option<Uuid>,
        request: &CommandMetadata,
    ) -> Result<CreatedKey, AccountsError> {
        ApiKeyService::create(
            self,
            tenant,
            name,
            permissions,
            expires_at,
            created_by,
            request,
        )
        .await
    }

    async fn revoke(
        &self,
        tenant: &TenantId,
        id: Uuid,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError> {
        ApiKeyService::revoke(self, tenant, id, request).await
    }

    async fn key(&self, tenant: &TenantId, id: Uuid) -> Result<ApiKey, AccountsError> {
        self.load(tenant, id).await
    }

    async fn authenticate(
        &self,
        presented: &str,
        request: &CommandMetadata,
    ) -> Result<Principal, AccountsError> {
        ApiKeyService::principal_for(self, presented, request).await
    }
}
