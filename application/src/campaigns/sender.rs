//! The campaign sender: the process manager that works a running campaign
//! through its recipients, a batch at a time, driven by the campaign's own
//! commits.
//!
//! ```text
//! Started / Resumed / BatchQueued ──▶ advance: wait for the pace, then
//!                                     ReserveBatch (the campaign's cursor moves)
//! BatchReserved ──────────────────▶ queue one Message per recipient of the
//!                                     batch, then RecordBatchQueued
//! every recipient taken and settled ─▶ Complete
//! ResendUnknownRequested ─────────▶ queue again the run's messages whose
//!                                     outcome is unknown (Message Resend)
//! ```
//!
//! Each step is a command on the campaign, so the chain survives any crash:
//! the commit that was being handled comes back, on this node or another,
//! and its step is repeated. Repeating a step is harmless: a batch is
//! reserved from where the cursor stands (a second sender finds it moved
//! and stops), and a recipient's message id is derived from (campaign, run,
//! recipient), so queuing it again finds the message that exists.
//!
//! A reserved batch is always queued, even if the campaign is paused or
//! stopped meanwhile: the dispatcher holds a paused campaign's messages and
//! withdraws a stopped one's, so every recipient ends with an outcome, and
//! the recipients no batch reached are the ones a stop reports as not sent.
//!
//! Pace: a campaign with `delayBetweenMessages` takes one recipient per
//! delay (±20 %); one without takes batches of a quarter second of the
//! number's rate, each when the previous one's first message has been taken
//! by the dispatcher, so at most about two batches wait in the queue. The
//! number's own budget, shared with every other campaign and single send on
//! it, is kept by the dispatcher.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use herald_domain::campaign::{
    message_for, Campaign, CampaignCommand, CampaignDefinition, CampaignEvent, CampaignServices,
    CampaignStatus, Recipient, SendProgress,
};
use herald_domain::message::{
    campaign_message_id, CampaignLink, Message, MessageCommand, MessageError, MessageServices,
    MessageStatus, NewMessage,
};
use herald_domain::session::Session;
use herald_domain::{Clock, PhoneNumber, TenantId};
use std::sync::Arc;
use std::time::Duration;
use tracing::{error, info, warn};

use crate::commands::{CommandError, CommandExecutor};
use crate::metadata::CommandMetadata;
use crate::ports::event_feed::RecordedCommit;
use crate::ports::event_store::TenantEventStores;
use crate::sessions::SessionService;
use crate::subscriptions::{LimitError, PlanLimits};
use crate::workers::{WorkError, Worker};
use herald_domain::subscription::{Reservation, Resource};

/// Who sends, as recorded with its commands.
pub const SENDER_ACTOR: &str = "campaign-sender";

/// How many messages of one batch are queued at once.
const PARALLEL_QUEUES: usize = 16;

/// How often a finished run is checked for recipients still waiting on
/// their outcome.
const SETTLE_CHECK: Duration = Duration::from_secs(2);

/// How many of the latest taken recipients are looked at before a campaign
/// out of the day's messages pauses: more than the pace lets wait queued.
const LATEST_QUEUED: usize = 64;

/// How often they are looked at again while some are still queued.
const QUEUE_CHECK: Duration = Duration::from_millis(200);

/// How the sender paces campaigns that have no delay of their own, and
/// when it pauses one whose sends keep failing.
#[derive(Debug, Clone, Copy)]
pub struct SenderConfig {
    /// Messages per second a number sends (its token bucket's rate).
    pub number_rate: u32,
    /// How many of a campaign's latest sends the failure rate is taken over.
    pub failure_window: u32,
    /// The failure rate, in percent of that window, that pauses a campaign.
    pub failure_percent: u32,
}

impl Default for SenderConfig {
    /// 80 messages a second; pause when 20 % of the last 100 sends failed.
    fn default() -> Self {
        Self {
            number_rate: 80,
            failure_window: 100,
            failure_percent: 20,
        }
    }
}

/// A quarter second of the number's rate: small enough that a pause leaves
/// little in the queue, large enough to keep the number busy.
fn batch_size(rate: u32) -> u32 {
    (rate / 4).clamp(1, 250)
}

/// How long a batch takes to go out at the number's rate.
fn batch_time(rate: u32) -> Duration {
    Duration::from_secs(1) * batch_size(rate) / rate.max(1)
}

pub struct CampaignSender<C, S, M> {
    campaigns: CommandExecutor<Campaign, C>,
    sessions: Arc<SessionService<S>>,
    messages: CommandExecutor<Message, M>,
    config: SenderConfig,
    clock: Arc<dyn Clock>,
    node: String,
    limits: Option<Arc<dyn PlanLimits>>,
}

/// What a commit asks of the sender.
enum Step {
    /// Take the next batch, once the pace allows; after a batch was queued
    /// at this time, if one was.
    Advance {
        after_batch_at: Option<DateTime<Utc>>,
    },
    Queue {
        run: u32,
        from: u32,
        to: u32,
    },
    /// The business asked for the run's unknown sends to be sent again;
    /// `request` is where it asked (its commit's position).
    ResendUnknown {
        run: u32,
        request: u64,
    },
}

impl<C, S, M> CampaignSender<C, S, M>
where
    C: TenantEventStores<Campaign>,
    S: TenantEventStores<Session>,
    M: TenantEventStores<Message>,
{
    pub fn new(
        campaigns: C,
        sessions: Arc<SessionService<S>>,
        messages: M,
        config: SenderConfig,
        clock: Arc<dyn Clock>,
        node: &str,
    ) -> Self {
        Self {
            campaigns: CommandExecutor::new(campaigns, CampaignServices::new(Arc::clone(&clock))),
            sessions,
            messages: CommandExecutor::new(messages, MessageServices::new(Arc::clone(&clock))),
            config,
            clock,
            node: node.to_owned(),
            limits: None,
        }
    }

    /// The same sender, holding each batch's messages from the tenant's
    /// messages of the day before it takes the batch, and pausing the
    /// campaign when none are left.
    pub fn limited_by(self, limits: Arc<dyn PlanLimits>) -> Self {
        Self {
            limits: Some(limits),
            ..self
        }
    }

    /// How many of the `size` recipients from the cursor the tenant's plan
    /// lets this batch take: held under the batch's place (campaign, run,
    /// cursor), so a step repeated after a crash, or by a second node,
    /// holds them once. `None` when the day's messages are used up: the
    /// campaign is paused, saying so.
    async fn allowed(
        &self,
        tenant: &TenantId,
        id: &str,
        progress: &SendProgress,
        size: u32,
    ) -> Result<Option<u32>, WorkError> {
        let Some(limits) = &self.limits else {
            return Ok(Some(size));
        };
        let chunk = Reservation {
            resource: Resource::Messages,
            key: format!("campaign:{id}:{}:{}", progress.run, progress.taken),
            wanted: size,
            at_least: 1,
        };
        match limits.reserve(tenant, chunk, &self.metadata(tenant)).await {
            Ok(granted) => Ok(Some(granted.clamp(1, size))),
            Err(LimitError::Over(over)) => {
                // What was held before goes out today: the campaign pauses
                // (which holds its queued messages) once they have left.
                self.wait_for_queued_to_leave(tenant, id, progress).await?;
                let reason = format!("{over}; the campaign is paused: resume it then");
                info!(campaign = %id, %reason, "out of the day's messages");
                self.pause(tenant, id, reason).await?;
                Ok(None)
            }
            Err(error @ (LimitError::Busy | LimitError::Unavailable(_))) => {
                Err(WorkError::Retry(error.to_string()))
            }
        }
    }

    fn metadata(&self, tenant: &TenantId) -> CommandMetadata {
        CommandMetadata::new(tenant.clone(), SENDER_ACTOR).on_node(&self.node)
    }

    async fn load(&self, tenant: &TenantId, id: &str) -> Result<Campaign, WorkError> {
        self.campaigns
            .load(tenant, id)
            .await
            .map_err(|e| WorkError::Retry(e.to_string()))
    }

    /// Runs a command on the campaign; a refusal means another step got
    /// there first (or the campaign moved on), which ends this one.
    async fn command(
        &self,
        tenant: &TenantId,
        id: &str,
        command: CampaignCommand,
    ) -> Result<bool, WorkError> {
        match self
            .campaigns
            .execute(id, command, &self.metadata(tenant))
            .await
        {
            Ok(receipt) => Ok(receipt.events > 0),
            Err(CommandError::Rejected(_)) => Ok(false),
            Err(other) => Err(WorkError::Retry(other.to_string())),
        }
    }

    async fn advance(
        &self,
        tenant: &TenantId,
        id: &str,
        after_batch_at: Option<DateTime<Utc>>,
    ) -> Result<(), WorkError> {
        let campaign = self.load(tenant, id).await?;
        if campaign.status() != Some(CampaignStatus::Running) {
            return Ok(());
        }
        let progress = campaign.progress();
        if progress.queued < progress.taken {
            // A batch is still being queued; its BatchQueued moves on.
            return Ok(());
        }
        if progress.taken >= progress.total {
            return self.complete_when_settled(tenant, id, &campaign).await;
        }
        if let Some(reason) = self.failing_too_often(tenant, id, &campaign).await? {
            return self.pause(tenant, id, reason).await;
        }
        let size = match campaign.definition().and_then(|d| d.delay) {
            Some(delay) => {
                if let Some(at) = after_batch_at {
                    self.wait_for_delay(id, &progress, at, delay.millis())?;
                }
                1
            }
            None => {
                let rate = self.rate_of(tenant, &campaign).await?;
                self.wait_for_the_queue(tenant, id, &campaign, rate).await?;
                batch_size(rate)
            }
        };
        // Never more than the recipients left: what a batch holds of the
        // day's messages is counted whether it is used or not.
        let size = size.min(progress.total - progress.taken);
        let Some(size) = self.allowed(tenant, id, &progress, size).await? else {
            return Ok(());
        };
        let reserve = CampaignCommand::ReserveBatch {
            run: progress.run,
            from: progress.taken,
            size,
        };
        self.command(tenant, id, reserve).await.map(drop)
    }

    /// Whether too many of the campaign's latest sends failed. Looked at
    /// when the last batch passed a multiple of the window, over the
    /// window's recipients before that batch, counting those with an
    /// outcome (at least half the window must have one).
    async fn failing_too_often(
        &self,
        tenant: &TenantId,
        id: &str,
        campaign: &Campaign,
    ) -> Result<Option<String>, WorkError> {
        let (window, percent) = (self.config.failure_window, self.config.failure_percent);
        let progress = campaign.progress();
        let end = progress.batch_from;
        if window == 0 || percent == 0 || end < window || end / window == progress.taken / window {
            return Ok(None);
        }
        let ids: Vec<String> = campaign
            .recipients()
            .get((end - window) as usize..end as usize)
            .unwrap_or_default()
            .iter()
            .map(|r| campaign_message_id(tenant, id, progress.run, &r.phone_number).to_string())
            .collect();
        let statuses: Vec<Result<Option<MessageStatus>, WorkError>> = futures::stream::iter(ids)
            .map(|message_id| self.status_of(tenant, message_id))
            .buffer_unordered(PARALLEL_QUEUES)
            .collect()
            .await;
        let (mut settled, mut failed) = (0u32, 0u32);
        for status in statuses
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
        {
            settled += u32::from(status.recipient_status().is_settled());
            failed += u32::from(status == MessageStatus::Failed);
        }
        let too_many = settled * 2 >= window && failed * 100 >= settled * percent;
        Ok(too_many.then(|| {
            format!(
                "{failed} of its last {settled} sends with an outcome failed (the limit is {percent} %): look at the recipients' errors, then resume"
            )
        }))
    }

    /// The campaign's number's messages a second: its session's throughput,
    /// or Herald's default.
    async fn rate_of(&self, tenant: &TenantId, campaign: &Campaign) -> Result<u32, WorkError> {
        let Some(definition) = campaign.definition() else {
            return Ok(self.config.number_rate);
        };
        let session = self
            .sessions
            .load(tenant, &definition.session_id)
            .await
            .map_err(|e| WorkError::Retry(e.to_string()))?;
        Ok(session
            .throughput()
            .map_or(self.config.number_rate, |t| t.get()))
    }

    /// A delayed campaign's next send is due `delay` (±20 %) after the last
    /// batch was queued. The jitter is drawn from the campaign and place,
    /// so a step repeated after a crash waits for the same moment.
    fn wait_for_delay(
        &self,
        id: &str,
        progress: &SendProgress,
        last_at: DateTime<Utc>,
        delay_millis: u32,
    ) -> Result<(), WorkError> {
        let seed = fastrand_seed(id, progress.run, progress.taken);
        let jitter = fastrand::Rng::with_seed(seed).i64(-200..=200);
        let millis = i64::from(delay_millis) * (1_000 + jitter) / 1_000;
        let due = last_at + chrono::Duration::milliseconds(millis);
        match (due - self.clock.now()).to_std() {
            Ok(wait) if !wait.is_zero() => Err(WorkError::Later(wait)),
            _ => Ok(()),
        }
    }

    /// A campaign at the number's throughput takes its next batch once the
    /// dispatcher has taken the first message of the last one.
    async fn wait_for_the_queue(
        &self,
        tenant: &TenantId,
        id: &str,
        campaign: &Campaign,
        rate: u32,
    ) -> Result<(), WorkError> {
        let progress = campaign.progress();
        if progress.taken == 0 {
            return Ok(());
        }
        let Some(first) = campaign.recipients().get(progress.batch_from as usize) else {
            return Ok(());
        };
        let message_id =
            campaign_message_id(tenant, id, progress.run, &first.phone_number).to_string();
        let message = self
            .messages
            .load(tenant, &message_id)
            .await
            .map_err(|e| WorkError::Retry(e.to_string()))?;
        match message.status() {
            Some(MessageStatus::Queued) => Err(WorkError::Later(
                (batch_time(rate) / 2).clamp(Duration::from_millis(20), Duration::from_secs(1)),
            )),
            _ => Ok(()),
        }
    }

    /// Queues the message of every recipient of the batch, then records it.
    async fn queue_batch(
        &self,
        tenant: &TenantId,
        id: &str,
        run: u32,
        from: u32,
        to: u32,
    ) -> Result<(), WorkError> {
        let campaign = self.load(tenant, id).await?;
        if campaign.runs() != run || campaign.progress().queued >= to {
            return Ok(());
        }
        let Some(definition) = campaign.definition() else {
            return Err(WorkError::Skip(format!("campaign {id} has no definition")));
        };
        let session = self
            .sessions
            .load(tenant, &definition.session_id)
            .await
            .map_err(|e| WorkError::Retry(e.to_string()))?;
        let Some(number) = session.recorded_phone_number() else {
            let reason = format!("the session {} does not exist", definition.session_id);
            self.pause(tenant, id, reason).await?;
            return Err(WorkError::Later(Duration::from_secs(30)));
        };
        let recipients = campaign
            .recipients()
            .get(from as usize..to as usize)
            .unwrap_or_default();
        let batch = BatchOf {
            tenant,
            campaign_id: id,
            run,
            definition,
            from: number,
        };
        let queued: Vec<Result<(), WorkError>> = futures::stream::iter(recipients.iter().cloned())
            .map(|recipient| self.queue_one(&batch, recipient))
            .buffer_unordered(PARALLEL_QUEUES)
            .collect()
            .await;
        if let Some(failed) = queued.into_iter().find_map(Result::err) {
            if let WorkError::Skip(reason) = &failed {
                error!(campaign = %id, %reason, "a recipient's message cannot be made; pausing");
                self.pause(tenant, id, reason.clone()).await?;
            }
            return Err(failed);
        }
        self.command(tenant, id, CampaignCommand::RecordBatchQueued { run, to })
            .await
            .map(drop)
    }

    async fn queue_one(&self, batch: &BatchOf<'_>, recipient: Recipient) -> Result<(), WorkError> {
        let definition = batch.definition;
        let content = message_for(&definition.message, &recipient, definition.personalize)
            .map_err(|e| {
                WorkError::Skip(format!(
                    "the message to {} cannot be made: {}: {}",
                    recipient.phone_number, e.field, e.message
                ))
            })?;
        let message_id = campaign_message_id(
            batch.tenant,
            batch.campaign_id,
            batch.run,
            &recipient.phone_number,
        )
        .to_string();
        let queue = MessageCommand::Queue(NewMessage {
            session_id: definition.session_id.clone(),
            from: batch.from.clone(),
            to: recipient.phone_number,
            content,
            reply_to: None,
            campaign: Some(CampaignLink {
                campaign_id: batch.campaign_id.to_owned(),
                run: batch.run,
            }),
        });
        match self
            .messages
            .execute(&message_id, queue, &self.metadata(batch.tenant))
            .await
        {
            // Queued before, perhaps with the message as it was before an
            // edit: the message that exists is the one.
            Ok(_) | Err(CommandError::Rejected(MessageError::KeyReused(_))) => Ok(()),
            Err(other) => Err(WorkError::Retry(other.to_string())),
        }
    }

    /// Queues again the run's messages whose outcome is unknown, as the
    /// business asked, as many as the day's messages allow: each is a
    /// message sent again, counted like any other. What the plan allows is
    /// held under the request (its commit's position), so the step done
    /// again after a crash holds it once, and finds those it already
    /// queued no longer unknown.
    async fn resend_unknown(
        &self,
        tenant: &TenantId,
        id: &str,
        run: u32,
        request: u64,
    ) -> Result<(), WorkError> {
        let campaign = self.load(tenant, id).await?;
        let message_ids: Vec<String> = campaign
            .recipients()
            .iter()
            .map(|r| campaign_message_id(tenant, id, run, &r.phone_number).to_string())
            .collect();
        let statuses: Vec<Result<(String, Option<MessageStatus>), WorkError>> =
            futures::stream::iter(message_ids)
                .map(|message_id| async move {
                    let status = self.status_of(tenant, message_id.clone()).await?;
                    Ok((message_id, status))
                })
                .buffer_unordered(PARALLEL_QUEUES)
                .collect()
                .await;
        let mut unknown = Vec::new();
        for outcome in statuses {
            let (message_id, status) = outcome?;
            if status == Some(MessageStatus::Unknown) {
                unknown.push(message_id);
            }
        }
        let key = format!("campaign:{id}:{run}:resend:{request}");
        let allowed = self.allowed_resends(tenant, id, key, unknown.len()).await?;
        let resent: Vec<Result<bool, WorkError>> =
            futures::stream::iter(unknown.into_iter().take(allowed))
                .map(|message_id| self.resend_one(tenant, message_id))
                .buffer_unordered(PARALLEL_QUEUES)
                .collect()
                .await;
        let mut count = 0;
        for outcome in resent {
            count += u32::from(outcome?);
        }
        info!(campaign = %id, run, count, "unknown sends queued again, as the business asked");
        Ok(())
    }

    /// How many of `unknown` resends the day's messages allow, held under
    /// `key`. Out of messages, none: they stay unknown, to be asked for
    /// again when the day's count starts again.
    async fn allowed_resends(
        &self,
        tenant: &TenantId,
        id: &str,
        key: String,
        unknown: usize,
    ) -> Result<usize, WorkError> {
        let wanted = u32::try_from(unknown).unwrap_or(u32::MAX);
        let Some(limits) = self.limits.as_ref().filter(|_| wanted > 0) else {
            return Ok(unknown);
        };
        let reservation = Reservation {
            resource: Resource::Messages,
            key,
            wanted,
            at_least: 1,
        };
        match limits
            .reserve(tenant, reservation, &self.metadata(tenant))
            .await
        {
            Ok(granted) => Ok(usize::try_from(granted).unwrap_or(usize::MAX)),
            Err(LimitError::Over(over)) => {
                warn!(campaign = %id, %over, unknown, "unknown sends left unknown: out of the day's messages");
                Ok(0)
            }
            Err(error @ (LimitError::Busy | LimitError::Unavailable(_))) => {
                Err(WorkError::Retry(error.to_string()))
            }
        }
    }

    /// `true` when the message was unknown and is queued again; a message
    /// in any other state, or never queued, is left as it is.
    async fn resend_one(&self, tenant: &TenantId, message_id: String) -> Result<bool, WorkError> {
        let resend = MessageCommand::Resend {
            reason:
                "sent again at the business's request: the outcome of its first send was unknown"
                    .to_owned(),
        };
        match self
            .messages
            .execute(&message_id, resend, &self.metadata(tenant))
            .await
        {
            Ok(receipt) => Ok(receipt.events > 0),
            Err(CommandError::Rejected(_)) => Ok(false),
            Err(other) => Err(WorkError::Retry(other.to_string())),
        }
    }

    async fn status_of(
        &self,
        tenant: &TenantId,
        message_id: String,
    ) -> Result<Option<MessageStatus>, WorkError> {
        self.messages
            .load(tenant, &message_id)
            .await
            .map(|m| m.status())
            .map_err(|e| WorkError::Retry(e.to_string()))
    }

    async fn pause(&self, tenant: &TenantId, id: &str, reason: String) -> Result<(), WorkError> {
        self.command(tenant, id, CampaignCommand::PauseFor { reason })
            .await
            .map(drop)
    }

    /// Waits (by asking to be handed the step again) while any of the
    /// latest taken recipients' messages is still queued: the few batches
    /// the pace lets wait in the queue are among them.
    async fn wait_for_queued_to_leave(
        &self,
        tenant: &TenantId,
        id: &str,
        progress: &SendProgress,
    ) -> Result<(), WorkError> {
        let campaign = self.load(tenant, id).await?;
        let taken = campaign
            .recipients()
            .get(..progress.taken as usize)
            .unwrap_or_default();
        let latest = taken.iter().rev().take(LATEST_QUEUED);
        let ids: Vec<String> = latest
            .map(|r| campaign_message_id(tenant, id, progress.run, &r.phone_number).to_string())
            .collect();
        let statuses: Vec<Result<Option<MessageStatus>, WorkError>> = futures::stream::iter(ids)
            .map(|message_id| self.status_of(tenant, message_id))
            .buffer_unordered(PARALLEL_QUEUES)
            .collect()
            .await;
        for status in statuses {
            if status? == Some(MessageStatus::Queued) {
                return Err(WorkError::Later(QUEUE_CHECK));
            }
        }
        Ok(())
    }

    /// Completes the run once every recipient has an outcome. The latest
    /// recipients are looked at first: while the run is still going out,
    /// they are the ones without one, and the check ends there. The very
    /// last is looked at alone, so that a run still sending costs one load
    /// a check, not a chunk's (a chunk of 64 every two seconds for each of
    /// eight campaigns was 4.5 % of Herald's CPU while they sent).
    async fn complete_when_settled(
        &self,
        tenant: &TenantId,
        id: &str,
        campaign: &Campaign,
    ) -> Result<(), WorkError> {
        let run = campaign.runs();
        let ids: Vec<String> = campaign
            .recipients()
            .iter()
            .rev()
            .map(|r| campaign_message_id(tenant, id, run, &r.phone_number).to_string())
            .collect();
        let (last, rest) = ids.split_at(ids.len().min(1));
        for chunk in std::iter::once(last).chain(rest.chunks(64)) {
            let statuses: Vec<Result<Option<MessageStatus>, WorkError>> =
                futures::stream::iter(chunk.iter().cloned())
                    .map(|message_id| self.status_of(tenant, message_id))
                    .buffer_unordered(PARALLEL_QUEUES)
                    .collect()
                    .await;
            for status in statuses {
                let settled = status?.is_some_and(|s| s.recipient_status().is_settled());
                if !settled {
                    return Err(WorkError::Later(SETTLE_CHECK));
                }
            }
        }
        if self.command(tenant, id, CampaignCommand::Complete).await? {
            info!(campaign = %id, run, "every recipient has an outcome; run complete");
        }
        Ok(())
    }
}

/// What every message of one batch shares.
struct BatchOf<'a> {
    tenant: &'a TenantId,
    campaign_id: &'a str,
    run: u32,
    definition: &'a CampaignDefinition,
    from: &'a PhoneNumber,
}

/// A seed for the jitter of one send of one run.
fn fastrand_seed(id: &str, run: u32, place: u32) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (id, run, place).hash(&mut hasher);
    hasher.finish()
}

/// The step the commit's last event asks for, if any.
fn step_of(commit: &RecordedCommit) -> Result<Option<Step>, WorkError> {
    let mut step = None;
    for event in &commit.events {
        let relevant = matches!(
            event.event_type.as_str(),
            "CampaignStarted"
                | "CampaignResumed"
                | "CampaignBatchReserved"
                | "CampaignBatchQueued"
                | "CampaignResendUnknownRequested"
        );
        if !relevant {
            continue;
        }
        let event: CampaignEvent = serde_json::from_str(event.payload.get())
            .map_err(|e| WorkError::Skip(format!("{}: {e}", event.event_type)))?;
        step = match event {
            CampaignEvent::Started { .. } | CampaignEvent::Resumed => Some(Step::Advance {
                after_batch_at: None,
            }),
            CampaignEvent::BatchQueued { .. } => Some(Step::Advance {
                after_batch_at: Some(commit.recorded_at),
            }),
            CampaignEvent::BatchReserved { run, from, to } => Some(Step::Queue { run, from, to }),
            CampaignEvent::ResendUnknownRequested { run } => Some(Step::ResendUnknown {
                run,
                request: commit.position,
            }),
            _ => step,
        };
    }
    Ok(step)
}

#[async_trait]
impl<C, S, M> Worker for CampaignSender<C, S, M>
where
    C: TenantEventStores<Campaign> + 'static,
    S: TenantEventStores<Session> + 'static,
    M: TenantEventStores<Message> + 'static,
{
    fn name(&self) -> &'static str {
        "campaign-sender"
    }

    fn aggregate_type(&self) -> &'static str {
        <Campaign as cqrs_es::Aggregate>::TYPE
    }

    async fn handle(&self, commit: &RecordedCommit) -> Result<(), WorkError> {
        let Some(step) = step_of(commit)? else {
            return Ok(());
        };
        let tenant = TenantId::parse(&commit.tenant).map_err(|e| WorkError::Skip(e.to_string()))?;
        let id = commit.aggregate_id.as_str();
        let outcome = match step {
            Step::Advance { after_batch_at } => self.advance(&tenant, id, after_batch_at).await,
            Step::Queue { run, from, to } => self.queue_batch(&tenant, id, run, from, to).await,
            Step::ResendUnknown { run, request } => {
                self.resend_unknown(&tenant, id, run, request).await
            }
        };
        if let Err(WorkError::Retry(reason)) = &outcome {
            warn!(campaign = %id, %reason, "campaign step will be tried again");
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_a_quarter_second_of_the_numbers_rate() {
        assert_eq!(batch_size(80), 20);
        assert_eq!(batch_time(80), Duration::from_millis(250));
        assert_eq!(batch_size(1), 1);
        assert_eq!(batch_size(1_000), 250);
        assert_eq!(batch_time(1_000), Duration::from_millis(250));
    }
}
