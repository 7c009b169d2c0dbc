//! The audit log: who did what, from where, and what was refused.
//!
//! - [`read_model`]: the `audit_logs` collection (seed 000).
//! - [`queries`]: the list, by actor, action, entity and time.
//! - [`denials`]: recording refused attempts in the log.

pub mod denials;
pub mod queries;
pub mod read_model;

pub use denials::{DenialRecorder, Denials};
pub use queries::{AuditFilter, AuditQueries};
