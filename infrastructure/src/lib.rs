//! Herald's adapters to the outside world.
//!
//! # Layout
//! - [`jetstream`]: the event log on NATS JetStream: the
//!   `cqrs_es::EventStore` of each aggregate type (with snapshots and a
//!   cache of loaded aggregates), and the ordered feed that projections read.
//! - [`nats_server`]: starts and stops a local `nats-server` process, for
//!   `herald serve` without a NATS URL, for tests and for benchmarks.
//!
//! # Dependencies
//! `herald-domain`, `herald-application` (whose ports it implements),
//! async-nats, tokio. Nothing here is chosen by the inner crates: the
//! binary picks these adapters.

pub mod jetstream;
pub mod nats_server;
