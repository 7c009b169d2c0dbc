//! The `subscriptions` and `subscription_payments` read models.
//!
//! Seed 000 keeps the plan on its `users`, because there a user is the
//! subscriber. In Herald the tenant subscribes, so the plan is one
//! `subscriptions` document per tenant, with seed 000's field names
//! (`subscriptionTier`, `subscriptionStatus`, `subscriptionStartDate`,
//! `subscriptionEndDate`, `limits`) and its `{subscriptionTier,
//! subscriptionStatus}` index. Payments are seed 000's
//! `subscription_payments`.
//!
//! What the tenant holds against its limits changes with every send, so
//! it is not projected: `GET /v1/subscription` reads it from the aggregate.

use chrono::{DateTime, Utc};
use herald_domain::subscription::{
    Limit, Limits, Payment, PaymentMethod, PaymentStatus, Resource, SubscriptionStatus, Tier,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ports::read_store::{
    document_of, stored_date, CollectionSpec, Document, IndexSpec, SortOrder::Ascending as Asc,
    SortOrder::Descending as Desc,
};

pub const PROJECTION: &str = "subscriptions";

/// A `subscriptions` document: a tenant's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionDocument {
    /// The tenant.
    #[serde(rename = "_id")]
    pub id: String,
    /// The tenant, as in every read model.
    pub user_id: String,
    pub subscription_tier: Tier,
    pub subscription_status: SubscriptionStatus,
    #[serde(with = "stored_date")]
    pub subscription_start_date: DateTime<Utc>,
    #[serde(with = "stored_date::optional")]
    pub subscription_end_date: Option<DateTime<Utc>>,
    /// What the plan grants while it is in force (its tier's limits, or
    /// the operator's custom ones), with null for no limit. An expired
    /// plan, or one cancelled with no end date, is held to the free
    /// plan's; `GET /v1/subscription` shows the limits in force now.
    pub limits: Map<String, Value>,
    /// Whether the operator set the limits rather than the tier.
    pub has_custom_limits: bool,
    #[serde(with = "stored_date")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "stored_date")]
    pub updated_at: DateTime<Utc>,
}

impl SubscriptionDocument {
    pub fn into_document(self) -> Document {
        document_of(&self)
    }
}

/// A `subscription_payments` document, with seed 000's field names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentDocument {
    /// The transaction id, unique across tenants.
    #[serde(rename = "_id")]
    pub id: String,
    /// The tenant.
    pub user_id: String,
    /// In the currency's major unit (29.99).
    pub amount: f64,
    pub currency: String,
    pub payment_method: PaymentMethod,
    pub transaction_id: String,
    pub status: PaymentStatus,
    pub subscription_tier: Option<Tier>,
    #[serde(with = "stored_date::optional")]
    pub billing_period_start: Option<DateTime<Utc>>,
    #[serde(with = "stored_date::optional")]
    pub billing_period_end: Option<DateTime<Utc>>,
    pub metadata: Map<String, Value>,
    #[serde(with = "stored_date")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "stored_date")]
    pub updated_at: DateTime<Utc>,
}

impl PaymentDocument {
    /// The payment as a provider reported it to `tenant`, recorded `at`.
    pub fn new(tenant: &str, payment: &Payment, at: DateTime<Utc>) -> Self {
        Self {
            id: payment.transaction_id.as_str().to_owned(),
            user_id: tenant.to_owned(),
            amount: major_units(payment.amount_minor),
            currency: payment.currency.as_str().to_owned(),
            payment_method: payment.method,
            transaction_id: payment.transaction_id.as_str().to_owned(),
            status: payment.status,
            subscription_tier: payment.tier,
            billing_period_start: payment.billing_period_start,
            billing_period_end: payment.billing_period_end,
            metadata: Map::new(),
            created_at: at,
            updated_at: at,
        }
    }

    pub fn into_document(self) -> Document {
        document_of(&self)
    }
}

/// An amount in minor units (cents) as seed 000's `amount`.
#[allow(clippy::cast_precision_loss)]
pub fn major_units(amount_minor: u64) -> f64 {
    amount_minor as f64 / 100.0
}

/// Limits as seed 000's `limits`: `maxSessions`, `maxMessagesPerDay`,
/// `maxCampaignsPerMonth`, `maxChatbots`, each a number or null for none.
pub fn limits_document(limits: &Limits) -> Map<String, Value> {
    Resource::ALL
        .into_iter()
        .map(|resource| {
            let value = match limits.of(resource) {
                Limit::At(n) => Value::from(n),
                Limit::Unlimited => Value::Null,
            };
            (resource.limit_name().to_owned(), value)
        })
        .collect()
}

/// Seed 000's `{subscriptionTier, subscriptionStatus}`, and the plans
/// that end by a date.
pub static SUBSCRIPTIONS: CollectionSpec = CollectionSpec {
    name: "subscriptions",
    date_fields: &[
        "subscriptionStartDate",
        "subscriptionEndDate",
        "createdAt",
        "updatedAt",
    ],
    indexes: &[
        IndexSpec::on(&[("subscriptionTier", Asc), ("subscriptionStatus", Asc)]),
        IndexSpec::on(&[("subscriptionStatus", Asc), ("subscriptionEndDate", Asc)]),
    ],
};

/// Seed 000's indexes (`userId`, `userId` + `status`, `status`, and
/// `transactionId` unique), and the tenant's list, newest first.
pub static SUBSCRIPTION_PAYMENTS: CollectionSpec = CollectionSpec {
    name: "subscription_payments",
    date_fields: &[
        "billingPeriodStart",
        "billingPeriodEnd",
        "createdAt",
        "updatedAt",
    ],
    indexes: &[
        IndexSpec::on(&[("userId", Asc)]),
        IndexSpec::on(&[("userId", Asc), ("status", Asc)]),
        IndexSpec::on(&[("status", Asc)]),
        IndexSpec {
            fields: &[("transactionId", Asc)],
            unique: true,
            sparse: true,
        },
        IndexSpec::on(&[("userId", Asc), ("createdAt", Desc), ("_id", Desc)]),
        IndexSpec::on(&[
            ("userId", Asc),
            ("status", Asc),
            ("createdAt", Desc),
            ("_id", Desc),
        ]),
    ],
};

pub static COLLECTIONS: [&CollectionSpec; 2] = [&SUBSCRIPTIONS, &SUBSCRIPTION_PAYMENTS];
