//! The webhook processor: turns each recorded payload into commands on the
//! aggregates it concerns. Inbound messages go to the conversation of
//! (session, sender); statuses go to the message Herald sent, found by the
//! message id the send carried in `biz_opaque_callback_data`.

use async_trait::async_trait;
use futures::StreamExt;
use herald_domain::conversation::{
    conversation_id_for, Conversation, ConversationCommand, ConversationServices, InboundMessage,
};
use herald_domain::message::{Message, MessageCommand, MessageServices};
use herald_domain::webhook::{Webhook, WebhookEvent, WebhookRoute};
use herald_domain::{Clock, SessionId, TenantId};
use std::sync::Arc;
use tracing::{debug, warn};
use uuid::Uuid;

use super::intake::WEBHOOK_ACTOR;
use super::payload::{updates, StatusUpdate};
use crate::commands::{CommandError, CommandExecutor};
use crate::metadata::CommandMetadata;
use crate::ports::event_feed::RecordedCommit;
use crate::ports::event_store::TenantEventStores;
use crate::workers::{WorkError, Worker};

/// How many commands of one payload run at once (a POST may hold 1,000).
const PARALLEL_COMMANDS: usize = 16;

pub struct WebhookProcessor<C, M> {
    conversations: CommandExecutor<Conversation, C>,
    messages: CommandExecutor<Message, M>,
    /// This node, recorded with every command the processor runs.
    node: String,
}

impl<C, M> WebhookProcessor<C, M>
where
    C: TenantEventStores<Conversation>,
    M: TenantEventStores<Message>,
{
    pub fn new(conversations: C, messages: M, clock: Arc<dyn Clock>, node: &str) -> Self {
        Self {
            conversations: CommandExecutor::new(
                conversations,
                ConversationServices::new(Arc::clone(&clock)),
            ),
            messages: CommandExecutor::new(messages, MessageServices::new(clock)),
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
    /// from Meta's own tools, say) are noted and left.
    async fn apply_status(
        &self,
        tenant: &TenantId,
        update: StatusUpdate,
        correlation: &str,
    ) -> Result<(), WorkError> {
        let Some(id) = update
            .callback_data
            .as_deref()
            .and_then(|d| Uuid::parse_str(d).ok())
        else {
            debug!(wamid = %update.report.wamid, "status of a message Herald did not send");
            return Ok(());
        };
        let command = MessageCommand::ApplyStatus(update.report);
        match self
            .messages
            .execute(
                &id.to_string(),
                command,
                &self.metadata(tenant, correlation),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(CommandError::Rejected(refusal)) => {
                warn!(message = %id, %refusal, "status for a message this tenant does not have");
                Ok(())
            }
            Err(other) => Err(WorkError::Retry(other.to_string())),
        }
    }
}

fn session_of<'a>(routes: &'a [WebhookRoute], phone_number_id: &str) -> Option<&'a SessionId> {
    routes
        .iter()
        .find(|r| r.phone_number_id == phone_number_id)
        .map(|r| &r.session_id)
}

#[async_trait]
impl<C, M> Worker for WebhookProcessor<C, M>
where
    C: TenantEventStores<Conversation> + 'static,
    M: TenantEventStores<Message> + 'static,
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
                let results: Vec<Result<(), WorkError>> = futures::stream::iter(update.statuses)
                    .map(|status| self.apply_status(&tenant, status, correlation))
                    .buffer_unordered(PARALLEL_COMMANDS)
                    .collect()
                    .await;
                results.into_iter().collect::<Result<(), WorkError>>()?;
            }
        }
        Ok(())
    }
}
