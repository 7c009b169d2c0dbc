//! What can be asked of a tenant's subscription.

use chrono::{DateTime, Utc};

use super::payment::Payment;
use super::plan::{Limits, Resource, Tier};
use super::status::SubscriptionStatus;

#[derive(Debug, Clone, PartialEq)]
pub enum SubscriptionCommand {
    /// Starts the subscription (at sign-up): `Active` or `Trial`, until
    /// `ends_at` if given.
    Start {
        tier: Tier,
        status: SubscriptionStatus,
        ends_at: Option<DateTime<Utc>>,
    },
    /// Moves to `tier` now, active until `ends_at` if given. What is held
    /// stays held; over the new limits, nothing more is granted until usage
    /// is back under them.
    ChangePlan {
        tier: Tier,
        ends_at: Option<DateTime<Utc>>,
    },
    /// Limits agreed with the operator that replace the tier's while the
    /// subscription is in force; `None` goes back to the tier's.
    SetCustomLimits(Option<Limits>),
    /// The tenant stops renewing: the plan stays in force until its end
    /// date, or ends now if it has none.
    Cancel,
    /// Records that the end date has passed (the scheduler sends it); the
    /// free plan's limits apply from then on.
    Expire,
    /// Records a payment, or a later status of one; the same report twice
    /// records nothing. A completed payment for a tier puts the
    /// subscription on it until the billing period's end.
    RecordPayment(Payment),
    Reserve(Reservation),
    /// Gives back `count` of what `key` holds of `resource` (a deleted
    /// session, a campaign's unspent chunk).
    Release {
        resource: Resource,
        key: String,
        count: u32,
    },
}

/// A request to hold `wanted` of `resource` under `key`, granted in part
/// down to `at_least` (a campaign's chunk of sends takes what is left of
/// the day), refused below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub resource: Resource,
    pub key: String,
    pub wanted: u32,
    pub at_least: u32,
}

impl Reservation {
    /// One of `resource` for `key`, all or nothing.
    pub fn one(resource: Resource, key: impl Into<String>) -> Self {
        Self {
            resource,
            key: key.into(),
            wanted: 1,
            at_least: 1,
        }
    }
}
