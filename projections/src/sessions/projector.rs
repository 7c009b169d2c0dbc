//! Which changes each session event makes to the `sessions` collection.
//! A contact's message also moves its session's `lastSeen`.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use herald_application::ports::event_feed::RecordedCommit;
use herald_application::ports::read_store::{date_value, Change, CollectionSpec};
use herald_application::sessions::read_model::{
    SessionDocument, COLLECTIONS, PROJECTION, SESSIONS,
};
use herald_domain::conversation::{Conversation, ConversationEvent};
use herald_domain::session::{Session, SessionEvent, SessionStatus, Throughput};
use serde_json::{json, Map};

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
            let document = created(
                commit,
                at,
                phone_number.as_str(),
                name.as_ref().map(|n| n.as_str()),
                &channel,
                throughput,
            );
            put(&SESSIONS, id, document.into_document())
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
            "status": SessionStatus::Connected,
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
                "status": SessionStatus::Error,
                "lastError": reason,
                "lastErrorCode": code,
            })),
            vec![("retryCount", 1)],
        ),
        SessionEvent::Disconnected { at } => set(json!({
            "status": SessionStatus::Disconnected,
            "disconnectedAt": date_value(at),
        })),
        SessionEvent::ChannelReplaced { channel, .. } => set(json!({
            "status": SessionStatus::Initializing,
            "phoneNumberId": channel.phone_number_id.as_str(),
            "wabaId": channel.waba_id.as_str(),
            "verifyTokenFingerprint": channel.verify_token_fingerprint,
        })),
        SessionEvent::Deleted { at } => set(json!({
            "isActive": false,
            "status": SessionStatus::Disconnected,
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
    throughput: Option<Throughput>,
) -> SessionDocument {
    SessionDocument {
        id: commit.aggregate_id.clone(),
        session_id: commit.aggregate_id.clone(),
        user_id: commit.tenant.clone(),
        phone_number: phone_number.to_owned(),
        session_name: name.map(str::to_owned),
        qr_code: None,
        status: SessionStatus::Initializing,
        is_active: true,
        last_seen: None,
        connected_at: None,
        disconnected_at: None,
        retry_count: 0,
        metadata: Map::new(),
        channel: "cloud_api".into(),
        phone_number_id: channel.phone_number_id.as_str().to_owned(),
        waba_id: channel.waba_id.as_str().to_owned(),
        verify_token_fingerprint: channel.verify_token_fingerprint.clone(),
        throughput: throughput.map(Throughput::get),
        verified_name: None,
        quality_rating: None,
        quality_event: None,
        quality_reported_at: None,
        last_error: None,
        last_error_code: None,
        created_by: commit.actor().map(str::to_owned),
        created_at: at,
        updated_at: at,
    }
}
