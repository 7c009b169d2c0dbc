//! One `audit_logs` entry per command a person, a key or the operator gave
//! (whatever its aggregate), and per attempt refused. What Herald's own
//! processes do (sending, applying webhooks) is in the event log, where
//! `herald history` shows it, and not repeated here.

use cqrs_es::Aggregate;
use herald_application::audit::read_model::{
    AuditDocument, Outcome, AUDIT_LOGS, COLLECTIONS, PROJECTION,
};
use herald_application::metadata::keys;
use herald_application::ports::event_feed::RecordedCommit;
use herald_application::ports::read_store::{Change, CollectionSpec};
use herald_domain::account::{AccessDenial, ApiKey, DenialEvent, User};
use herald_domain::campaign::Campaign;
use herald_domain::message::Message;
use herald_domain::session::Session;
use herald_domain::subscription::Subscription;
use serde_json::{json, Map};

use crate::changes::{decode, put};
use crate::projector::{ProjectionError, Projector};

#[derive(Debug, Default, Clone, Copy)]
pub struct AuditProjector;

impl Projector for AuditProjector {
    fn name(&self) -> &'static str {
        PROJECTION
    }

    fn collections(&self) -> &'static [&'static CollectionSpec] {
        &COLLECTIONS
    }

    /// The aggregates people and keys act on.
    fn follows(&self) -> &'static [&'static str] {
        &[
            User::TYPE,
            ApiKey::TYPE,
            Subscription::TYPE,
            Session::TYPE,
            Campaign::TYPE,
            Message::TYPE,
            AccessDenial::TYPE,
        ]
    }

    fn project(&self, commit: &RecordedCommit) -> Result<Vec<Change>, ProjectionError> {
        let Some((actor_type, actor_id)) = commit.actor().and_then(actor_of) else {
            return Ok(Vec::new());
        };
        let Some(first) = commit.events.first() else {
            return Ok(Vec::new());
        };
        let meta = |key: &str| commit.metadata.get(key).cloned();
        let mut document = AuditDocument {
            id: format!("{:020}", commit.position),
            user_id: commit.tenant.clone(),
            actor_id,
            actor_type: actor_type.to_owned(),
            role: meta(keys::ROLE),
            action: first.event_type.clone(),
            actions: commit.events.iter().map(|e| e.event_type.clone()).collect(),
            entity_type: entity_type(commit),
            entity_id: commit.aggregate_id.clone(),
            ip_address: meta(keys::IP),
            user_agent: meta(keys::USER_AGENT),
            outcome: Outcome::Succeeded,
            reason: None,
            metadata: Map::new(),
            created_at: commit.recorded_at,
            updated_at: commit.recorded_at,
        };
        document
            .metadata
            .insert("position".into(), json!(commit.position));
        document
            .metadata
            .insert("correlationId".into(), json!(meta(keys::CORRELATION_ID)));
        if commit.aggregate_type == AccessDenial::TYPE {
            let DenialEvent::AccessDenied { denial, .. } = decode(PROJECTION, commit, first)?;
            document.outcome = Outcome::Denied;
            document.action = denial.action;
            document.reason = Some(denial.reason);
            document.entity_type = "route".into();
            document.entity_id = format!("{} {}", denial.method, denial.path);
        }
        Ok(vec![put(
            &AUDIT_LOGS,
            &document.id.clone(),
            document.into_document(),
        )])
    }
}

/// Whose commands are audited: `user:<id>`, `api_key:<id>` and the
/// operator; Herald's own processes are not.
fn actor_of(actor: &str) -> Option<(&'static str, Option<String>)> {
    if let Some(id) = actor.strip_prefix("user:") {
        return Some(("user", Some(id.to_owned())));
    }
    if let Some(id) = actor.strip_prefix("api_key:") {
        return Some(("api_key", Some(id.to_owned())));
    }
    (actor == "operator").then_some(("operator", None))
}

/// Seed 000's `entityType` where it has one: a subscription's payments
/// are `payment`, an API key `api_key`.
fn entity_type(commit: &RecordedCommit) -> String {
    let paid = commit
        .events
        .iter()
        .any(|e| e.event_type.starts_with("SubscriptionPayment"));
    match commit.aggregate_type.as_str() {
        t if t == Subscription::TYPE && paid => "payment".into(),
        other => other.to_owned(),
    }
}
