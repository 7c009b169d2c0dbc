//! Sending one message: checked against the session and the customer
//! service window, then queued; the dispatcher sends it.

use herald_domain::conversation::{
    conversation_id_for, ContactId, Conversation, ConversationServices,
};
use herald_domain::message::{
    message_id_for_key, Message, MessageCommand, MessageContent, MessageError, MessageServices,
    NewMessage,
};
use herald_domain::session::{Session, SessionStatus};
use herald_domain::{Clock, PhoneNumber, SessionId, TenantId};
use std::sync::Arc;
use tracing::instrument;
use uuid::Uuid;

use crate::commands::{CommandError, CommandExecutor, CommandReceipt};
use crate::metadata::CommandMetadata;
use crate::ports::event_store::TenantEventStores;
use crate::sessions::SessionService;
use crate::subscriptions::{reserve, PlanLimits};
use herald_domain::subscription::{Reservation, Resource};

/// Why a message was not queued.
#[derive(Debug, thiserror::Error)]
pub enum SendRefusal {
    #[error("session not found")]
    SessionNotFound,
    #[error("the session is {0}; connect it before sending")]
    SessionNotConnected(SessionStatus),
    /// More than 24 hours since the contact last wrote (or they never did):
    /// only a template may open the conversation.
    #[error("{to} has not written to this number in the last 24 hours; outside that window only a template may be sent")]
    OutsideServiceWindow { to: PhoneNumber },
    #[error(transparent)]
    Message(#[from] MessageError),
}

pub type SendError = CommandError<SendRefusal>;

/// One message a client asks to send.
#[derive(Debug, Clone, PartialEq)]
pub struct SendRequest {
    pub to: PhoneNumber,
    pub content: MessageContent,
    /// The wamid of the message this one replies to (`context.message_id`).
    pub reply_to: Option<String>,
}

pub struct MessagingService<S, C, M> {
    sessions: Arc<SessionService<S>>,
    conversations: CommandExecutor<Conversation, C>,
    messages: CommandExecutor<Message, M>,
    clock: Arc<dyn Clock>,
    limits: Option<Arc<dyn PlanLimits>>,
}

impl<S, C, M> MessagingService<S, C, M>
where
    S: TenantEventStores<Session>,
    C: TenantEventStores<Conversation>,
    M: TenantEventStores<Message>,
{
    pub fn new(
        sessions: Arc<SessionService<S>>,
        conversations: C,
        messages: M,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            sessions,
            conversations: CommandExecutor::new(
                conversations,
                ConversationServices::new(Arc::clone(&clock)),
            ),
            messages: CommandExecutor::new(messages, MessageServices::new(Arc::clone(&clock))),
            clock,
            limits: None,
        }
    }

    /// The same service, counting each message it queues against the
    /// tenant's messages of the day (`maxMessagesPerDay`).
    pub fn limited_by(self, limits: Arc<dyn PlanLimits>) -> Self {
        Self {
            limits: Some(limits),
            ..self
        }
    }

    /// Runs `command` on the message `id` once one of the day's messages is
    /// held for it under `key`; a refused command gives it back.
    async fn counted(
        &self,
        id: &str,
        key: String,
        command: MessageCommand,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SendError> {
        if let Some(limits) = &self.limits {
            let held = Reservation::one(Resource::Messages, key.as_str());
            reserve(limits.as_ref(), &metadata.tenant, held, metadata).await?;
        }
        let done = self
            .messages
            .execute(id, command, metadata)
            .await
            .map_err(|e| e.map_rejected(SendRefusal::Message));
        if let (Some(limits), Err(CommandError::Rejected(_))) = (&self.limits, &done) {
            let tenant = &metadata.tenant;
            limits
                .release(tenant, Resource::Messages, &key, 1, metadata)
                .await;
        }
        done
    }

    /// Queues `request` on the session `session_id` under a new message id
    /// or, with an idempotency key in `metadata`, under the id the key
    /// names: a request repeated with its key answers as the first did
    /// (same id, nothing queued again), whatever has changed since.
    ///
    /// # Errors
    /// `Rejected(Message(KeyReused))` when the key named another message.
    /// `Rejected` when the session is unknown or not connected, or the
    /// window is closed for a non-template message; otherwise as
    /// [`CommandExecutor::execute`].
    #[instrument(skip(self, request, metadata), fields(tenant = %metadata.tenant))]
    pub async fn send(
        &self,
        session_id: &SessionId,
        request: SendRequest,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SendError> {
        let id = match &metadata.idempotency_key {
            Some(key) => message_id_for_key(&metadata.tenant, session_id, key).to_string(),
            None => Uuid::now_v7().to_string(),
        };
        if metadata.idempotency_key.is_some() {
            if let Some(replayed) = self.replay(&id, session_id, &request, metadata).await? {
                return Ok(replayed);
            }
        }
        let from = self.connected_number(&metadata.tenant, session_id).await?;
        if !request.content.is_template() {
            self.require_open_window(&metadata.tenant, session_id, &request.to)
                .await?;
        }
        let command = MessageCommand::Queue(NewMessage {
            session_id: session_id.clone(),
            from,
            to: request.to,
            content: request.content,
            reply_to: request.reply_to,
            campaign: None,
        });
        // Held under the message's id: a request repeated with its key is
        // counted once.
        self.counted(&id, id.clone(), command, metadata).await
    }

    /// Queues again the message `id`, whose send ended unknown (Herald
    /// stopped mid-send and no status webhook came), because the business
    /// asks: Meta may have the first send, so Herald never does this alone.
    ///
    /// # Errors
    /// `Rejected(Message(NotAllowed))` when the message's outcome is not
    /// unknown, `Rejected(Message(NotFound))` when there is no such message;
    /// otherwise as [`CommandExecutor::execute`].
    #[instrument(skip(self, metadata), fields(tenant = %metadata.tenant))]
    pub async fn resend(
        &self,
        id: &str,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, SendError> {
        let resend = MessageCommand::Resend {
            reason:
                "sent again at the business's request: the outcome of its first send was unknown"
                    .to_owned(),
        };
        let key = format!("{id}:resend:{}", metadata.command_id);
        self.counted(id, key, resend, metadata).await
    }

    /// The answer to a request whose key already named a message: the
    /// message's receipt if the request is the same, else the refusal.
    async fn replay(
        &self,
        id: &str,
        session_id: &SessionId,
        request: &SendRequest,
        metadata: &CommandMetadata,
    ) -> Result<Option<CommandReceipt>, SendError> {
        let existing = self
            .messages
            .load(&metadata.tenant, id)
            .await
            .map_err(|e| e.map_rejected(SendRefusal::Message))?;
        let Some(from) = existing.from() else {
            return Ok(None);
        };
        let again = MessageCommand::Queue(NewMessage {
            session_id: session_id.clone(),
            from: from.clone(),
            to: request.to.clone(),
            content: request.content.clone(),
            reply_to: request.reply_to.clone(),
            campaign: None,
        });
        self.messages
            .execute(id, again, metadata)
            .await
            .map(Some)
            .map_err(|e| e.map_rejected(SendRefusal::Message))
    }

    async fn connected_number(
        &self,
        tenant: &TenantId,
        session_id: &SessionId,
    ) -> Result<PhoneNumber, SendError> {
        let session = self
            .sessions
            .load(tenant, session_id)
            .await
            .map_err(|e| e.map_rejected(|_| SendRefusal::SessionNotFound))?;
        match (session.status(), session.phone_number()) {
            (Some(SessionStatus::Connected), Some(number)) => Ok(number.clone()),
            (Some(status), _) => Err(CommandError::Rejected(SendRefusal::SessionNotConnected(
                status,
            ))),
            (None, _) => Err(CommandError::Rejected(SendRefusal::SessionNotFound)),
        }
    }

    async fn require_open_window(
        &self,
        tenant: &TenantId,
        session_id: &SessionId,
        to: &PhoneNumber,
    ) -> Result<(), SendError> {
        let contact =
            ContactId::parse(to.digits()).map_err(|e| CommandError::Internal(e.to_string()))?;
        let id = conversation_id_for(session_id, &contact).to_string();
        let conversation = self
            .conversations
            .load(tenant, &id)
            .await
            .map_err(|e| e.map_rejected(|never| match never {}))?;
        if conversation.window_open_at(self.clock.now()) {
            Ok(())
        } else {
            Err(CommandError::Rejected(SendRefusal::OutsideServiceWindow {
                to: to.clone(),
            }))
        }
    }
}
