//! The webhook processor: turns each recorded payload into commands on the
//! aggregates it concerns. Inbound messages go to the conversation of
//! (session, sender); statuses go to the message Herald sent, found by the
//! message id the send carried in `biz_opaque_callback_data` or, when Meta
//! leaves that out, by the wamid Meta gave the send.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use herald_domain::conversation::{
    conversation_id_for, Conversation, ConversationCommand, ConversationServices, InboundMessage,
};
use herald_domain::message::{Message, MessageCommand, MessageServices};
use herald_domain::session::{Session, SessionCommand, SessionServices};
use herald_domain::webhook::{Webhook, WebhookEvent, WebhookRoute};
use herald_domain::{Clock, SessionId, TenantId};
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, warn};
use uuid::Uuid;

use super::intake::WEBHOOK_ACTOR;
use super::payload::{quality_updates, updates, QualityUpdate, StatusUpdate};
use crate::commands::{CommandError, CommandExecutor};
use crate::metadata::CommandMetadata;
use crate::ports::event_feed::RecordedCommit;
use crate::ports::event_store::TenantEventStores;
use crate::queries::QueryError;
use crate::workers::{WorkError, Worker};

/// How many commands of one payload run at once (a POST may hold 1,000).
const PARALLEL_COMMANDS: usize = 16;

/// How long a status naming an unknown wamid is kept trying: Meta may post
/// it before Herald has recorded the send's answer (the answer can take up
/// to the request timeout, and the read models a moment more).
const MATCH_PATIENCE: Duration = Duration::from_secs(300);

/// Finds the message Herald sent under a wamid.
#[async_trait]
pub trait SentMessages: Send + Sync {
    /// The id of the tenant's outbound message Meta accepted as `wamid`,
    /// once its send is recorded.
    ///
    /// # Errors
    /// When the store cannot be read.
    async fn sent_as(&self, tenant: &TenantId, wamid: &str) -> Result<Option<String>, QueryError>;
}

/// What became of one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Matched {
    Applied,
    /// No message of Herald's has this wamid, yet.
    NotYet,
}

pub struct WebhookProcessor<C, M, S> {
    conversations: CommandExecutor<Conversation, C>,
    messages: CommandExecutor<Message, M>,
    sessions: CommandExecutor<Session, S>,
    sent: Arc<dyn SentMessages>,
    clock: Arc<dyn Clock>,
    /// This node, recorded with every command the processor runs.
    node: String,
}

impl<C, M, S> WebhookProcessor<C, M, S>
where
    C: TenantEventStores<Conversation>,
    M: TenantEventStores<Message>,
    S: TenantEventStores<Session>,
{
    pub fn new(
        conversations: C,
        messages: M,
        sessions: S,
        sent: Arc<dyn SentMessages>,
        clock: Arc<dyn Clock>,
        node: &str,
    ) -> Self {
        Self {
            conversations: CommandExecutor::new(
                conversations,
                ConversationServices::new(Arc::clone(&clock)),
            ),
            messages: CommandExecutor::new(messages, MessageServices::new(Arc::clone(&clock))),
            sessions: CommandExecutor::new(sessions, SessionServices::new(Arc::clone(&clock))),
            sent,
            clock,
            node: node.to_owned(),
        }
    }

    fn metadata(&self, tenant: &TenantId, correlation: &str) -> CommandMetadata {
        CommandMetadata {
            correlation_id: correlation.to_owned(),
            ..CommandMetadata::new(tenant.clone(), WEBHOOK_ACTOR)
        }
        .on_node(&self.node)
    }

    async fn receive(
        &self,
        tenant: &TenantId,
        session_id: &SessionId,
        message: InboundMessage,
        correlation: &str,
    ) -> Result<(), WorkError> {
        let id = conversation_id_for(session_id, &message.from).to_string();
        let command = ConversationCommand::Receive {
            session_id: session_id.clone(),
            message,
        };
        self.conversations
            .execute(&id, command, &self.metadata(tenant, correlation))
            .await
            .map(drop)
            .map_err(|error| match error {
                CommandError::Rejected(never) => match never {},
                other => WorkError::Retry(other.to_string()),
            })
    }

    /// Only statuses of messages Herald sent can be applied; others (sent
    /// from Meta's own tools, say) are noted and left once it is clear no
    /// send of Herald's will claim their wamid.
    async fn apply_status(
        &self,
        tenant: &TenantId,
        update: StatusUpdate,
        correlation: &str,
    ) -> Result<Matched, WorkError> {
        let Some(id) = self.message_of(tenant, &update).await? else {
            return Ok(Matched::NotYet);
        };
        let command = MessageCommand::ApplyStatus(update.report);
        match self
            .messages
            .execute(&id, command, &self.metadata(tenant, correlation))
            .await
        {
            Ok(_) => Ok(Matched::Applied),
            Err(CommandError::Rejected(refusal)) => {
                warn!(message = %id, %refusal, "status not applied");
                Ok(Matched::Applied)
            }
            Err(other) => Err(WorkError::Retry(other.to_string())),
        }
    }

    /// Herald's id for the message, from the callback data the send
    /// carried, or else from the wamid.
    async fn message_of(
        &self,
        tenant: &TenantId,
        update: &StatusUpdate,
    ) -> Result<Option<String>, WorkError> {
        let carried = update
            .callback_data
            .as_deref()
            .and_then(|d| Uuid::parse_str(d).ok());
        if let Some(id) = carried {
            return Ok(Some(id.to_string()));
        }
        self.sent
            .sent_as(tenant, &update.report.wamid)
            .await
            .map_err(|e| WorkError::Retry(e.to_string()))
    }

    /// Records Meta's word on a number's quality on the session of this
    /// tenant that holds the number, among the account's routed sessions.
    async fn report_quality(
        &self,
        tenant: &TenantId,
        routes: &[WebhookRoute],
        update: QualityUpdate,
        correlation: &str,
    ) -> Result<(), WorkError> {
        for route in routes {
            let session = self
                .sessions
                .load(tenant, route.session_id.as_str())
                .await
                .map_err(|e| WorkError::Retry(e.to_string()))?;
            let holds = session
                .phone_number()
                .is_some_and(|n| n.digits() == update.display_phone_number);
            if !holds {
                continue;
            }
            let command = SessionCommand::ReportQuality {
                event: update.event.clone(),
            };
            return match self
                .sessions
                .execute(
                    route.session_id.as_str(),
                    command,
                    &self.metadata(tenant, correlation),
                )
                .await
            {
                Ok(_) | Err(CommandError::Rejected(_)) => Ok(()),
                Err(other) => Err(WorkError::Retry(other.to_string())),
            };
        }
        debug!(number = %update.display_phone_number, "quality update for a number this tenant does not hold");
        Ok(())
    }

    /// When statuses found no message: again later while the send's answer
    /// may still be on its way, or let go.
    fn unmatched(&self, received_at: DateTime<Utc>, wamids: &[String]) -> Result<(), WorkError> {
        let age = (self.clock.now() - received_at)
            .to_std()
            .unwrap_or_default();
        if age < MATCH_PATIENCE {
            let wait = (age / 2).clamp(Duration::from_secs(1), Duration::from_secs(30));
            return Err(WorkError::Later(wait));
        }
        debug!(?wamids, "statuses of messages Herald did not send");
        Ok(())
    }
}

fn session_of<'a>(routes: &'a [WebhookRoute], phone_number_id: &str) -> Option<&'a SessionId> {
    routes
        .iter()
        .find(|r| r.phone_number_id == phone_number_id)
        .map(|r| &r.session_id)
}

#[async_trait]
impl<C, M, S> Worker for WebhookProcessor<C, M, S>
where
    C: TenantEventStores<Conversation> + 'static,
    M: TenantEventStores<Message> + 'static,
    S: TenantEventStores<Session> + 'static,
{
    fn name(&self) -> &'static str {
        "webhook-processor"
    }

    fn aggregate_type(&self) -> &'static str {
        <Webhook as cqrs_es::Aggregate>::TYPE
    }

    async fn handle(&self, commit: &RecordedCommit) -> Result<(), WorkError> {
        let tenant = TenantId::parse(&commit.tenant).map_err(|e| WorkError::Skip(e.to_string()))?;
        let correlation = commit.aggregate_id.as_str();
        for event in &commit.events {
            let WebhookEvent::Received {
                payload,
                routes,
                received_at,
            } = serde_json::from_str(event.payload.get())
                .map_err(|e| WorkError::Skip(e.to_string()))?;
            for quality in quality_updates(&payload).map_err(|e| WorkError::Skip(e.to_string()))? {
                self.report_quality(&tenant, &routes, quality, correlation)
                    .await?;
            }
            let updates =
                updates(&payload, received_at).map_err(|e| WorkError::Skip(e.to_string()))?;
            for update in updates {
                let Some(session_id) = session_of(&routes, &update.phone_number_id) else {
                    continue;
                };
                for message in update.messages {
                    self.receive(&tenant, session_id, message, correlation)
                        .await?;
                }
                let results: Vec<(String, Result<Matched, WorkError>)> =
                    futures::stream::iter(update.statuses)
                        .map(|status| async {
                            let wamid = status.report.wamid.clone();
                            (wamid, self.apply_status(&tenant, status, correlation).await)
                        })
                        .buffer_unordered(PARALLEL_COMMANDS)
                        .collect()
                        .await;
                let mut not_yet = Vec::new();
                for (wamid, result) in results {
                    if result? == Matched::NotYet {
                        not_yet.push(wamid);
                    }
                }
                if !not_yet.is_empty() {
                    self.unmatched(received_at, &not_yet)?;
                }
            }
        }
        Ok(())
    }
}
