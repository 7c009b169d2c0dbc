//! The WhatsApp Cloud API client: Herald's [`WhatsAppGateway`] over Meta's
//! Graph API (contract: `reference/cloud-api.md`).
//!
//! - [`config`]: where the API is, timeouts, pacing and retry settings.
//! - [`client`]: [`CloudApiClient`], which sends, verifies numbers and marks
//!   messages read.
//! - `requests`: URLs and request bodies in Meta's field names.
//! - [`responses`]: reading acceptances, number details and Graph errors,
//!   from any bytes.
//! - [`retry`]: which error codes are retried, and the back-off.
//! - [`scrub`]: credentials taken out of error text before it is kept.
//! - [`pacing`]: the rate per business number and per recipient.
//!
//! A send is never repeated once it may have reached Meta: the Cloud API
//! has no idempotency key, so a repeat could deliver the message twice.
//! Such a send is reported as [`SendFailure::OutcomeUnknown`], and its
//! status webhook, which carries Herald's message id, settles it.
//!
//! Logs carry the phone number id, the wamid and error codes; never the
//! access token, the recipient or the message. Error text from upstream is
//! scrubbed of credentials before anything keeps it.
//!
//! [`WhatsAppGateway`]: herald_application::ports::whatsapp::WhatsAppGateway
//! [`SendFailure::OutcomeUnknown`]: herald_application::ports::whatsapp::SendFailure::OutcomeUnknown

pub mod client;
pub mod config;
pub mod pacing;
mod requests;
pub mod responses;
pub mod retry;
pub mod scrub;
#[cfg(test)]
mod tests;

pub use client::CloudApiClient;
pub use config::{CloudApiConfig, CloudApiConfigError};
