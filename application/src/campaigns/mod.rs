//! Campaigns: the command service, the queries, and the read models' schema.

pub mod queries;
pub mod read_model;
pub mod service;

pub use crate::queries::{PageRequest, QueryError};
pub use queries::{CampaignFilter, CampaignQueries};
pub use service::{CampaignCommandError, CampaignService};
