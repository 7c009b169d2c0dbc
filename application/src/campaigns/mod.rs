//! Campaigns: the command service, the sender that works a running
//! campaign through its recipients, the queries, and the read models' schema.

pub mod queries;
pub mod read_model;
pub mod scheduler;
pub mod sender;
pub mod service;

pub use crate::queries::{PageRequest, QueryError};
pub use queries::{CampaignFilter, CampaignQueries};
pub use scheduler::CampaignScheduler;
pub use sender::{CampaignSender, SenderConfig};
pub use service::{CampaignCommandError, CampaignService};
