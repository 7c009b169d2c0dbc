//! Sessions: a tenant's WhatsApp numbers.
//!
//! - [`service`]: create, connect (checking the credentials with the Graph
//!   API), disconnect, replace credentials, delete.
//! - [`registration`]: what a client gives to add a number, checked.
//! - [`queries`]: the `sessions` read model, and the lookup that routes a
//!   webhook to its session.
//! - [`read_model`]: the collection, with the seed's fields and indexes.

pub mod queries;
pub mod read_model;
pub mod registration;
pub mod service;

pub use queries::{SessionFilter, SessionQueries, SessionRoute};
pub use registration::{ChannelCredentials, SessionRegistration};
pub use service::{SessionCommandError, SessionService};
