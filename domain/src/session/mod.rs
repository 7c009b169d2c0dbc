//! The Session aggregate: one WhatsApp number of a tenant, the channel it is
//! reached through, and whether Herald can use it right now.
//!
//! - [`aggregate`]: the aggregate, and which rule each command goes to.
//! - [`commands`], [`events`], [`error`]: what may be asked, what happened,
//!   and why a command was refused.
//! - [`status`]: the lifecycle.
//! - [`channel`]: the Cloud API channel, its Graph ids, and its secrets,
//!   which the aggregate only ever holds sealed.

pub mod aggregate;
pub mod channel;
pub mod commands;
pub mod error;
pub mod events;
pub mod status;

#[cfg(test)]
mod tests;

pub use aggregate::{session_id_for, Session, SessionServices};
pub use channel::{
    CloudApiChannel, CloudApiSecrets, GraphId, SealedSecret, SecretField, SessionName, Throughput,
};
pub use commands::{NewSession, SessionCommand, Verification};
pub use error::SessionError;
pub use events::SessionEvent;
pub use status::SessionStatus;
