//! The projector of the `sessions` collection.

mod projector;

pub use projector::SessionProjector;
