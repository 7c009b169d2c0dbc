//! The commands a client can give, as the HTTP API sees them: one
//! object-safe trait per service, so that a driving adapter holds
//! `Arc<dyn CampaignCommands>` and never names the event store the service
//! runs on. Only start-up code picks the stores.
//!
//! Each trait is implemented by its service for any store; the methods are
//! the service's own, documented there.

use async_trait::async_trait;
use herald_domain::campaign::{CampaignCommand, NewCampaign};
use herald_domain::session::{Session, SessionCommand};
use herald_domain::{SessionId, TenantId};
use uuid::Uuid;

use crate::campaigns::{CampaignCommandError, CampaignService};
use crate::commands::CommandReceipt;
use crate::messages::service::SendError;
use crate::messages::{MessagingService, SendRequest};
use crate::metadata::CommandMetadata;
use crate::ports::event_store::TenantEventStores;
use crate::sessions::{
    ChannelCredentials, SessionCommandError, SessionRegistration, SessionService,
};
use crate::webhooks::{IntakeError, WebhookIntake};

/// See [`CampaignService`].
#[async_trait]
pub trait CampaignCommands: Send + Sync {
    async fn create(
        &self,
        campaign: NewCampaign,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, CampaignCommandError>;

    async fn execute(
        &self,
        id: Uuid,
        command: CampaignCommand,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, CampaignCommandError>;
}

#[async_trait]
impl<S: TenantEventStores<herald_domain::campaign::Campaign>> CampaignCommands
    for CampaignService<S>
{
    async fn create(
        &self,
        campaign: NewCampaign,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, CampaignCommandError> {
        CampaignService::create(self, campaign, metadata).await
    }

    async fn execute(
        &self,
        id: Uuid,
        command: CampaignCommand,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, CampaignCommandError> {
        CampaignService::execute(self, id, command, metadata).await
    }
}

/// See [`SessionService`].
#[async_trait]
pub trait SessionCommands: Send + Sync {
    async fn create(
        &self,
        registration: SessionRegistration,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SessionCommandError>;

    async fn connect(
        &self,
        id: &SessionId,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SessionCommandError>;

    async fn replace_credentials(
        &self,
        id: &SessionId,
        credentials: &ChannelCredentials,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SessionCommandError>;

    async fn execute(
        &self,
        id: &SessionId,
        command: SessionCommand,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SessionCommandError>;

    async fn load(&self, tenant: &TenantId, id: &SessionId)
        -> Result<Session, SessionCommandError>;
}

#[async_trait]
impl<S: TenantEventStores<Session>> SessionCommands for SessionService<S> {
    async fn create(
        &self,
        registration: SessionRegistration,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SessionCommandError> {
        SessionService::create(self, registration, metadata).await
    }

    async fn connect(
        &self,
        id: &SessionId,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SessionCommandError> {
        SessionService::connect(self, id, metadata).await
    }

    async fn replace_credentials(
        &self,
        id: &SessionId,
        credentials: &ChannelCredentials,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SessionCommandError> {
        SessionService::replace_credentials(self, id, credentials, metadata).await
    }

    async fn execute(
        &self,
        id: &SessionId,
        command: SessionCommand,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SessionCommandError> {
        SessionService::execute(self, id, command, metadata).await
    }

    async fn load(
        &self,
        tenant: &TenantId,
        id: &SessionId,
    ) -> Result<Session, SessionCommandError> {
        SessionService::load(self, tenant, id).await
    }
}

/// See [`MessagingService`].
#[async_trait]
pub trait MessageCommands: Send + Sync {
    async fn send(
        &self,
        session_id: &SessionId,
        request: SendRequest,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SendError>;

    async fn resend(
        &self,
        id: &str,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SendError>;
}

#[async_trait]
impl<S, C, M> MessageCommands for MessagingService<S, C, M>
where
    S: TenantEventStores<Session>,
    C: TenantEventStores<herald_domain::conversation::Conversation>,
    M: TenantEventStores<herald_domain::message::Message>,
{
    async fn send(
        &self,
        session_id: &SessionId,
        request: SendRequest,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SendError> {
        MessagingService::send(self, session_id, request, metadata).await
    }

    async fn resend(
        &self,
        id: &str,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SendError> {
        MessagingService::resend(self, id, metadata).await
    }
}

/// See [`WebhookIntake`].
#[async_trait]
pub trait WebhookReceiver: Send + Sync {
    async fn verify_subscription(
        &self,
        mode: &str,
        verify_token: &str,
        challenge: &str,
    ) -> Result<String, IntakeError>;

    async fn receive(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<Vec<CommandReceipt>, IntakeError>;
}

#[async_trait]
impl<S: TenantEventStores<herald_domain::webhook::Webhook>> WebhookReceiver for WebhookIntake<S> {
    async fn verify_subscription(
        &self,
        mode: &str,
        verify_token: &str,
        challenge: &str,
    ) -> Result<String, IntakeError> {
        WebhookIntake::verify_subscription(self, mode, verify_token, challenge).await
    }

    async fn receive(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<Vec<CommandReceipt>, IntakeError> {
        WebhookIntake::receive(self, body, signature).await
    }
}
