//! Which changes message and conversation events make to the `messages`
//! and `replies` collections.

use cqrs_es::Aggregate;
use herald_application::messages::read_model::{
    inbound_document_id, COLLECTIONS, MESSAGES, PROJECTION, REPLIES,
};
use herald_application::ports::event_feed::RecordedCommit;
use herald_application::ports::read_store::{date_value, Change, CollectionSpec, Document};
use herald_domain::conversation::{Conversation, ConversationEvent};
use herald_domain::message::{DeliveryStatus, Message, MessageEvent, MessageStatus, StatusReport};
use serde_json::json;

use super::documents::{self as doc, Inbound, Outbound};
use crate::changes::{decode, object, put, update};
use crate::projector::{ProjectionError, Projector};

#[derive(Debug, Default, Clone, Copy)]
pub struct MessageProjector;

impl Projector for MessageProjector {
    fn name(&self) -> &'static str {
        PROJECTION
    }

    fn collections(&self) -> &'static [&'static CollectionSpec] {
        &COLLECTIONS
    }

    fn follows(&self) -> &'static [&'static str] {
        &[Message::TYPE, Conversation::TYPE]
    }

    fn project(&self, commit: &RecordedCommit) -> Result<Vec<Change>, ProjectionError> {
        let mut changes = Vec::new();
        for event in &commit.events {
            if commit.aggregate_type == Message::TYPE {
                changes.extend(outbound_change(commit, decode(PROJECTION, commit, event)?));
            } else if commit.aggregate_type == Conversation::TYPE {
                changes.extend(inbound_changes(commit, decode(PROJECTION, commit, event)?));
            }
        }
        Ok(changes)
    }
}

fn outbound_change(commit: &RecordedCommit, event: MessageEvent) -> Option<Change> {
    let id = commit.aggregate_id.as_str();
    let set = |fields: serde_json::Value| {
        Some(update(
            &MESSAGES,
            id,
            commit.recorded_at,
            object(fields),
            vec![],
        ))
    };
    match event {
        MessageEvent::Queued {
            session_id,
            from,
            to,
            content,
            reply_to,
            campaign_id,
            at,
            ..
        } => {
            let message = Outbound {
                session_id: &session_id,
                from: &from,
                to: &to,
                content: &content,
                reply_to: reply_to.as_deref(),
                campaign_id: campaign_id.as_deref(),
                at,
            };
            Some(put(&MESSAGES, id, doc::outbound(commit, &message)))
        }
        MessageEvent::SendStarted { .. } => set(json!({ "status": MessageStatus::Sending })),
        MessageEvent::SendDeferred { reason, .. } => set(json!({
            "status": MessageStatus::Queued,
            "errorMessage": reason,
        })),
        MessageEvent::Cancelled { reason, .. } => set(json!({
            "status": MessageStatus::Cancelled,
            "errorMessage": reason,
        })),
        MessageEvent::ResendRequested { at, .. } => set(json!({
            "status": MessageStatus::Queued,
            "errorMessage": null,
            "resendRequestedAt": date_value(at),
        })),
        // The campaign projection's business.
        MessageEvent::RecipientProgressed { .. } => None,
        MessageEvent::Sent { wamid, at, .. } => set(json!({
            "status": MessageStatus::Sent,
            "waMessageId": wamid,
            "sentAt": date_value(at),
        })),
        MessageEvent::SendFailed { error, at } => set(json!({
            "status": MessageStatus::Failed,
            "errorMessage": error.message,
            "errorCode": error.code,
            "failedAt": date_value(at),
        })),
        MessageEvent::SendOutcomeUnknown { reason, .. } => set(json!({
            "status": MessageStatus::Unknown,
            "errorMessage": reason,
        })),
        MessageEvent::StatusReported { report, status } => {
            let mut fields = object(json!({
                "status": status,
                "waMessageId": report.wamid,
                time_field(report.status): date_value(report.at),
            }));
            fields.extend(error_fields(&report, status));
            Some(update(&MESSAGES, id, commit.recorded_at, fields, vec![]))
        }
    }
}

/// The error shown is the current status's: a message that was `unknown`
/// or `failed` and turned out delivered shows none, and a late `sent` after
/// a `failed` leaves the failure's error as it is.
fn error_fields(report: &StatusReport, status: MessageStatus) -> Document {
    match (status, report.errors.first()) {
        (MessageStatus::Failed, Some(error)) => object(json!({
            "errorMessage": error.message,
            "errorCode": error.code,
        })),
        (MessageStatus::Failed, None) => Document::new(),
        _ => object(json!({ "errorMessage": null, "errorCode": null })),
    }
}

fn time_field(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Sent => "sentAt",
        DeliveryStatus::Delivered => "deliveredAt",
        DeliveryStatus::Read => "readAt",
        DeliveryStatus::Failed => "failedAt",
        DeliveryStatus::Played => "playedAt",
    }
}

fn inbound_changes(commit: &RecordedCommit, event: ConversationEvent) -> Vec<Change> {
    let ConversationEvent::MessageReceived {
        session_id,
        message,
        received_at,
        ..
    } = event;
    let id = inbound_document_id(&commit.tenant, &message.wamid);
    let inbound = Inbound {
        id: &id,
        session_id: &session_id,
        message: &message,
        received_at,
    };
    vec![
        put(&MESSAGES, &id, doc::inbound(commit, &inbound)),
        put(&REPLIES, &id, doc::reply(commit, &inbound)),
    ]
}
