//! The projector of the `users` and `api_keys` collections.

mod projector;

pub use projector::AccountProjector;
