//! The `herald` verbs.
//!
//! - [`serve`]: the HTTP API and the projections, until SIGINT or SIGTERM.
//! - [`history`]: an aggregate's events, in order, as recorded.
//! - [`projections`]: each projection's checkpoint and lag; rebuilds.
//! - [`accounts`]: a tenant's first admin, and API keys.
//! - [`subscriptions`]: a tenant's plan, or limits agreed apart from it.
//! - [`bench`]: runs `herald-bench`.

pub mod accounts;
pub mod bench;
pub mod history;
pub mod projections;
pub mod serve;
pub mod subscriptions;
