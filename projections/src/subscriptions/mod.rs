//! The projector of the `subscriptions` and `subscription_payments`
//! collections.

mod projector;

pub use projector::SubscriptionProjector;
