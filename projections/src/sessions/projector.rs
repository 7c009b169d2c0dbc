//! Which changes each session event makes to the `sessions` collection.
//! A contact's message also moves its session's `lastSeen`.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use herald_application::ports::event_feed::RecordedCommit;
use herald_application::ports::read_store::{
    date_value, Change, CollectionSpec, Document, TENANT_FIELD,
};
use herald_application::sessions::read_model::{COLLECTIONS, PROJECTION, SESSIONS};
use herald_domain::conversation::{Conversation, ConversationEvent};
use herald_domain::session::{Session, SessionEvent, SessionStatus, Throughput};
use serde_json::json;

use crate::changes::{decode, object, put, update};
use crate::projector::{ProjectionError, Projector};

#[derive(Debug, Default, Clone, Copy)]
pub struct SessionProjector;

impl Projector for SessionProjector {
    fn name(&self) -> &'static str {
        PROJECTION
    }

    fn collections(&self) -> &'static [&'static CollectionSpec] {
        &COLLECTIONS
    }

    fn follows(&self) -> &'static [&'static str] {
        &[Session::TYPE, Conversation::TYPE]
    }

    fn project(&self, commit: &RecordedCommit) -> Result<Vec<Change>, ProjectionError> {
        let mut changes = Vec::new();
        for event in &commit.events {
            if commit.aggregate_type == Session::TYPE {
                changes.push(session_change(commit, decode(PROJECTION, commit, event)?));
            } else if commit.aggregate_type == Conversation::TYPE {
                let ConversationEvent::MessageReceived {
                    session_id,
                    received_at,
                    ..
                } = decode(PROJECTION, commit, event)?;
                let seen = object(json!({ "lastSeen": date_value(received_at) }));
                changes.push(update(
                    &SESSIONS,
                    session_id.as_str(),
                    commit.recorded_at,
                    seen,
                    vec![],
                ));
            }
        }
        Ok(changes)
    }
}

fn session_change(commit: &RecordedCommit, event: SessionEvent) -> Change {
    let id = commit.aggregate_id.as_str();
    let set = |fields: serde_json::Value| {
        update(&SESSIONS, id, commit.recorded_at, object(fields), vec![])
    };
    match event {
        SessionEvent::Created {
            phone_number,
            name,
            channel,
            at,
            throughput,
        } => {
            let mut document = created(
                commit,
                at,
                phone_number.as_str(),
                name.as_ref().map(|n| n.as_str()),
                &channel,
            );
            // Null: Herald's default rate.
            document.insert("throughput".into(), json!(throughput.map(Throughput::get)));
            put(&SESSIONS, id, document)
        }
        SessionEvent::ThroughputSet { throughput, .. } => {
            set(json!({ "throughput": throughput.get() }))
        }
        SessionEvent::QualityReported { event, at } => set(json!({
            "qualityEvent": event,
            "qualityReportedAt": date_value(at),
        })),
        SessionEvent::Connected {
            at,
            verified_name,
            quality_rating,
        } => set(json!({
            "status": SessionStatus::Connected.as_str(),
            "connectedAt": date_value(at),
            "retryCount": 0,
            "verifiedName": verified_name,
            "qualityRating": quality_rating,
            "lastError": null,
            "lastErrorCode": null,
        })),
        SessionEvent::ConnectionFailed { code, reason, .. } => update(
            &SESSIONS,
            id,
            commit.recorded_at,
            object(json!({
                "status": SessionStatus::Error.as_str(),
                "lastError": reason,
                "lastErrorCode": code,
            })),
            vec![("retryCount", 1)],
        ),
        SessionEvent::Disconnected { at } => set(json!({
            "status": SessionStatus::Disconnected.as_str(),
            "disconnectedAt": date_value(at),
        })),
        SessionEvent::ChannelReplaced { channel, .. } => set(json!({
            "status": SessionStatus::Initializing.as_str(),
            "phoneNumberId": channel.phone_number_id.as_str(),
            "wabaId": channel.waba_id.as_str(),
            "verifyTokenFingerprint": channel.verify_token_fingerprint,
        })),
        SessionEvent::Deleted { at } => set(json!({
            "isActive": false,
            "status": SessionStatus::Disconnected.as_str(),
            "disconnectedAt": date_value(at),
        })),
    }
}

/// A new session with every seed field, and the channel's ids (seed 001
/// `Settings`). Its secrets are left out entirely.
fn created(
    commit: &RecordedCommit,
    at: DateTime<Utc>,
    phone_number: &str,
    name: Option<&str>,
    channel: &herald_domain::session::CloudApiChannel,
) -> Document {
    let now = date_value(at);
    object(json!({
        "_id": commit.aggregate_id,
        "sessionId": commit.aggregate_id,
        TENANT_FIELD: commit.tenant,
        "phoneNumber": phone_number,
        "sessionName": name,
        "qrCode": null,
        "status": SessionStatus::Initializing.as_str(),
        "isActive": true,
        "lastSeen": null,
        "connectedAt": null,
        "disconnectedAt": null,
        "retryCount": 0,
        "metadata": {},
        "channel": "cloud_api",
        "phoneNumberId": channel.phone_number_id.as_str(),
        "wabaId": channel.waba_id.as_str(),
        "verifyTokenFingerprint": channel.verify_token_fingerprint,
        "verifiedName": null,
        "qualityRating": null,
        "lastError": null,
        "lastErrorCode": null,
        "createdBy": commit.actor(),
        "createdAt": now,
        "updatedAt": now,
    }))
}
