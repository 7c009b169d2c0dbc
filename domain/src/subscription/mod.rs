//! The Subscription aggregate: a tenant's plan (free, pro or business, as
//! seed 000 has them), its status and period, its payments, and what it
//! holds against the plan's limits.
//!
//! - [`aggregate`]: the aggregate, and which rule each command goes to.
//! - [`commands`], [`events`], [`error`]: what may be asked, what happened,
//!   and why a command was refused.
//! - [`plan`]: the tiers and their limits; [`period`]: the UTC day and
//!   month that counts run over.
//! - [`usage`]: what is held, by key, so a retried reservation counts once.
//! - [`payment`]: a payment as the provider reports it.
//! - [`status`]: the lifecycle.

pub mod aggregate;
pub mod commands;
pub mod error;
pub mod events;
pub mod payment;
mod period;
pub mod plan;
pub mod status;
pub mod usage;

#[cfg(test)]
mod tests;

pub use aggregate::{Subscription, SubscriptionServices};
pub use commands::{Reservation, SubscriptionCommand};
pub use error::SubscriptionError;
pub use events::SubscriptionEvent;
pub use payment::{Currency, Payment, PaymentMethod, PaymentStatus, TransactionId};
pub use plan::{Limit, Limits, Period, Resource, Tier};
pub use status::SubscriptionStatus;
