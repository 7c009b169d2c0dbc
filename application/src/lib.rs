//! Herald's application layer: what a client can ask (command services and
//! queries), and the ports through which it reaches storage.
//!
//! Services here are thin: they turn a request into a domain command, run
//! it through [`CommandExecutor`], and hand back where it was recorded.
//! Adapters (the JetStream event store, the read stores) live in other
//! crates and are chosen by the binary.
//!
//! # Layout
//! - [`ports`]: the traits adapters implement: event stores per tenant,
//!   the event feed projections read, and the read store.
//! - [`commands`]: [`CommandExecutor`], which loads, decides, records, and
//!   retries on a concurrent write.
//! - [`metadata`]: who asked, from where, as recorded with every event.
//! - [`progress`]: how far each projection has got, for read-your-writes.
//! - [`queries`]: what every read-model query shares: pages, tenant
//!   scoping, waiting for a projection.
//! - [`campaigns`]: the campaign service, queries and read-model schema.
//! - [`sessions`]: a tenant's WhatsApp numbers: service, queries, read model.
//! - [`messages`]: sending messages, the dispatcher, and the `messages` and
//!   `replies` read models.
//! - [`webhooks`]: receiving Meta's webhooks and applying them.
//! - [`accounts`]: signing up and in, tokens, API keys, who a request acts as.
//! - [`audit`]: the audit log read model, its queries, and refused
//!   attempts recorded.
//! - [`subscriptions`]: a tenant's plan, and the reservations limited
//!   commands make against it.
//! - [`use_cases`]: the command services as traits, which is how the HTTP
//!   API holds them, naming no store.
//! - [`workers`]: running process managers over the event log.
//! - [`clock`]: the system clock.
//!
//! # Dependencies
//! `herald-domain`, cqrs-es, tokio (time and sync only), serde; no adapter crate.

pub mod accounts;
pub mod audit;
pub mod campaigns;
pub mod clock;
pub mod commands;
pub mod messages;
pub mod metadata;
pub mod ports;
pub mod progress;
pub mod queries;
pub mod sessions;
pub mod subscriptions;
pub mod use_cases;
pub mod webhooks;
pub mod workers;

pub use commands::{CommandError, CommandExecutor, CommandReceipt};
pub use metadata::CommandMetadata;
