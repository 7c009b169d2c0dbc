//! Herald's adapters to the outside world.
//!
//! # Layout
//! - [`accounts`]: password hashing (Argon2id), access tokens (JWT), and
//!   account e-mail to an outbox folder.
//! - [`cloud_api`]: the WhatsApp Cloud API client (the `WhatsAppGateway`
//!   port): requests, Graph errors, retries by error code, and pacing per
//!   number and per recipient.
//! - [`crypto`]: the vault that seals a channel's secrets (AES-256-GCM), and
//!   the webhook signature check.
//! - [`jetstream`]: the event log on NATS JetStream: the
//!   `cqrs_es::EventStore` of each aggregate type (with snapshots and a
//!   cache of loaded aggregates), and the ordered feed that projections read.
//! - [`tls`]: the crypto provider outgoing HTTPS needs.
//! - [`nats_server`]: starts and stops a local `nats-server` process, for
//!   `herald serve` without a NATS URL, for tests and for benchmarks.
//!
//! # Dependencies
//! `herald-domain`, `herald-application` (whose ports it implements),
//! async-nats, tokio, reqwest (rustls with ring). Nothing here is chosen by the inner crates: the
//! binary picks these adapters.

pub mod accounts;
pub mod cloud_api;
pub mod crypto;
pub mod jetstream;
pub mod nats_server;
pub mod tls;
