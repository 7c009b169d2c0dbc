//! A tenant's subscription: its plan, payments, and what it holds against
//! the plan's limits.
//!
//! - [`service`]: [`SubscriptionService`], over the Subscription aggregate.
//! - [`limits`]: [`PlanLimits`], how the session, campaign and messaging
//!   services reserve before they act, and [`OverLimit`], their refusal.

pub mod limits;
pub mod service;

pub use limits::{reserve, LimitError, OverLimit, PlanLimits};
pub use service::{SubscriptionCommandError, SubscriptionService, Subscriptions};
