//! The campaign command service.

use async_trait::async_trait;
use herald_domain::campaign::{
    Campaign, CampaignCommand, CampaignError, CampaignServices, NewCampaign,
};
use herald_domain::session::Session;
use herald_domain::{Clock, FieldError, SessionId, TenantId};
use std::sync::Arc;
use tracing::instrument;
use uuid::Uuid;

use crate::commands::{CommandError, CommandExecutor, CommandReceipt};
use crate::metadata::CommandMetadata;
use crate::ports::event_store::TenantEventStores;
use crate::sessions::SessionService;
use crate::subscriptions::{reserve, PlanLimits};
use herald_domain::subscription::{Reservation, Resource};

pub type CampaignCommandError = CommandError<CampaignError>;

/// Whether a tenant has a session, as the event log says now.
#[async_trait]
pub trait SessionLookup: Send + Sync {
    /// # Errors
    /// When the event log cannot be read.
    async fn session_exists(
        &self,
        tenant: &TenantId,
        session: &SessionId,
    ) -> Result<bool, CampaignCommandError>;
}

#[async_trait]
impl<S: TenantEventStores<Session>> SessionLookup for SessionService<S> {
    async fn session_exists(
        &self,
        tenant: &TenantId,
        session: &SessionId,
    ) -> Result<bool, CampaignCommandError> {
        self.load(tenant, session)
            .await
            .map(|s| s.exists())
            .map_err(|e| e.map_rejected(|refusal| CampaignError::NotAllowed(refusal.to_string())))
    }
}

pub struct CampaignService<S> {
    executor: CommandExecutor<Campaign, S>,
    sessions: Option<Arc<dyn SessionLookup>>,
    limits: Option<Arc<dyn PlanLimits>>,
}

impl<S: TenantEventStores<Campaign>> CampaignService<S> {
    pub fn new(stores: S, clock: Arc<dyn Clock>) -> Self {
        Self {
            executor: CommandExecutor::new(stores, CampaignServices::new(clock)),
            sessions: None,
            limits: None,
        }
    }

    /// The same service, counting each campaign it creates against the
    /// tenant's plan (`maxCampaignsPerMonth`).
    pub fn limited_by(self, limits: Arc<dyn PlanLimits>) -> Self {
        Self {
            limits: Some(limits),
            ..self
        }
    }

    /// The same service, refusing to create, point at, schedule or start a
    /// campaign on a session the tenant does not have.
    pub fn checking_sessions(self, sessions: Arc<dyn SessionLookup>) -> Self {
        Self {
            sessions: Some(sessions),
            ..self
        }
    }

    async fn require_session(
        &self,
        tenant: &TenantId,
        session: &SessionId,
    ) -> Result<(), CampaignCommandError> {
        let Some(sessions) = &self.sessions else {
            return Ok(());
        };
        if sessions.session_exists(tenant, session).await? {
            return Ok(());
        }
        Err(CommandError::Rejected(
            FieldError::new(
                "sessionId",
                format!("this tenant has no session {session}: create it with POST /v1/sessions, or name one it has"),
            )
            .into(),
        ))
    }

    /// The session a command would make the campaign send from, when the
    /// command is one that must find it there.
    async fn session_to_check(
        &self,
        id: &str,
        command: &CampaignCommand,
        tenant: &TenantId,
    ) -> Result<Option<SessionId>, CampaignCommandError> {
        match command {
            CampaignCommand::Edit(edit) => Ok(edit.session_id.clone()),
            CampaignCommand::Schedule(_) | CampaignCommand::Start => Ok(self
                .executor
                .load(tenant, id)
                .await?
                .definition()
                .map(|d| d.session_id.clone())),
            _ => Ok(None),
        }
    }

    /// Creates a campaign under a new id (a UUID v7, so ids sort by age).
    ///
    /// # Errors
    /// As [`CommandExecutor::execute`].
    #[instrument(skip_all, fields(tenant = %metadata.tenant))]
    pub async fn create(
        &self,
        campaign: NewCampaign,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, CampaignCommandError> {
        self.require_session(&metadata.tenant, &campaign.definition.session_id)
            .await?;
        let id = Uuid::now_v7().to_string();
        if let Some(limits) = &self.limits {
            let counted = Reservation::one(Resource::Campaigns, id.as_str());
            reserve(limits.as_ref(), &metadata.tenant, counted, metadata).await?;
        }
        let created = self
            .executor
            .execute(&id, CampaignCommand::Create(campaign), metadata)
            .await;
        if let (Some(limits), Err(CommandError::Rejected(_))) = (&self.limits, &created) {
            let tenant = &metadata.tenant;
            limits
                .release(tenant, Resource::Campaigns, &id, 1, metadata)
                .await;
        }
        created
    }

    /// Runs any other command on the campaign `id` of the metadata's tenant.
    ///
    /// # Errors
    /// As [`CommandExecutor::execute`]; `Rejected(NotFound)` when the tenant
    /// has no campaign `id`.
    #[instrument(skip(self, command, metadata), fields(tenant = %metadata.tenant))]
    pub async fn execute(
        &self,
        id: Uuid,
        command: CampaignCommand,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, CampaignCommandError> {
        if matches!(command, CampaignCommand::Create(_)) {
            return Err(CommandError::Internal(
                "create campaigns with CampaignService::create".into(),
            ));
        }
        let id = id.to_string();
        if let Some(session) = self
            .session_to_check(&id, &command, &metadata.tenant)
            .await?
        {
            self.require_session(&metadata.tenant, &session).await?;
        }
        self.executor.execute(&id, command, metadata).await
    }
}
