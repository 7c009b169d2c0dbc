//! Herald's HTTP API and the `herald` binary: the composition root, where
//! the concrete adapters are chosen and wired.
//!
//! # Layout
//! - [`settings`]: the one typed configuration, read from `HERALD_*`.
//! - [`system`]: starting Herald: NATS (external or a local `nats-server`),
//!   the event stores, the read store, the projection runners.
//! - [`http`]: the axum router under `/v1`: campaigns, health, metrics;
//!   the error type, extractors and request bodies.
//! - [`cli`]: the operator's verbs: `serve`, `history`, `projections`, and
//!   `bench`, which runs the benchmark (the `herald-bench` crate, beside
//!   this one: the service links none of it).
//!
//! # Dependencies
//! Every Herald crate, axum, hyper, clap, tracing-subscriber.

pub mod cli;
pub mod http;
pub mod keys;
pub mod settings;
pub mod system;

pub use settings::Settings;
pub use system::Herald;
