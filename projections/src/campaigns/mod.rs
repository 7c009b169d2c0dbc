//! The campaigns projection: the `campaigns` and `campaign_recipients`
//! collections of the seeds.
//!
//! - [`projector`]: which change each campaign event makes.
//! - [`documents`]: how a campaign and a recipient look as documents.

pub mod documents;
pub mod outcomes;
pub mod projector;

pub use projector::CampaignProjector;
