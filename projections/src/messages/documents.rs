//! Message and reply documents, with the seeds' field names.
//!
//! Seed 000's `messageType` enum knows `text`, `image`, `video`, `audio`,
//! `document`, `sticker`, `location`, `contact` and `poll`; Herald adds the
//! types WhatsApp has beyond those (`template`, `interactive`, `reaction`,
//! `button`, …) rather than folding them into a wrong one.

use chrono::{DateTime, Utc};
use herald_application::messages::read_model::{DeliveryTimes, MessageDocument, ReplyDocument};
use herald_application::ports::event_feed::RecordedCommit;
use herald_application::ports::read_store::Document;
use herald_domain::conversation::{InboundKind, InboundMessage};
use herald_domain::message::{MessageContent, MessageStatus};
use herald_domain::{PhoneNumber, SessionId};
use serde_json::{Map, Value};

pub struct Outbound<'a> {
    pub session_id: &'a SessionId,
    pub from: &'a PhoneNumber,
    pub to: &'a PhoneNumber,
    pub content: &'a MessageContent,
    pub reply_to: Option<&'a str>,
    pub campaign_id: Option<&'a str>,
    pub at: DateTime<Utc>,
}

pub fn outbound(commit: &RecordedCommit, message: &Outbound<'_>) -> Document {
    MessageDocument {
        id: commit.aggregate_id.clone(),
        message_id: commit.aggregate_id.clone(),
        user_id: commit.tenant.clone(),
        session_id: message.session_id.as_str().to_owned(),
        wa_message_id: None,
        from_number: message.from.as_str().to_owned(),
        to_number: Some(message.to.as_str().to_owned()),
        message_type: message.content.kind().as_str().to_owned(),
        content: message.content.summary(),
        media_url: message.content.media_link().map(str::to_owned),
        media_id: None,
        media_mime_type: None,
        media_size: None,
        is_incoming: false,
        is_from_me: true,
        is_group: false,
        group_id: None,
        quoted_message_id: message.reply_to.map(str::to_owned),
        status: MessageStatus::Queued,
        error_message: None,
        error_code: None,
        profile_name: None,
        metadata: Map::new(),
        message: serde_json::to_value(message.content).unwrap_or(Value::Null),
        campaign_id: message.campaign_id.map(str::to_owned),
        timestamp: message.at,
        delivery: DeliveryTimes::default(),
        resend_requested_at: None,
        created_by: commit.actor().map(str::to_owned),
        created_at: message.at,
        updated_at: message.at,
    }
    .into_document()
}

/// `contacts` is `contact` in seed 000's enum; every other type keeps
/// Meta's name.
fn message_type(kind: &InboundKind) -> &str {
    match kind {
        InboundKind::Contacts => "contact",
        other => other.as_str(),
    }
}

/// The contact as seed 000 writes numbers (`+` and digits), or the
/// business-scoped id when Meta sent no number.
fn contact_number(message: &InboundMessage) -> String {
    message
        .from
        .phone_number()
        .unwrap_or_else(|| message.from.as_str().to_owned())
}

pub struct Inbound<'a> {
    pub id: &'a str,
    pub session_id: &'a SessionId,
    pub message: &'a InboundMessage,
    pub received_at: DateTime<Utc>,
}

pub fn inbound(commit: &RecordedCommit, inbound: &Inbound<'_>) -> Document {
    let message = inbound.message;
    let media = message.media.as_ref();
    MessageDocument {
        id: inbound.id.to_owned(),
        message_id: inbound.id.to_owned(),
        user_id: commit.tenant.clone(),
        session_id: inbound.session_id.as_str().to_owned(),
        wa_message_id: Some(message.wamid.clone()),
        from_number: contact_number(message),
        to_number: message.to.as_deref().map(|digits| format!("+{digits}")),
        message_type: message_type(&message.kind).to_owned(),
        content: message.text.clone(),
        media_url: None,
        media_id: media.map(|m| m.id.clone()),
        media_mime_type: media.and_then(|m| m.mime_type.clone()),
        media_size: None,
        is_incoming: true,
        is_from_me: false,
        is_group: false,
        group_id: None,
        quoted_message_id: message.context_wamid.clone(),
        status: MessageStatus::Delivered,
        error_message: None,
        error_code: None,
        profile_name: message.profile_name.clone(),
        metadata: Map::new(),
        message: raw(&message.payload),
        campaign_id: None,
        timestamp: message.sent_at,
        delivery: DeliveryTimes::default(),
        resend_requested_at: None,
        created_by: None,
        created_at: inbound.received_at,
        updated_at: inbound.received_at,
    }
    .into_document()
}

/// Seed 001 `replies`: the inbound view.
pub fn reply(commit: &RecordedCommit, inbound: &Inbound<'_>) -> Document {
    let message = inbound.message;
    ReplyDocument {
        id: inbound.id.to_owned(),
        user_id: commit.tenant.clone(),
        session_id: inbound.session_id.as_str().to_owned(),
        contact_id: message.from.as_str().to_owned(),
        from_number: contact_number(message),
        profile_name: message.profile_name.clone(),
        message_id: message.wamid.clone(),
        text: message.text.clone(),
        media_url: None,
        media_id: message.media.as_ref().map(|m| m.id.clone()),
        kind: message_type(&message.kind).to_owned(),
        quoted_message_id: message.context_wamid.clone(),
        campaign_id: None,
        sent_at: message.sent_at,
        received_at: inbound.received_at,
        created_at: inbound.received_at,
    }
    .into_document()
}

/// The message object as Meta sent it; kept as text if it ever is not JSON.
fn raw(payload: &str) -> Value {
    serde_json::from_str(payload).unwrap_or_else(|_| Value::String(payload.to_owned()))
}
