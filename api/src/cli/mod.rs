//! The `herald` verbs.
//!
//! - [`serve`]: the HTTP API and the projections, until SIGINT or SIGTERM.
//! - [`history`]: an aggregate's events, in order, as recorded.
//! - [`projections`]: each projection's checkpoint and lag; rebuilds.
//! - [`bench`]: runs `herald-bench`.

pub mod bench;
pub mod history;
pub mod projections;
pub mod serve;
