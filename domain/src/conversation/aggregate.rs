//! The Conversation aggregate: decides what an inbound message does to the
//! thread, and whether the customer service window is open.

use chrono::{DateTime, Duration, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;

use super::commands::ConversationCommand;
use super::events::ConversationEvent;
use super::inbound::{ContactId, InboundMessage};
use crate::clock::Clock;
use crate::ids::SessionId;

/// How long after a contact's last message a business may send anything
/// other than a template (Meta's customer service window).
pub const SERVICE_WINDOW: Duration = Duration::hours(24);

/// How many recent message ids a conversation remembers to drop duplicates.
/// Meta redelivers a webhook only until it gets a 200, which Herald gives as
/// soon as the payload is stored, so duplicates arrive close together.
const REMEMBERED_IDS: usize = 1_000;

#[derive(Clone)]
pub struct ConversationServices {
    clock: Arc<dyn Clock>,
}

impl ConversationServices {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock }
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Conversation {
    state: Option<ConversationState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ConversationState {
    session_id: SessionId,
    contact: ContactId,
    last_inbound_at: DateTime<Utc>,
    window_expires_at: DateTime<Utc>,
    recent_ids: VecDeque<String>,
}

impl Aggregate for Conversation {
    const TYPE: &'static str = "conversation";
    type Command = ConversationCommand;
    type Event = ConversationEvent;
    type Error = Infallible;
    type Services = ConversationServices;

    async fn handle(
        &mut self,
        command: ConversationCommand,
        services: &ConversationServices,
        sink: &EventSink<Self>,
    ) -> Result<(), Infallible> {
        let ConversationCommand::Receive {
            session_id,
            message,
        } = command;
        if let Some(event) = self.receive(session_id, message, services.clock.now()) {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ConversationEvent) {
        let ConversationEvent::MessageReceived {
            session_id,
            message,
            window_expires_at,
            ..
        } = event;
        let state = self.state.get_or_insert_with(|| ConversationState {
            session_id,
            contact: message.from.clone(),
            last_inbound_at: message.sent_at,
            window_expires_at,
            recent_ids: VecDeque::new(),
        });
        state.last_inbound_at = state.last_inbound_at.max(message.sent_at);
        state.window_expires_at = window_expires_at;
        if state.recent_ids.len() == REMEMBERED_IDS {
            state.recent_ids.pop_front();
        }
        state.recent_ids.push_back(message.wamid);
    }
}

impl Conversation {
    pub fn contact(&self) -> Option<&ContactId> {
        self.state.as_ref().map(|s| &s.contact)
    }

    /// Whether a non-template message may be sent at `now`.
    pub fn window_open_at(&self, now: DateTime<Utc>) -> bool {
        self.window_expires_at()
            .is_some_and(|expires| now < expires)
    }

    pub fn window_expires_at(&self) -> Option<DateTime<Utc>> {
        self.state.as_ref().map(|s| s.window_expires_at)
    }

    /// A message seen before gives no event: webhooks are delivered at
    /// least once, and several apps on one account each get a copy.
    pub(super) fn receive(
        &self,
        session_id: SessionId,
        message: InboundMessage,
        now: DateTime<Utc>,
    ) -> Option<ConversationEvent> {
        if self
            .state
            .as_ref()
            .is_some_and(|s| s.recent_ids.contains(&message.wamid))
        {
            return None;
        }
        // The window runs from when the contact wrote, but a sender's clock
        // ahead of ours must not stretch it; a late redelivery of an old
        // message must not shorten it.
        let opened = message.sent_at.min(now) + SERVICE_WINDOW;
        let window_expires_at = self.window_expires_at().map_or(opened, |w| w.max(opened));
        Some(ConversationEvent::MessageReceived {
            session_id,
            message,
            received_at: now,
            window_expires_at,
        })
    }
}

/// The id of the conversation between `session` and `contact`; the same
/// pair always gives the same id.
pub fn conversation_id_for(session: &SessionId, contact: &ContactId) -> uuid::Uuid {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6a1c_2f0e_93b4_4d1e_a7c5_5e2b_8f40_0002);
    let name = format!("{session}/{contact}");
    uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes())
}
