//! A fake of Meta's Graph API (WhatsApp Cloud API) for Herald's integration
//! tests. It starts in-process on a free port of 127.0.0.1 and behaves like
//! Meta's, not like the happy path: per-number tokens, Meta's error envelope
//! and codes, validation limits, template checks, the 24-hour window, rate
//! limits, a fault script, connections dropped after accepting, media with
//! expiring URLs, and a webhook emitter with adversarial schedules. It records
//! every request and every webhook so tests (and a later OpenAPI schema check)
//! can inspect them. The contract is `shared/reference/cloud-api.md`, whose §7
//! numbers are cited below.
//!
//! ```no_run
//! # async fn demo() -> Result<(), herald_fake_graph::FakeGraphError> {
//! use herald_fake_graph::*;
//! let fake = FakeGraph::start(FakeGraphConfig::default()).await?;
//! fake.add_number(FakeNumber::default());
//! fake.set_webhook("http://127.0.0.1:9000/webhooks/whatsapp", "verify-me");
//! fake.fail_next(1, FakeFault::code(130429));
//! // ... point the client at fake.base_url() and send ...
//! let accepted = fake.sent_messages();
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`fake`]: [`FakeGraph`], the handle tests use, and [`FakeGraphError`].
//! - [`config`]: knobs, defaulting to Meta's documented behaviour (§7 items 2, 3, 7, 8, 9, 12, 13).
//! - `server`: routes, request recording, the connection loop that can drop an answer (1).
//! - `auth`: per-number Bearer tokens and the `vNN.N` check (1, 2).
//! - [`errors`]: the one table of codes → status, title, details, and Meta's envelope (2, 10).
//! - `send`: the send path, validation and recipients (3, 4, 5, 7, 8, 9, 11).
//! - [`templates`]: the store, parameter checks on send, management endpoints, status flips (6, 9).
//! - `limits`: token buckets for throughput, pair rate and the hourly management cap (8, 9).
//! - [`faults`]: the fault script (10).
//! - [`number`]: business numbers and `GET /{phone-number-id}` (1, 11).
//! - `media`: upload, media URL with expiry, download, delete (12).
//! - [`webhooks`]: payloads, signing and redelivery, status schedules, inbound messages (13–16).
//! - `clock`, `state`: the injectable clock and the shared, recorded state.
//!
//! It depends on no Herald crate, so it builds on its own.

mod auth;
mod clock;
pub mod config;
pub mod errors;
pub mod fake;
pub mod faults;
mod limits;
mod media;
pub mod number;
mod send;
mod server;
mod state;
pub mod templates;
pub mod webhooks;

pub use config::{
    ErrorTiming, FakeGraphConfig, MissingPlus, RateLimitStatus, SignatureMode, WebhookConfig,
    WebhookVersion, WindowPolicy,
};
pub use errors::GraphError;
pub use fake::{FakeGraph, FakeGraphError};
pub use faults::{FakeFault, FaultTarget};
pub use number::FakeNumber;
pub use state::{RecordedRequest, SentMessage, WebhookDelivery};
pub use templates::{FakeTemplate, TemplateButton, TemplateHeader, TemplateStatus};
pub use webhooks::emitter::signature;
pub use webhooks::{
    InboundContent, InboundMessage, Layout, MediaKind, Post, StatusKind, StatusSchedule,
};
