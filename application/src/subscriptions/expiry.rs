//! The subscription expiry: the process manager that records a plan's end
//! (`Expired`) when its end date comes.
//!
//! Limits already fall back to the free plan's at the end date, whether
//! the end is recorded or not (`Subscription::limits_at`); recording it
//! puts the expiry in the log, where the read models and auditors see it.
//!
//! It follows the commits that set an end date (`Started`, `PlanChanged`).
//! A commit whose end is not due yet goes back to the feed until then (at
//! most an hour at a time), holding no worker. When it is due the plan is
//! expired with `Expire`, which records nothing if it already ended or the
//! end date moved since: two nodes, or a commit handled twice, record one
//! expiry. An end that came while Herald was down is recorded when it is
//! back.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use herald_domain::subscription::{
    Subscription, SubscriptionCommand, SubscriptionEvent, SubscriptionServices, SubscriptionStatus,
};
use herald_domain::{Clock, TenantId};
use std::sync::Arc;
use std::time::Duration;
use tracing::info;

use crate::commands::{CommandError, CommandExecutor};
use crate::metadata::CommandMetadata;
use crate::ports::event_feed::RecordedCommit;
use crate::ports::event_store::TenantEventStores;
use crate::workers::{WorkError, Worker};

/// Who records expiries, as recorded with their commands.
pub const EXPIRY_ACTOR: &str = "subscription-expiry";

/// The longest a commit stays away before it is looked at again.
const LONGEST_WAIT: Duration = Duration::from_secs(3600);

pub struct SubscriptionExpiry<S> {
    subscriptions: CommandExecutor<Subscription, S>,
    clock: Arc<dyn Clock>,
    node: String,
}

impl<S: TenantEventStores<Subscription>> SubscriptionExpiry<S> {
    pub fn new(subscriptions: S, clock: Arc<dyn Clock>, node: &str) -> Self {
        Self {
            subscriptions: CommandExecutor::new(
                subscriptions,
                SubscriptionServices::new(Arc::clone(&clock)),
            ),
            clock,
            node: node.to_owned(),
        }
    }

    async fn expire_when_due(
        &self,
        tenant: &TenantId,
        end: DateTime<Utc>,
    ) -> Result<(), WorkError> {
        let subscription = self
            .subscriptions
            .load(tenant, tenant.as_str())
            .await
            .map_err(|e| WorkError::Retry(e.to_string()))?;
        if subscription.ends_at() != Some(end) {
            // The plan changed since: a later commit has its end.
            return Ok(());
        }
        if let Ok(wait) = (end - self.clock.now()).to_std() {
            if !wait.is_zero() {
                return Err(WorkError::Later(wait.min(LONGEST_WAIT)));
            }
        }
        let metadata = CommandMetadata::new(tenant.clone(), EXPIRY_ACTOR).on_node(&self.node);
        match self
            .subscriptions
            .execute(tenant.as_str(), SubscriptionCommand::Expire, &metadata)
            .await
        {
            Ok(receipt) => {
                if receipt.events > 0 {
                    info!(%tenant, end = %end, "subscription expired");
                }
                Ok(())
            }
            Err(CommandError::Rejected(refusal)) => {
                Err(WorkError::Skip(format!("subscription {tenant}: {refusal}")))
            }
            Err(other) => Err(WorkError::Retry(other.to_string())),
        }
    }
}

/// The end date the commit's last plan event set, if it set one and the
/// plan it set can expire.
fn end_set_by(commit: &RecordedCommit) -> Result<Option<DateTime<Utc>>, WorkError> {
    let mut end = None;
    for event in &commit.events {
        if !matches!(
            event.event_type.as_str(),
            "SubscriptionStarted" | "SubscriptionPlanChanged"
        ) {
            continue;
        }
        let event: SubscriptionEvent = serde_json::from_str(event.payload.get())
            .map_err(|e| WorkError::Skip(format!("{}: {e}", event.event_type)))?;
        end = match event {
            SubscriptionEvent::Started {
                status: SubscriptionStatus::Expired,
                ..
            } => None,
            SubscriptionEvent::Started { ends_at, .. }
            | SubscriptionEvent::PlanChanged { ends_at, .. } => ends_at,
            _ => end,
        };
    }
    Ok(end)
}

#[async_trait]
impl<S: TenantEventStores<Subscription> + 'static> Worker for SubscriptionExpiry<S> {
    fn name(&self) -> &'static str {
        "subscription-expiry"
    }

    fn aggregate_type(&self) -> &'static str {
        <Subscription as cqrs_es::Aggregate>::TYPE
    }

    async fn handle(&self, commit: &RecordedCommit) -> Result<(), WorkError> {
        let Some(end) = end_set_by(commit)? else {
            return Ok(());
        };
        let tenant = TenantId::parse(&commit.tenant).map_err(|e| WorkError::Skip(e.to_string()))?;
        self.expire_when_due(&tenant, end).await
    }
}
