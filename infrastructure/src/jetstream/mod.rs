//! The event log on NATS JetStream.
//!
//! One stream (default `HERALD_EVENTS`) holds every commit under
//! `herald.evt.<tenant>.<aggregate_type>.<aggregate_id>`: one message per
//! command with all its events, so a commit is atomic on any server version.
//! The stream sequence is the commit's global position.
//!
//! - [`log`]: connecting, and creating the stream and snapshot bucket.
//! - [`envelope`]: the message body and headers of a commit.
//! - [`event_store`]: `cqrs_es::EventStore` per tenant and aggregate type;
//!   `loaded` reads an aggregate back from the log.
//! - [`publish`]: recording a commit with optimistic concurrency, surviving
//!   a lost acknowledgement without recording it twice.
//! - [`reading`]: reading commits back in order.
//! - [`snapshots`], [`cache`]: loading long histories quickly.
//! - [`feed`]: the ordered feed of every commit, for projections.
//! - [`work`]: commits of one aggregate type shared among a process
//!   manager's nodes, each acknowledged when handled.
//! - [`leases`]: which node does a job only one node may do at a time.
//! - [`budget`]: each number's send budget, shared by every node.
//! - [`names`]: unique names (e-mail addresses, usernames), claimed once.

pub mod budget;
pub mod cache;
pub mod envelope;
pub mod event_store;
pub mod feed;
pub mod leases;
mod loaded;
pub mod log;
pub mod names;
pub mod publish;
pub mod reading;
pub mod snapshots;
pub mod work;

pub use budget::JetStreamNumberBudget;
pub use event_store::{JetStreamEventStore, TenantEventStore};
pub use feed::JetStreamEventFeed;
pub use leases::JetStreamLeases;
pub use loaded::LoadedAggregate;
pub use log::{EventLog, EventLogConfig, EventLogError};
pub use names::JetStreamNameRegistry;
pub use work::JetStreamWorkFeed;
