//! The traits Herald's adapters implement.
//!
//! - [`event_store`]: a `cqrs_es::EventStore` per tenant, and the failures
//!   a store reports beyond what cqrs-es names.
//! - [`event_feed`]: the ordered stream of commits that projections read.
//! - [`read_store`]: documents, changes and queries of the read models.

pub mod event_feed;
pub mod event_store;
pub mod read_store;
