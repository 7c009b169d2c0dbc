//! The subscription service: a tenant's plan, payments, and the
//! reservations every limited command makes first.

use async_trait::async_trait;
use herald_domain::subscription::{
    Limit, Reservation, Resource, Subscription, SubscriptionCommand, SubscriptionError,
    SubscriptionServices,
};
use herald_domain::{Clock, TenantId};
use std::sync::Arc;
use tracing::warn;
use uuid::Uuid;

use super::limits::{LimitError, OverLimit, PlanLimits};
use crate::accounts::ports::{NameHolder, NameRegistry, UniqueName};
use crate::commands::{CommandError, CommandExecutor, CommandReceipt};
use crate::metadata::CommandMetadata;
use crate::ports::event_store::{StoreFailure, StoreFailureKind, TenantEventStores};
use herald_domain::subscription::Payment;

pub type SubscriptionCommandError = CommandError<SubscriptionError>;

pub struct SubscriptionService<S> {
    executor: CommandExecutor<Subscription, S>,
    clock: Arc<dyn Clock>,
    /// Where transaction ids are claimed, so that one is recorded for one
    /// tenant only (seed 000: `transactionId` is unique).
    transactions: Option<Arc<dyn NameRegistry>>,
}

/// A tenant has one subscription, kept under the tenant's own id.
fn subscription_id(tenant: &TenantId) -> &str {
    tenant.as_str()
}

impl<S: TenantEventStores<Subscription>> SubscriptionService<S> {
    pub fn new(stores: S, clock: Arc<dyn Clock>) -> Self {
        Self {
            executor: CommandExecutor::new(stores, SubscriptionServices::new(Arc::clone(&clock))),
            clock,
            transactions: None,
        }
    }

    /// The same service, claiming each payment's transaction id for its
    /// tenant in `registry` before recording it.
    pub fn claiming_transactions(self, registry: Arc<dyn NameRegistry>) -> Self {
        Self {
            transactions: Some(registry),
            ..self
        }
    }

    /// Records a payment, or a later status of one: the same transaction
    /// twice is one payment, and a transaction another tenant recorded is
    /// refused.
    ///
    /// # Errors
    /// `Rejected(NotAllowed)` for another tenant's transaction id, or a
    /// status change providers do not make; `Rejected(PaymentMismatch)`
    /// for the same id with other details.
    pub async fn record_payment(
        &self,
        tenant: &TenantId,
        payment: Payment,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SubscriptionCommandError> {
        if let Some(registry) = &self.transactions {
            let name = UniqueName::Transaction(payment.transaction_id.as_str().to_owned());
            let holder = NameHolder {
                tenant: tenant.clone(),
                user: Uuid::nil(),
                claimed_at: self.clock.now(),
            };
            let held = registry.claim(&name, &holder).await.map_err(|e| {
                CommandError::Store(StoreFailure::new(StoreFailureKind::Unavailable, e.0))
            })?;
            if !held.is_same_account(&holder) {
                return Err(CommandError::Rejected(SubscriptionError::NotAllowed(
                    format!(
                        "transaction {} is recorded for another account",
                        payment.transaction_id.as_str()
                    ),
                )));
            }
        }
        self.execute(
            tenant,
            SubscriptionCommand::RecordPayment(payment),
            metadata,
        )
        .await
    }

    /// The tenant's subscription as the log holds it now.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn load(&self, tenant: &TenantId) -> Result<Subscription, SubscriptionCommandError> {
        self.executor.load(tenant, subscription_id(tenant)).await
    }

    /// # Errors
    /// As [`CommandExecutor::execute`].
    pub async fn execute(
        &self,
        tenant: &TenantId,
        command: SubscriptionCommand,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SubscriptionCommandError> {
        let metadata = metadata.next_command(tenant);
        self.executor
            .execute(subscription_id(tenant), command, &metadata)
            .await
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

#[async_trait]
impl<S: TenantEventStores<Subscription>> PlanLimits for SubscriptionService<S> {
    async fn reserve(
        &self,
        tenant: &TenantId,
        reservation: Reservation,
        metadata: &CommandMetadata,
    ) -> Result<u32, LimitError> {
        let (resource, key) = (reservation.resource, reservation.key.clone());
        let all_or_nothing = reservation.wanted == reservation.at_least;
        let wanted = reservation.wanted;
        // Nothing to count against no limit: the tenant's commands do not
        // take turns on its subscription (a tenant sending thousands a
        // second would otherwise wait on one aggregate).
        let subscription = self
            .load(tenant)
            .await
            .map_err(|e| LimitError::Unavailable(e.to_string()))?;
        if subscription.limits_at(self.clock.now()).of(resource) == Limit::Unlimited {
            return Ok(wanted);
        }
        match self
            .execute(tenant, SubscriptionCommand::Reserve(reservation), metadata)
            .await
        {
            Ok(_) if all_or_nothing => Ok(wanted),
            // Granted in part, or held already: the log says how much.
            Ok(_) => {
                let subscription = self
                    .load(tenant)
                    .await
                    .map_err(|e| LimitError::Unavailable(e.to_string()))?;
                Ok(subscription
                    .held_by(resource, &key, self.clock.now())
                    .unwrap_or(0))
            }
            Err(CommandError::Rejected(SubscriptionError::LimitReached {
                resource,
                limit,
                used,
                resets_at,
            })) => Err(LimitError::Over(OverLimit {
                resource,
                limit,
                used,
                resets_at,
            })),
            Err(CommandError::Conflict(_)) => Err(LimitError::Busy),
            Err(other) => Err(LimitError::Unavailable(other.to_string())),
        }
    }

    async fn release(
        &self,
        tenant: &TenantId,
        resource: Resource,
        key: &str,
        count: u32,
        metadata: &CommandMetadata,
    ) {
        let command = SubscriptionCommand::Release {
            resource,
            key: key.to_owned(),
            count,
        };
        if let Err(error) = self.execute(tenant, command, metadata).await {
            warn!(%error, %tenant, key, "a reservation could not be given back");
        }
    }
}

/// The subscription service as the HTTP API holds it, naming no store.
#[async_trait]
pub trait Subscriptions: PlanLimits {
    async fn load(&self, tenant: &TenantId) -> Result<Subscription, SubscriptionCommandError>;
    async fn execute(
        &self,
        tenant: &TenantId,
        command: SubscriptionCommand,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SubscriptionCommandError>;
    async fn record_payment(
        &self,
        tenant: &TenantId,
        payment: Payment,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SubscriptionCommandError>;
    fn now(&self) -> chrono::DateTime<chrono::Utc>;
}

#[async_trait]
impl<S: TenantEventStores<Subscription>> Subscriptions for SubscriptionService<S> {
    async fn load(&self, tenant: &TenantId) -> Result<Subscription, SubscriptionCommandError> {
        SubscriptionService::load(self, tenant).await
    }

    async fn execute(
        &self,
        tenant: &TenantId,
        command: SubscriptionCommand,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SubscriptionCommandError> {
        SubscriptionService::execute(self, tenant, command, metadata).await
    }

    async fn record_payment(
        &self,
        tenant: &TenantId,
        payment: Payment,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SubscriptionCommandError> {
        SubscriptionService::record_payment(self, tenant, payment, metadata).await
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        SubscriptionService::now(self)
    }
}
