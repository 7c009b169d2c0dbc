//! Herald's read side: projectors that turn commits into read-model
//! changes, the runner that feeds them, and the read stores.
//!
//! # Layout
//! - [`projector`]: the [`Projector`] trait: a pure function from a commit
//!   to the changes it makes.
//! - [`runner`]: [`ProjectionRunner`]: follows the event feed from the stored
//!   checkpoint, applies changes in batches with the checkpoint, reports lag,
//!   and rebuilds a projection blue/green.
//! - [`shared_feed`]: [`SharedFeed`]: one reading of the log per node,
//!   handed to every projection that follows it.
//! - [`changes`]: what every projector uses to read events and write
//!   documents.
//! - [`binding`]: a read store belongs to one event log; at start it is
//!   bound to it, or the mismatch is refused or rebuilt.
//! - [`campaigns`]: the projector of the `campaigns` and
//!   `campaign_recipients` collections.
//! - [`messages`]: the projector of the `messages` and `replies` collections.
//! - [`sessions`]: the projector of the `sessions` collection.
//! - [`audit`]: the projector of the `audit_logs` collection.
//! - [`accounts`]: the projector of the `users` and `api_keys` collections.
//! - [`subscriptions`]: the projector of the `subscriptions` and
//!   `subscription_payments` collections.
//! - [`stores`]: the read stores: embedded SQLite (the default) and MongoDB.
//!
//! # Dependencies
//! `herald-domain` (event types), `herald-application` (the ports), rusqlite
//! and mongodb for the stores. Nothing of NATS: commits arrive through the
//! application's `EventFeed` port.

pub mod accounts;
pub mod audit;
pub mod binding;
pub mod campaigns;
pub mod changes;
pub mod messages;
pub mod projector;
pub mod runner;
pub mod sessions;
pub mod shared_feed;
pub mod stores;
pub mod subscriptions;

pub use projector::{ProjectionError, Projector};
pub use runner::{ProjectionMonitor, ProjectionRunner, ProjectionStatus};
pub use shared_feed::SharedFeed;
