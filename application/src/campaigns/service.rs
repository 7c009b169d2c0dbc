//! The campaign command service.

use herald_domain::campaign::{
    Campaign, CampaignCommand, CampaignError, CampaignServices, NewCampaign,
};
use herald_domain::Clock;
use std::sync::Arc;
use tracing::instrument;
use uuid::Uuid;

use crate::commands::{CommandError, CommandExecutor, CommandReceipt};
use crate::metadata::CommandMetadata;
use crate::ports::event_store::TenantEventStores;

pub type CampaignCommandError = CommandError<CampaignError>;

pub struct CampaignService<S> {
    executor: CommandExecutor<Campaign, S>,
}

impl<S: TenantEventStores<Campaign>> CampaignService<S> {
    pub fn new(stores: S, clock: Arc<dyn Clock>) -> Self {
        Self {
            executor: CommandExecutor::new(stores, CampaignServices::new(clock)),
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
        let id = Uuid::now_v7().to_string();
        self.executor
            .execute(&id, CampaignCommand::Create(campaign), metadata)
            .await
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
        self.executor
            .execute(&id.to_string(), command, metadata)
            .await
    }
}
