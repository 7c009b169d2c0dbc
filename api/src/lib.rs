//! Herald's HTTP API and the `herald` binary: the composition root, where
//! the concrete adapters are chosen and wired.
//!
//! # Layout
//! - [`settings`]: the one typed configuration, read from `HERALD_*`.
//! - [`system`]: starting Herald: NATS (external or a local `nats-server`),
//!   the event stores, the read store, the projection runners.
//! - [`http`]: the axum router under `/v1`: campaigns, health, metrics;
//!   the error type, extractors and request bodies.
//! - [`cli`]: the operator's verbs: `serve`, `history`, `projections`.
//! - [`bench`]: `herald bench`, the benchmark that prints figures.
//!
//! # Dependencies
//! Every Herald crate, axum, clap, tracing-subscriber; reqwest only for
//! the benchmark's HTTP path.

pub mod bench;
pub mod cli;
pub mod http;
pub mod keys;
pub mod settings;
pub mod system;

pub use settings::Settings;
pub use system::Herald;
