//! Which changes each subscription event makes to the `subscriptions` and
//! `subscription_payments` collections. Reservations change neither: what
//! is held against the limits is read from the aggregate.
//!
//! A projector sees one event at a time, never the document, so where a
//! change depends on what the document holds (whether the operator set
//! custom limits, which tier the plan is on) it is a guarded update: one
//! per case, each applying only where its condition holds.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use herald_application::ports::event_feed::RecordedCommit;
use herald_application::ports::read_store::{
    date_value, Change, CollectionSpec, Condition, Document,
};
use herald_application::subscriptions::read_model::{
    limits_document, PaymentDocument, SubscriptionDocument, COLLECTIONS, PROJECTION, SUBSCRIPTIONS,
    SUBSCRIPTION_PAYMENTS,
};
use herald_domain::subscription::{
    Limits, Subscription, SubscriptionEvent, SubscriptionStatus, Tier,
};
use serde_json::{json, Value};

use crate::changes::{decode, object, put, update};
use crate::projector::{ProjectionError, Projector};

#[derive(Debug, Default, Clone, Copy)]
pub struct SubscriptionProjector;

impl Projector for SubscriptionProjector {
    fn name(&self) -> &'static str {
        PROJECTION
    }

    fn collections(&self) -> &'static [&'static CollectionSpec] {
        &COLLECTIONS
    }

    fn follows(&self) -> &'static [&'static str] {
        &[Subscription::TYPE]
    }

    fn project(&self, commit: &RecordedCommit) -> Result<Vec<Change>, ProjectionError> {
        let mut changes = Vec::new();
        for event in &commit.events {
            changes.extend(changes_of(commit, decode(PROJECTION, commit, event)?));
        }
        Ok(changes)
    }
}

fn changes_of(commit: &RecordedCommit, event: SubscriptionEvent) -> Vec<Change> {
    let tenant = commit.tenant.as_str();
    let set = |fields: Value| {
        vec![update(
            &SUBSCRIPTIONS,
            tenant,
            commit.recorded_at,
            object(fields),
            vec![],
        )]
    };
    match event {
        SubscriptionEvent::Started {
            tier,
            status,
            ends_at,
            at,
        } => vec![put(
            &SUBSCRIPTIONS,
            tenant,
            started(tenant, tier, status, ends_at, at),
        )],
        SubscriptionEvent::PlanChanged {
            to, ends_at, at, ..
        } => {
            let mut changes = set(json!({
                "subscriptionTier": to,
                "subscriptionStatus": SubscriptionStatus::Active,
                "subscriptionStartDate": date_value(at),
                "subscriptionEndDate": ends_at.map(date_value),
            }));
            changes.push(tier_limits_unless_custom(commit, to));
            changes
        }
        SubscriptionEvent::CustomLimitsSet {
            limits: Some(limits),
            ..
        } => set(json!({
            "limits": limits_document(&limits),
            "hasCustomLimits": true,
        })),
        SubscriptionEvent::CustomLimitsSet { limits: None, .. } => Tier::ALL
            .into_iter()
            .map(|tier| back_to_tier_limits(commit, tier))
            .collect(),
        SubscriptionEvent::Cancelled { .. } => {
            set(json!({ "subscriptionStatus": SubscriptionStatus::Cancelled }))
        }
        SubscriptionEvent::Expired { .. } => set(json!({
            "subscriptionStatus": SubscriptionStatus::Expired,
        })),
        SubscriptionEvent::PaymentRecorded { payment, at } => vec![put(
            &SUBSCRIPTION_PAYMENTS,
            payment.transaction_id.as_str(),
            PaymentDocument::new(tenant, &payment, at).into_document(),
        )],
        SubscriptionEvent::PaymentStatusChanged {
            transaction_id,
            status,
            ..
        } => vec![update(
            &SUBSCRIPTION_PAYMENTS,
            transaction_id.as_str(),
            commit.recorded_at,
            object(json!({ "status": status })),
            vec![],
        )],
        SubscriptionEvent::Reserved { .. } | SubscriptionEvent::Released { .. } => Vec::new(),
    }
}

fn started(
    tenant: &str,
    tier: Tier,
    status: SubscriptionStatus,
    ends_at: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> Document {
    SubscriptionDocument {
        id: tenant.to_owned(),
        user_id: tenant.to_owned(),
        subscription_tier: tier,
        subscription_status: status,
        subscription_start_date: at,
        subscription_end_date: ends_at,
        limits: limits_document(&tier.limits()),
        has_custom_limits: false,
        created_at: at,
        updated_at: at,
    }
    .into_document()
}

/// The new tier's limits, where the operator set none of its own.
fn tier_limits_unless_custom(commit: &RecordedCommit, tier: Tier) -> Change {
    limits_where(
        commit,
        vec![Condition::Equals("hasCustomLimits", false.into())],
        &tier.limits(),
    )
}

/// The tier's own limits again, on a plan of that tier.
fn back_to_tier_limits(commit: &RecordedCommit, tier: Tier) -> Change {
    limits_where(
        commit,
        vec![Condition::Equals("subscriptionTier", tier.as_str().into())],
        &tier.limits(),
    )
}

fn limits_where(
    commit: &RecordedCommit,
    mut conditions: Vec<Condition>,
    limits: &Limits,
) -> Change {
    conditions.insert(0, Condition::Equals("_id", commit.tenant.as_str().into()));
    Change::UpdateWhere {
        collection: &SUBSCRIPTIONS,
        conditions,
        set: object(json!({
            "limits": limits_document(limits),
            "hasCustomLimits": false,
            "updatedAt": date_value(commit.recorded_at),
        })),
        increment: vec![],
    }
}
