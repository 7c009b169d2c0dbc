//! What the Subscription aggregate says when it refuses a command.

use chrono::{DateTime, Utc};

use super::payment::TransactionId;
use super::plan::{Limit, Resource};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    /// The plan allows no more of `resource` now.
    #[error("{} reached: {used} of {} used", .resource.limit_name(), .limit.as_number())]
    LimitReached {
        resource: Resource,
        limit: Limit,
        used: u32,
        /// When the count starts again (none for what counts while it exists).
        resets_at: Option<DateTime<Utc>>,
    },
    #[error("the subscription has already started")]
    AlreadyStarted,
    /// A transaction id already recorded with another amount, currency,
    /// method, tier or period.
    #[error("transaction {} is already recorded with other details", .0.as_str())]
    PaymentMismatch(TransactionId),
    #[error("{0}")]
    NotAllowed(String),
}
