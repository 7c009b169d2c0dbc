//! Message and reply documents, with the seeds' field names.
//!
//! Seed 000's `messageType` enum knows `text`, `image`, `video`, `audio`,
//! `document`, `sticker`, `location`, `contact` and `poll`; Herald adds the
//! types WhatsApp has beyond those (`template`, `interactive`, `reaction`,
//! `button`, …) rather than folding them into a wrong one.

use chrono::{DateTime, Utc};
use herald_application::ports::event_feed::RecordedCommit;
use herald_application::ports::read_store::{date_value, Document, TENANT_FIELD};
use herald_domain::conversation::{InboundKind, InboundMessage};
use herald_domain::message::MessageContent;
use herald_domain::{PhoneNumber, SessionId};
use serde_json::{json, Value};

use crate::changes::object;

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
    let now = date_value(message.at);
    object(json!({
        "_id": commit.aggregate_id,
        "messageId": commit.aggregate_id,
        TENANT_FIELD: commit.tenant,
        "sessionId": message.session_id.as_str(),
        "waMessageId": null,
        "fromNumber": message.from.as_str(),
        "toNumber": message.to.as_str(),
        "messageType": message.content.kind().as_str(),
        "content": message.content.summary(),
        "mediaUrl": message.content.media_link(),
        "mediaMimeType": null,
        "mediaSize": null,
        "isIncoming": false,
        "isFromMe": true,
        "isGroup": false,
        "groupId": null,
        "quotedMessageId": message.reply_to,
        "status": "queued",
        "errorMessage": null,
        "errorCode": null,
        "metadata": {},
        "message": message.content,
        "campaignId": message.campaign_id,
        "timestamp": now,
        "sentAt": null,
        "deliveredAt": null,
        "readAt": null,
        "failedAt": null,
        "createdBy": commit.actor(),
        "createdAt": now,
        "updatedAt": now,
    }))
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
    let now = date_value(inbound.received_at);
    object(json!({
        "_id": inbound.id,
        "messageId": inbound.id,
        TENANT_FIELD: commit.tenant,
        "sessionId": inbound.session_id.as_str(),
        "waMessageId": message.wamid,
        "fromNumber": contact_number(message),
        "toNumber": message.to.as_deref().map(|digits| format!("+{digits}")),
        "messageType": message_type(&message.kind),
        "content": message.text,
        "mediaUrl": null,
        "mediaId": media.map(|m| m.id.as_str()),
        "mediaMimeType": media.and_then(|m| m.mime_type.as_deref()),
        "mediaSize": null,
        "isIncoming": true,
        "isFromMe": false,
        "isGroup": false,
        "groupId": null,
        "quotedMessageId": message.context_wamid,
        "status": "delivered",
        "errorMessage": null,
        "profileName": message.profile_name,
        "metadata": {},
        "message": raw(&message.payload),
        "timestamp": date_value(message.sent_at),
        "createdAt": now,
        "updatedAt": now,
    }))
}

/// Seed 001 `replies`: the inbound view.
pub fn reply(commit: &RecordedCommit, inbound: &Inbound<'_>) -> Document {
    let message = inbound.message;
    object(json!({
        "_id": inbound.id,
        TENANT_FIELD: commit.tenant,
        "sessionId": inbound.session_id.as_str(),
        "contactId": message.from.as_str(),
        "fromNumber": contact_number(message),
        "profileName": message.profile_name,
        "messageId": message.wamid,
        "text": message.text,
        "mediaUrl": null,
        "mediaId": message.media.as_ref().map(|m| m.id.as_str()),
        "type": message_type(&message.kind),
        "quotedMessageId": message.context_wamid,
        "campaignId": null,
        "sentAt": date_value(message.sent_at),
        "receivedAt": date_value(inbound.received_at),
        "createdAt": date_value(inbound.received_at),
    }))
}

/// The message object as Meta sent it; kept as text if it ever is not JSON.
fn raw(payload: &str) -> Value {
    serde_json::from_str(payload).unwrap_or_else(|_| Value::String(payload.to_owned()))
}
