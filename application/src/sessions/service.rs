//! The session command service: seals credentials on the way in, asks the
//! Graph API whether they work, and records what it said.

use herald_domain::session::{
    session_id_for, CloudApiChannel, CloudApiSecrets, GraphId, NewSession, SecretField, Session,
    SessionCommand, SessionError, SessionServices, Verification,
};
use herald_domain::{Clock, SessionId, TenantId};
use std::sync::Arc;
use tracing::{instrument, warn};

use super::queries::SessionQueries;
use super::registration::{ChannelCredentials, SessionRegistration};
use crate::commands::{CommandError, CommandExecutor, CommandReceipt};
use crate::metadata::CommandMetadata;
use crate::ports::event_store::TenantEventStores;
use crate::ports::vault::{SecretBinding, Vault};
use crate::ports::whatsapp::{AccessToken, CloudApiAccess, VerifyFailure, WhatsAppGateway};
use crate::subscriptions::{reserve, PlanLimits};
use herald_domain::subscription::{Reservation, Resource};

pub type SessionCommandError = CommandError<SessionError>;

pub struct SessionService<S> {
    executor: CommandExecutor<Session, S>,
    vault: Arc<dyn Vault>,
    gateway: Arc<dyn WhatsAppGateway>,
    queries: Arc<SessionQueries>,
    limits: Option<Arc<dyn PlanLimits>>,
}

impl<S: TenantEventStores<Session>> SessionService<S> {
    pub fn new(
        stores: S,
        clock: Arc<dyn Clock>,
        vault: Arc<dyn Vault>,
        gateway: Arc<dyn WhatsAppGateway>,
        queries: Arc<SessionQueries>,
    ) -> Self {
        Self {
            executor: CommandExecutor::new(stores, SessionServices::new(clock)),
            vault,
            gateway,
            queries,
            limits: None,
        }
    }

    /// The same service, holding a place of the tenant's plan for each
    /// session it creates (`maxSessions`), given back when it is deleted.
    pub fn limited_by(self, limits: Arc<dyn PlanLimits>) -> Self {
        Self {
            limits: Some(limits),
            ..self
        }
    }

    /// Adds a number to the metadata's tenant, under the id its number gives.
    ///
    /// # Errors
    /// `Rejected(AlreadyExists)` when the tenant has a session for the
    /// number; otherwise as [`CommandExecutor::execute`].
    #[instrument(skip_all, fields(tenant = %metadata.tenant))]
    pub async fn create(
        &self,
        registration: SessionRegistration,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SessionCommandError> {
        let id = session_id_for(&metadata.tenant, &registration.phone_number);
        let phone_number_id = &registration.credentials.phone_number_id;
        self.refuse_if_taken(&metadata.tenant, &id, phone_number_id)
            .await?;
        let channel = self.seal(&metadata.tenant, &id, &registration.credentials)?;
        let command = SessionCommand::Create(NewSession {
            phone_number: registration.phone_number,
            name: registration.name,
            channel,
            throughput: registration.throughput,
        });
        // The place is held under the session's id: a second create of the
        // same number holds nothing more.
        let held = Reservation::one(Resource::Sessions, id.as_str());
        if let Some(limits) = &self.limits {
            reserve(limits.as_ref(), &metadata.tenant, held.clone(), metadata).await?;
        }
        let created = self.executor.execute(id.as_str(), command, metadata).await;
        if let (Some(limits), Err(CommandError::Rejected(refusal))) = (&self.limits, &created) {
            if *refusal != SessionError::AlreadyExists {
                let tenant = &metadata.tenant;
                limits
                    .release(tenant, Resource::Sessions, &held.key, 1, metadata)
                    .await;
            }
        }
        created
    }

    /// Checks the session's credentials with the Graph API and records the
    /// answer: connected, or in error with Meta's reason.
    ///
    /// # Errors
    /// `Rejected(NotFound)` for an unknown session; `Rejected(NotAllowed)`
    /// when another active session already uses its phone number id;
    /// otherwise as [`CommandExecutor::execute`].
    #[instrument(skip(self, metadata), fields(tenant = %metadata.tenant))]
    pub async fn connect(
        &self,
        id: &SessionId,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SessionCommandError> {
        let session = self.executor.load(&metadata.tenant, id.as_str()).await?;
        let channel = session
            .channel()
            .ok_or(CommandError::Rejected(SessionError::NotFound))?;
        self.refuse_if_taken(&metadata.tenant, id, &channel.phone_number_id)
            .await?;
        let access = self.access(&metadata.tenant, id, channel)?;
        let verification = verification_of(self.gateway.verify(&access).await);
        self.executor
            .execute(id.as_str(), SessionCommand::Connect(verification), metadata)
            .await
    }

    /// Replaces the session's credentials; it must connect again.
    ///
    /// # Errors
    /// As [`SessionService::connect`].
    #[instrument(skip_all, fields(tenant = %metadata.tenant, session = %id))]
    pub async fn replace_credentials(
        &self,
        id: &SessionId,
        credentials: &ChannelCredentials,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SessionCommandError> {
        self.refuse_if_taken(&metadata.tenant, id, &credentials.phone_number_id)
            .await?;
        let channel = self.seal(&metadata.tenant, id, credentials)?;
        self.executor
            .execute(
                id.as_str(),
                SessionCommand::ReplaceChannel(channel),
                metadata,
            )
            .await
    }

    /// Disconnects or deletes the session.
    ///
    /// # Errors
    /// As [`CommandExecutor::execute`].
    #[instrument(skip(self, metadata), fields(tenant = %metadata.tenant))]
    pub async fn execute(
        &self,
        id: &SessionId,
        command: SessionCommand,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SessionCommandError> {
        if matches!(
            command,
            SessionCommand::Create(_)
                | SessionCommand::Connect(_)
                | SessionCommand::ReplaceChannel(_)
        ) {
            return Err(CommandError::Internal(
                "create, connect and replace credentials through their own methods".into(),
            ));
        }
        let deleting = matches!(command, SessionCommand::Delete);
        let done = self
            .executor
            .execute(id.as_str(), command, metadata)
            .await?;
        if let (true, Some(limits)) = (deleting, &self.limits) {
            let tenant = &metadata.tenant;
            limits
                .release(tenant, Resource::Sessions, id.as_str(), 1, metadata)
                .await;
        }
        Ok(done)
    }

    /// The session as it stands in the event store (not the read model).
    ///
    /// # Errors
    /// As [`CommandExecutor::load`].
    pub async fn load(
        &self,
        tenant: &TenantId,
        id: &SessionId,
    ) -> Result<Session, SessionCommandError> {
        self.executor.load(tenant, id.as_str()).await
    }

    /// What the gateway needs to act for a session: its phone number id and
    /// its access token, opened from the vault.
    ///
    /// # Errors
    /// `Internal` when the vault cannot open the token.
    pub fn access(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        channel: &CloudApiChannel,
    ) -> Result<CloudApiAccess, SessionCommandError> {
        let binding = SecretBinding {
            tenant,
            owner: id.as_str(),
            field: SecretField::AccessToken,
        };
        let token = self
            .vault
            .open(&channel.secrets.access_token, binding)
            .map_err(|e| CommandError::Internal(e.to_string()))?;
        Ok(CloudApiAccess {
            phone_number_id: channel.phone_number_id.as_str().to_owned(),
            access_token: AccessToken::new(token.expose().to_owned()),
        })
    }

    fn seal(
        &self,
        tenant: &TenantId,
        session: &SessionId,
        credentials: &ChannelCredentials,
    ) -> Result<CloudApiChannel, SessionCommandError> {
        let seal = |field: SecretField, text: &str| {
            let binding = SecretBinding {
                tenant,
                owner: session.as_str(),
                field,
            };
            self.vault
                .seal(text, binding)
                .map_err(|e| CommandError::Internal(e.to_string()))
        };
        Ok(CloudApiChannel {
            phone_number_id: credentials.phone_number_id.clone(),
            waba_id: credentials.waba_id.clone(),
            secrets: CloudApiSecrets {
                access_token: seal(SecretField::AccessToken, &credentials.access_token)?,
                app_secret: seal(SecretField::AppSecret, &credentials.app_secret)?,
                webhook_verify_token: seal(
                    SecretField::WebhookVerifyToken,
                    &credentials.webhook_verify_token,
                )?,
            },
            verify_token_fingerprint: self.vault.fingerprint(&credentials.webhook_verify_token),
            secrets_fingerprint: self.vault.fingerprint(&format!(
                "{}\0{}\0{}",
                credentials.access_token, credentials.app_secret, credentials.webhook_verify_token
            )),
        })
    }

    /// Webhooks are routed by phone number id alone, and an id belongs to
    /// the session that connected it: another session may not register,
    /// take over or connect an id while one holds it. The read model may
    /// lag a moment behind; the race needs two tenants holding working
    /// Meta credentials for one number, which Meta's own access control
    /// prevents, and webhooks still go to the first to connect.
    async fn refuse_if_taken(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        phone_number_id: &GraphId,
    ) -> Result<(), SessionCommandError> {
        let routes = self
            .queries
            .connected_routes(std::slice::from_ref(phone_number_id))
            .await
            .map_err(|e| CommandError::Internal(e.to_string()))?;
        let taken = routes
            .iter()
            .any(|r| &r.tenant != tenant || &r.session_id != id);
        if taken {
            warn!(%phone_number_id, "phone number id already connected elsewhere");
            return Err(CommandError::Rejected(SessionError::NotAllowed(format!(
                "the phone number id {phone_number_id} is already connected to another Herald session"
            ))));
        }
        Ok(())
    }
}

fn verification_of(
    answer: Result<crate::ports::whatsapp::PhoneNumberInfo, VerifyFailure>,
) -> Verification {
    match answer {
        Ok(info) => Verification::Verified {
            display_phone_number: info.display_phone_number,
            verified_name: info.verified_name,
            quality_rating: info.quality_rating,
        },
        Err(VerifyFailure::Rejected(error)) => Verification::Refused {
            code: error.code,
            reason: error.to_string(),
        },
        Err(VerifyFailure::Unreachable { reason }) => Verification::Unreachable { reason },
    }
}
