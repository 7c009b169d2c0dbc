//! Inbound webhooks from WhatsApp, from the POST to the aggregates.
//!
//! - [`numbers`]: the business numbers a body names, read before its
//!   signature can be checked, at a bounded cost.
//! - [`payload`]: reading Meta's notifications, whatever their shape.
//! - [`intake`]: the handshake, the signature check, and recording each
//!   verified payload before Meta gets its 200.
//! - [`directory`]: finding a webhook's session by phone number id.
//! - [`processor`]: the process manager that turns recorded payloads into
//!   conversation messages and message statuses.

pub mod directory;
pub mod intake;
pub mod numbers;
pub mod payload;
pub mod processor;

pub use directory::ReadModelDirectory;
pub use intake::{IntakeError, RoutedSession, SessionDirectory, TenantPayload, WebhookIntake};
pub use processor::WebhookProcessor;
