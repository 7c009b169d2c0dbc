//! A tenant's subscription: its plan, payments, and what it holds against
//! the plan's limits.
//!
//! - [`service`]: [`SubscriptionService`], over the Subscription aggregate.
//! - [`limits`]: [`PlanLimits`], how the session, campaign and messaging
//!   services reserve before they act, and [`OverLimit`], their refusal.
//! - [`read_model`]: the `subscriptions` and `subscription_payments`
//!   collections.
//! - [`queries`]: [`PaymentQueries`], the tenant's payments.
//! - [`expiry`]: [`SubscriptionExpiry`], which records a plan's end when
//!   its end date comes.

pub mod expiry;
pub mod limits;
pub mod queries;
pub mod read_model;
pub mod service;

pub use expiry::SubscriptionExpiry;
pub use limits::{reserve, LimitError, OverLimit, PlanLimits};
pub use queries::{PaymentFilter, PaymentQueries};
pub use service::{SubscriptionCommandError, SubscriptionService, Subscriptions};
