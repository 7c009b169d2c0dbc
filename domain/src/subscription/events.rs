//! What has happened to a tenant's subscription.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::payment::{Payment, PaymentStatus, TransactionId};
use super::plan::{Limits, Resource, Tier};
use super::status::SubscriptionStatus;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SubscriptionEvent {
    Started {
        tier: Tier,
        status: SubscriptionStatus,
        ends_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    },
    PlanChanged {
        from: Tier,
        to: Tier,
        ends_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    },
    CustomLimitsSet {
        limits: Option<Limits>,
        at: DateTime<Utc>,
    },
    Cancelled {
        at: DateTime<Utc>,
    },
    Expired {
        at: DateTime<Utc>,
    },
    PaymentRecorded {
        payment: Payment,
        at: DateTime<Utc>,
    },
    PaymentStatusChanged {
        transaction_id: TransactionId,
        status: PaymentStatus,
        at: DateTime<Utc>,
    },
    Reserved {
        resource: Resource,
        key: String,
        count: u32,
        at: DateTime<Utc>,
    },
    Released {
        resource: Resource,
        key: String,
        count: u32,
        at: DateTime<Utc>,
    },
}

impl DomainEvent for SubscriptionEvent {
    fn event_type(&self) -> String {
        let name = match self {
            Self::Started { .. } => "SubscriptionStarted",
            Self::PlanChanged { .. } => "SubscriptionPlanChanged",
            Self::CustomLimitsSet { .. } => "SubscriptionCustomLimitsSet",
            Self::Cancelled { .. } => "SubscriptionCancelled",
            Self::Expired { .. } => "SubscriptionExpired",
            Self::PaymentRecorded { .. } => "SubscriptionPaymentRecorded",
            Self::PaymentStatusChanged { .. } => "SubscriptionPaymentStatusChanged",
            Self::Reserved { .. } => "SubscriptionQuotaReserved",
            Self::Released { .. } => "SubscriptionQuotaReleased",
        };
        name.to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
