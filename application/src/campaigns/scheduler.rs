//! The campaign scheduler: the process manager that starts scheduled
//! campaigns, and each run of a recurring one, when it is due.
//!
//! It follows the commits that set a campaign's next run (`Scheduled`,
//! `RunCompleted`). A commit whose run is not due yet goes back to the feed
//! until then (at most an hour at a time, so that a long wait is looked at
//! again), holding no worker. When it is due the run is started with
//! `StartDueRun`, which starts nothing if the campaign was started,
//! rescheduled or stopped since: two nodes, or a commit handled twice, never
//! start a run twice. A run that fell due while Herald was down starts once
//! when Herald is back, and the next one is counted from then: missed
//! periods give one catch-up run, not a burst.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use herald_domain::campaign::{Campaign, CampaignCommand, CampaignEvent, CampaignServices};
use herald_domain::{Clock, TenantId};
use std::sync::Arc;
use std::time::Duration;
use tracing::info;

use crate::commands::{CommandError, CommandExecutor};
use crate::metadata::CommandMetadata;
use crate::ports::event_feed::RecordedCommit;
use crate::ports::event_store::TenantEventStores;
use crate::workers::{WorkError, Worker};

/// Who starts scheduled runs, as recorded with their commands.
pub const SCHEDULER_ACTOR: &str = "campaign-scheduler";

/// The longest a scheduled run's commit stays away before it is looked at
/// again.
const LONGEST_WAIT: Duration = Duration::from_secs(3600);

pub struct CampaignScheduler<C> {
    campaigns: CommandExecutor<Campaign, C>,
    clock: Arc<dyn Clock>,
    node: String,
}

impl<C: TenantEventStores<Campaign>> CampaignScheduler<C> {
    pub fn new(campaigns: C, clock: Arc<dyn Clock>, node: &str) -> Self {
        Self {
            campaigns: CommandExecutor::new(campaigns, CampaignServices::new(Arc::clone(&clock))),
            clock,
            node: node.to_owned(),
        }
    }

    async fn start_when_due(
        &self,
        tenant: &TenantId,
        id: &str,
        due: DateTime<Utc>,
    ) -> Result<(), WorkError> {
        let campaign = self
            .campaigns
            .load(tenant, id)
            .await
            .map_err(|e| WorkError::Retry(e.to_string()))?;
        if campaign.next_run_at() != Some(due) {
            // Started, rescheduled or stopped since: a later commit says.
            return Ok(());
        }
        if let Ok(wait) = (due - self.clock.now()).to_std() {
            if !wait.is_zero() {
                return Err(WorkError::Later(wait.min(LONGEST_WAIT)));
            }
        }
        let metadata = CommandMetadata::new(tenant.clone(), SCHEDULER_ACTOR).on_node(&self.node);
        match self
            .campaigns
            .execute(id, CampaignCommand::StartDueRun { due }, &metadata)
            .await
        {
            Ok(receipt) => {
                if receipt.events > 0 {
                    info!(campaign = %id, due = %due, "scheduled run started");
                }
                Ok(())
            }
            // Not ready any more (its recipients were removed, say): the
            // campaign stays scheduled, and its owner sees why on start.
            Err(CommandError::Rejected(refusal)) => {
                Err(WorkError::Skip(format!("campaign {id}: {refusal}")))
            }
            Err(other) => Err(WorkError::Retry(other.to_string())),
        }
    }
}

/// The next run the commit's last event set, if it set one.
fn next_run_of(commit: &RecordedCommit) -> Result<Option<DateTime<Utc>>, WorkError> {
    let mut due = None;
    for event in &commit.events {
        if !matches!(
            event.event_type.as_str(),
            "CampaignScheduled" | "CampaignRunCompleted"
        ) {
            continue;
        }
        let event: CampaignEvent = serde_json::from_str(event.payload.get())
            .map_err(|e| WorkError::Skip(format!("{}: {e}", event.event_type)))?;
        due = match event {
            CampaignEvent::Scheduled { next_run_at, .. }
            | CampaignEvent::RunCompleted { next_run_at } => Some(next_run_at),
            _ => due,
        };
    }
    Ok(due)
}

#[async_trait]
impl<C: TenantEventStores<Campaign> + 'static> Worker for CampaignScheduler<C> {
    fn name(&self) -> &'static str {
        "campaign-scheduler"
    }

    fn aggregate_type(&self) -> &'static str {
        <Campaign as cqrs_es::Aggregate>::TYPE
    }

    async fn handle(&self, commit: &RecordedCommit) -> Result<(), WorkError> {
        let Some(due) = next_run_of(commit)? else {
            return Ok(());
        };
        let tenant = TenantId::parse(&commit.tenant).map_err(|e| WorkError::Skip(e.to_string()))?;
        self.start_when_due(&tenant, &commit.aggregate_id, due)
            .await
    }
}
