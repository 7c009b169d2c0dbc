//! Recording refused attempts, each as an AccessDenial of its own.

use async_trait::async_trait;
use herald_domain::account::{AccessDenial, AccountServices, Denial, DenialCommand};
use herald_domain::Clock;
use std::sync::Arc;
use tracing::warn;
use uuid::Uuid;

use crate::commands::CommandExecutor;
use crate::metadata::CommandMetadata;
use crate::ports::event_store::TenantEventStores;

#[async_trait]
pub trait Denials: Send + Sync {
    /// Records `denial` with who asked (`metadata`); a failure is logged,
    /// since the answer to the caller does not depend on it.
    async fn record(&self, denial: Denial, metadata: &CommandMetadata);
}

pub struct DenialRecorder<S> {
    executor: CommandExecutor<AccessDenial, S>,
}

impl<S: TenantEventStores<AccessDenial>> DenialRecorder<S> {
    pub fn new(stores: S, clock: Arc<dyn Clock>) -> Self {
        Self {
            executor: CommandExecutor::new(stores, AccountServices::new(clock)),
        }
    }
}

#[async_trait]
impl<S: TenantEventStores<AccessDenial>> Denials for DenialRecorder<S> {
    async fn record(&self, denial: Denial, metadata: &CommandMetadata) {
        let id = Uuid::now_v7().to_string();
        let metadata = metadata.next_command(&metadata.tenant);
        if let Err(error) = self
            .executor
            .execute(&id, DenialCommand::Record(denial), &metadata)
            .await
        {
            warn!(%error, "a refused attempt could not be recorded");
        }
    }
}
