//! The projector of the `audit_logs` collection.

mod projector;

pub use projector::AuditProjector;
