//! The traits Herald's adapters implement.
//!
//! - [`budget`]: a number's send budget, shared by every node.
//! - [`event_store`]: a `cqrs_es::EventStore` per tenant, and the failures
//!   a store reports beyond what cqrs-es names.
//! - [`event_feed`]: the ordered stream of commits that projections read.
//! - [`lease`]: which node does a job only one node may do at a time.
//! - [`read_store`]: documents, changes and queries of the read models.
//! - [`vault`]: sealing and opening a channel's secrets.
//! - [`whatsapp`]: the WhatsApp channel: verifying a number, sending,
//!   marking as read, and what each failure allows next.
//! - [`work_feed`]: commits of one aggregate type, shared among the nodes
//!   running a process manager.

pub mod budget;
pub mod event_feed;
pub mod event_store;
pub mod lease;
pub mod read_store;
pub mod vault;
pub mod whatsapp;
pub mod work_feed;
