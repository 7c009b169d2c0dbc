//! The message dispatcher: the process manager that sends queued messages,
//! single sends and campaigns' alike, on one path to Meta.
//!
//! A message is claimed (`BeginSend`) before the Cloud API is called, and
//! only a queued message can be claimed, so no message is handed to Meta
//! twice, whatever crashes or redeliveries happen. Everything that can fail
//! or wait (the campaign's state, the session, its token, the number's pace)
//! comes before the claim, and a worker busy with a send keeps its commit,
//! so a claim found without an outcome means Herald stopped mid-send. It
//! becomes "unknown": the status webhook, which carries the message id,
//! settles it.
//!
//! A campaign's message goes only while its campaign runs: it waits while
//! the campaign is paused and is withdrawn once it is stopped. What stops a
//! whole campaign (its session gone or disconnected, its credentials or its
//! template refused) pauses the campaign with the reason and puts the
//! message back in the queue, rather than failing every recipient in turn.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use herald_domain::campaign::{Campaign, CampaignCommand, CampaignServices, CampaignStatus};
use herald_domain::message::{
    CampaignLink, Message, MessageCommand, MessageContent, MessageError, MessageEvent,
    MessageServices, MessageStatus, SendError,
};
use herald_domain::session::{Session, SessionStatus};
use herald_domain::{Clock, PhoneNumber, TenantId};
use std::sync::Arc;
use std::time::Duration;
use tracing::{info, warn};

use crate::commands::{CommandError, CommandExecutor};
use crate::metadata::CommandMetadata;
use crate::ports::budget::NumberBudget;
use crate::ports::event_feed::RecordedCommit;
use crate::ports::event_store::TenantEventStores;
use crate::ports::whatsapp::{CloudApiAccess, OutboundMessage, SendFailure, WhatsAppGateway};
use crate::sessions::SessionService;
use crate::workers::{WorkError, Worker};

/// The longest a worker waits for a send's moment: a message whose moment
/// is further off goes back to the feed until then, so that a number at its
/// limit, or a recipient at the pair limit, holds no worker that other
/// numbers and tenants need.
const HOLD: Duration = Duration::from_millis(500);

/// How often a paused campaign's queued message looks again. Resuming
/// sends it within this long.
const PAUSED_RECHECK: Duration = Duration::from_millis(500);

/// The way to Meta: the gateway, each number's budget with its rate, and
/// how long a send cut off by a crash waits for its webhook.
pub struct Channel {
    pub gateway: Arc<dyn WhatsAppGateway>,
    pub budget: Arc<dyn NumberBudget>,
    pub number_rate: u32,
    pub answer_window: Duration,
}

/// Meta's codes that stop a whole campaign rather than one recipient: the
/// token refused or expired, the template paused or disabled.
const CAMPAIGN_STOPPERS: [i64; 4] = [0, 190, 132_015, 132_016];

/// Who sends, as recorded with the outcome.
pub const DISPATCHER_ACTOR: &str = "message-dispatcher";

pub struct MessageDispatcher<S, M, C> {
    sessions: Arc<SessionService<S>>,
    messages: CommandExecutor<Message, M>,
    campaigns: CommandExecutor<Campaign, C>,
    gateway: Arc<dyn WhatsAppGateway>,
    budget: Arc<dyn NumberBudget>,
    /// Messages per second a number sends, unless its session says.
    number_rate: u32,
    /// How long a send found mid-way after a crash waits for its status
    /// webhook before it is counted as unknown.
    answer_window: Duration,
    clock: Arc<dyn Clock>,
    /// This node, recorded with every command the dispatcher runs.
    node: String,
}

/// What a message's campaign says of sending it now.
enum Gate {
    Open,
    Hold,
    Withdraw(String),
}

/// Why a queued message cannot go now.
enum NotReady {
    /// Its session is gone or not connected: a single send fails, a
    /// campaign pauses.
    Session(String),
}

impl<S, M, C> MessageDispatcher<S, M, C>
where
    S: TenantEventStores<Session>,
    M: TenantEventStores<Message>,
    C: TenantEventStores<Campaign>,
{
    pub fn new(
        sessions: Arc<SessionService<S>>,
        messages: M,
        campaigns: C,
        channel: Channel,
        clock: Arc<dyn Clock>,
        node: &str,
    ) -> Self {
        Self {
            sessions,
            messages: CommandExecutor::new(messages, MessageServices::new(Arc::clone(&clock))),
            campaigns: CommandExecutor::new(campaigns, CampaignServices::new(Arc::clone(&clock))),
            gateway: channel.gateway,
            budget: channel.budget,
            number_rate: channel.number_rate,
            answer_window: channel.answer_window,
            clock,
            node: node.to_owned(),
        }
    }

    fn metadata(&self, tenant: &TenantId) -> CommandMetadata {
        CommandMetadata::new(tenant.clone(), DISPATCHER_ACTOR).on_node(&self.node)
    }

    async fn run(
        &self,
        tenant: &TenantId,
        id: &str,
        command: MessageCommand,
    ) -> Result<(), WorkError> {
        let metadata = self.metadata(tenant);
        match self.messages.execute(id, command, &metadata).await {
            Ok(_) => Ok(()),
            Err(CommandError::Rejected(refusal)) => Err(WorkError::Skip(refusal.to_string())),
            Err(other) => Err(WorkError::Retry(other.to_string())),
        }
    }

    /// Claims the message; `false` when it is not queued any more.
    async fn claim(&self, tenant: &TenantId, id: &str) -> Result<bool, WorkError> {
        let metadata = self.metadata(tenant);
        match self
            .messages
            .execute(id, MessageCommand::BeginSend, &metadata)
            .await
        {
            Ok(_) => Ok(true),
            Err(CommandError::Rejected(MessageError::NotAllowed(_))) => Ok(false),
            Err(CommandError::Rejected(MessageError::NotFound)) => {
                Err(WorkError::Skip(format!("message {id} does not exist")))
            }
            Err(other) => Err(WorkError::Retry(other.to_string())),
        }
    }

    /// Everything that can fail or wait happens before the claim: a
    /// message is claimed only when it can be handed to Meta at once, so a
    /// claim never outlives its send and a claim found unsettled means
    /// Herald stopped mid-send.
    async fn dispatch(&self, tenant: &TenantId, id: &str) -> Result<(), WorkError> {
        let message = self.load(tenant, id).await?;
        match message.status() {
            None => return Err(WorkError::Skip(format!("message {id} does not exist"))),
            Some(MessageStatus::Queued) => {
                if let Some(wait) = still_to_wait(message.not_before(), self.clock.now()) {
                    return Err(WorkError::Later(wait));
                }
            }
            Some(MessageStatus::Sending) => {
                return self.settle_interrupted(tenant, id, &message).await
            }
            Some(_) => return Ok(()),
        }
        let campaign = message.campaign();
        if let Some(link) = campaign {
            match self.gate(tenant, link, message.resend_requested()).await? {
                Gate::Open => {}
                Gate::Hold => return Err(WorkError::Later(PAUSED_RECHECK)),
                Gate::Withdraw(reason) => {
                    return self
                        .run(tenant, id, MessageCommand::Cancel { reason })
                        .await
                }
            }
        }
        let ready = match (self.prepare(tenant, id, &message).await?, campaign) {
            (Ok(ready), _) => ready,
            (Err(NotReady::Session(reason)), Some(link)) => {
                self.pause(tenant, link, reason).await?;
                return Err(WorkError::Later(PAUSED_RECHECK));
            }
            (Err(NotReady::Session(reason)), None) => {
                return self.run(tenant, id, failure(None, &reason)).await
            }
        };
        let number = &ready.access.phone_number_id;
        let number_at = self
            .budget
            .reserve(number, ready.rate, HOLD)
            .await
            .map_err(WorkError::Later)?;
        let pair_at = self
            .gateway
            .reserve_send(&ready.access, ready.to, HOLD)
            .map_err(WorkError::Later)?;
        tokio::time::sleep_until(number_at.max(pair_at)).await;
        if !self.claim(tenant, id).await? {
            // Another worker claimed it since it was loaded: it is theirs.
            return Ok(());
        }
        let outcome = self.send(id, &ready, message.send_attempt()).await;
        match (campaign, stopper(&outcome)) {
            (Some(link), Some(reason)) => {
                // Nothing was sent: the message waits for the campaign to
                // be resumed once the business has fixed the cause.
                self.run(
                    tenant,
                    id,
                    MessageCommand::Defer {
                        reason: reason.clone(),
                        attempted: false,
                        retry_after: None,
                    },
                )
                .await?;
                self.pause(tenant, link, reason).await
            }
            _ => self.run(tenant, id, outcome).await,
        }
    }

    /// Whether the message's campaign lets it go now. A message the
    /// business asked to send again goes even after its run has ended,
    /// unless the campaign is paused, stopped or failed.
    async fn gate(
        &self,
        tenant: &TenantId,
        link: &CampaignLink,
        resend_requested: bool,
    ) -> Result<Gate, WorkError> {
        let campaign = self
            .campaigns
            .load(tenant, &link.campaign_id)
            .await
            .map_err(|e| WorkError::Retry(e.to_string()))?;
        let status = campaign.status();
        let sendable_after_its_run = matches!(
            status,
            Some(CampaignStatus::Completed | CampaignStatus::Scheduled | CampaignStatus::Running)
        );
        if resend_requested && sendable_after_its_run {
            return Ok(Gate::Open);
        }
        if campaign.runs() != link.run {
            return Ok(Gate::Withdraw(format!(
                "run {} of the campaign has ended",
                link.run
            )));
        }
        Ok(match status {
            Some(CampaignStatus::Running) => Gate::Open,
            Some(CampaignStatus::Paused) => Gate::Hold,
            Some(CampaignStatus::Stopped) => Gate::Withdraw("the campaign was stopped".into()),
            Some(other) => Gate::Withdraw(format!("the campaign is {other}")),
            None => Gate::Withdraw("the campaign does not exist".into()),
        })
    }

    async fn pause(
        &self,
        tenant: &TenantId,
        link: &CampaignLink,
        reason: String,
    ) -> Result<(), WorkError> {
        warn!(campaign = %link.campaign_id, %reason, "pausing the campaign");
        let command = CampaignCommand::PauseFor { reason };
        match self
            .campaigns
            .execute(&link.campaign_id, command, &self.metadata(tenant))
            .await
        {
            // Refused: paused or ended already.
            Ok(_) | Err(CommandError::Rejected(_)) => Ok(()),
            Err(other) => Err(WorkError::Retry(other.to_string())),
        }
    }

    /// A message claimed but never settled was being sent when Herald
    /// stopped: it may have reached Meta, so it is not sent again. Its
    /// status webhook, which carries the message id, settles it; only if
    /// none has come within the answer window is it counted as unknown.
    async fn settle_interrupted(
        &self,
        tenant: &TenantId,
        id: &str,
        message: &Message,
    ) -> Result<(), WorkError> {
        let waited = message
            .sending_since()
            .and_then(|since| (self.clock.now() - since).to_std().ok())
            .unwrap_or(self.answer_window);
        if waited < self.answer_window {
            return Err(WorkError::Later(self.answer_window - waited));
        }
        warn!(message = %id, "found mid-send after a restart, and no webhook settled it; marked unknown");
        let reason = "Herald stopped while the message was being sent".to_owned();
        self.run(tenant, id, MessageCommand::RecordOutcomeUnknown { reason })
            .await
    }

    async fn load(&self, tenant: &TenantId, id: &str) -> Result<Message, WorkError> {
        self.messages
            .load(tenant, id)
            .await
            .map_err(|e| WorkError::Retry(e.to_string()))
    }

    /// What the send needs, or why it cannot go. A failure to read the
    /// session or open its token is retried, the message still queued.
    async fn prepare<'m>(
        &self,
        tenant: &TenantId,
        id: &str,
        message: &'m Message,
    ) -> Result<Result<ReadyToSend<'m>, NotReady>, WorkError> {
        let (Some(session_id), Some(to), Some(content)) =
            (message.session_id(), message.to(), message.content())
        else {
            return Err(WorkError::Skip(format!("message {id} has no content")));
        };
        let session = self
            .sessions
            .load(tenant, session_id)
            .await
            .map_err(|e| WorkError::Retry(e.to_string()))?;
        let Some(channel) = session.channel() else {
            return Ok(Err(NotReady::Session(format!(
                "the session {session_id} was deleted before the message was sent"
            ))));
        };
        if message.campaign().is_some() && session.status() != Some(SessionStatus::Connected) {
            let status = session.status().unwrap_or_default();
            return Ok(Err(NotReady::Session(format!(
                "the session {session_id} is {status}; connect it and resume the campaign"
            ))));
        }
        if message.campaign().is_some() && session.quality_is_low() {
            return Ok(Err(NotReady::Session(format!(
                "Meta reports the quality of the session {session_id}'s number as low (rated RED, or FLAGGED): a campaign now risks the number being restricted; resume it once the quality recovers"
            ))));
        }
        let access = self
            .sessions
            .access(tenant, session_id, channel)
            .map_err(|e| WorkError::Retry(e.to_string()))?;
        Ok(Ok(ReadyToSend {
            access,
            to,
            content,
            reply_to: message.reply_to(),
            rate: session.throughput().map_or(self.number_rate, |t| t.get()),
        }))
    }

    /// Calls the Cloud API and says which command records the outcome. When
    /// Meta asks to slow down, the number (or the pair) is held back for
    /// every node, and the message goes back to the queue to be sent again
    /// once that wait is over, as the next attempt.
    async fn send(&self, id: &str, ready: &ReadyToSend<'_>, attempt: u32) -> MessageCommand {
        let outbound = OutboundMessage {
            to: ready.to,
            content: ready.content,
            reply_to: ready.reply_to,
            callback_data: Some(id),
            attempt,
        };
        match self.gateway.send(&ready.access, outbound).await {
            Ok(accepted) => {
                info!(message = %id, wamid = %accepted.wamid, "sent");
                MessageCommand::RecordSent {
                    wamid: accepted.wamid,
                    wa_id: accepted.wa_id,
                }
            }
            Err(SendFailure::OutcomeUnknown { reason }) => {
                MessageCommand::RecordOutcomeUnknown { reason }
            }
            Err(SendFailure::Throttled {
                error,
                wait,
                whole_number,
            }) => {
                warn!(message = %id, code = error.code, ?wait, whole_number, "WhatsApp asked to slow down");
                if whole_number {
                    self.budget
                        .slow_down(&ready.access.phone_number_id, wait)
                        .await;
                } else {
                    self.gateway.slow_pair(&ready.access, ready.to, wait);
                }
                MessageCommand::Defer {
                    reason: format!(
                        "WhatsApp asked to slow down ({error}); sent again after {wait:?}"
                    ),
                    attempted: true,
                    retry_after: Some(wait),
                }
            }
            Err(SendFailure::TryAgain { reason, wait, .. }) => {
                warn!(message = %id, attempt, ?wait, %reason, "not sent this time; tried again later");
                MessageCommand::Defer {
                    reason: format!("not sent this time ({reason}); sent again after {wait:?}"),
                    attempted: true,
                    retry_after: Some(wait),
                }
            }
            Err(failed) => {
                let code = failed.graph_error().map(|e| e.code);
                failure(code, &failed.to_string())
            }
        }
    }
}

/// A queued message with everything its send needs.
struct ReadyToSend<'m> {
    access: CloudApiAccess,
    to: &'m PhoneNumber,
    content: &'m MessageContent,
    reply_to: Option<&'m str>,
    /// The number's messages a second.
    rate: u32,
}

/// How long a message deferred after a refused attempt still waits.
fn still_to_wait(not_before: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<Duration> {
    not_before
        .and_then(|at| (at - now).to_std().ok())
        .filter(|wait| !wait.is_zero())
}

fn failure(code: Option<i64>, message: &str) -> MessageCommand {
    MessageCommand::RecordSendFailure(SendError {
        code,
        message: message.to_owned(),
    })
}

/// The reason to pause the whole campaign, when Meta refused the send for
/// something no recipient can change.
fn stopper(outcome: &MessageCommand) -> Option<String> {
    let MessageCommand::RecordSendFailure(SendError {
        code: Some(code),
        message,
    }) = outcome
    else {
        return None;
    };
    CAMPAIGN_STOPPERS.contains(code).then(|| match code {
        0 | 190 => format!("WhatsApp refused the session's credentials: {message}"),
        _ => format!("WhatsApp paused or disabled the campaign's template: {message}"),
    })
}

fn queued(commit: &RecordedCommit) -> bool {
    commit.events.iter().any(|e| {
        e.event_type == MessageEvent::QUEUED
            || e.event_type == MessageEvent::RESEND_REQUESTED
            || e.event_type == "MessageSendDeferred"
    })
}

#[async_trait]
impl<S, M, C> Worker for MessageDispatcher<S, M, C>
where
    S: TenantEventStores<Session> + 'static,
    M: TenantEventStores<Message> + 'static,
    C: TenantEventStores<Campaign> + 'static,
{
    fn name(&self) -> &'static str {
        "message-dispatcher"
    }

    fn aggregate_type(&self) -> &'static str {
        <Message as cqrs_es::Aggregate>::TYPE
    }

    async fn handle(&self, commit: &RecordedCommit) -> Result<(), WorkError> {
        if !queued(commit) {
            return Ok(());
        }
        let tenant = TenantId::parse(&commit.tenant).map_err(|e| WorkError::Skip(e.to_string()))?;
        self.dispatch(&tenant, &commit.aggregate_id).await
    }
}
