//! Outbound messages: sending one, the dispatcher that hands queued messages
//! to WhatsApp, and the `messages` and `replies` read models.
//!
//! - [`service`]: checks a send against the session and the 24-hour
//!   window, and queues it.
//! - [`dispatcher`]: the process manager that sends queued messages, each at
//!   most once.
//! - [`queries`], [`read_model`]: listing and reading messages and replies.

pub mod dispatcher;
pub mod queries;
pub mod read_model;
pub mod service;

pub use dispatcher::{Channel, MessageDispatcher};
pub use queries::{Direction, MessageFilter, MessageQueries};
pub use service::{MessagingService, SendRefusal, SendRequest};
