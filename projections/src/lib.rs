//! Herald's read side: projectors that turn commits into read-model
//! changes, the runner that feeds them, and the read stores.
//!
//! # Layout
//! - [`projector`]: the [`Projector`] trait: a pure function from a commit
//!   to the changes it makes.
//! - [`runner`]: [`ProjectionRunner`]: follows the event feed from the stored
//!   checkpoint, applies changes in batches with the checkpoint, reports lag,
//!   and rebuilds a projection blue/green.
//! - [`campaigns`]: the projector of the `campaigns` and
//!   `campaign_recipients` collections.
//! - [`stores`]: the read stores: embedded SQLite (the default) and MongoDB.
//!
//! # Dependencies
//! `herald-domain` (event types), `herald-application` (the ports), rusqlite
//! and mongodb for the stores. Nothing of NATS: commits arrive through the
//! application's `EventFeed` port.

pub mod campaigns;
pub mod projector;
pub mod runner;
pub mod stores;

pub use projector::{ProjectionError, Projector};
pub use runner::{ProjectionRunner, ProjectionStatus};
