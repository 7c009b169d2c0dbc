//! The Campaign aggregate: a bulk send of one message to a list of
//! recipients, through one of the tenant's WhatsApp numbers, now or on a
//! schedule.
//!
//! - [`aggregate`]: the aggregate, and which rule each command goes to;
//!   `state` holds a created campaign and the rules themselves.
//! - [`commands`], [`events`], [`error`]: what may be asked, what happened,
//!   and why a command was refused.
//! - [`status`]: the lifecycle and its transitions.
//! - [`definition`], [`message`], [`schedule`], [`recipients`],
//!   [`personalization`]: the values a campaign is made of.
//! - [`render`]: the message one recipient receives.

pub mod aggregate;
pub mod commands;
pub mod definition;
pub mod error;
pub mod events;
pub mod message;
pub mod personalization;
pub mod recipients;
pub mod render;
pub mod schedule;
mod state;
pub mod status;

#[cfg(test)]
mod tests;

pub use aggregate::{Campaign, CampaignServices, SendProgress};
pub use commands::{CampaignCommand, CampaignEdit, NewCampaign};
pub use definition::{CampaignDefinition, CampaignName, Delay, Description};
pub use error::CampaignError;
pub use events::{CampaignEvent, DefinitionChanges};
pub use message::{
    CampaignMessage, MediaUrl, MessageFields, MessageType, TemplateMessage, TemplateVariables,
};
pub use recipients::{Recipient, RecipientStatus};
pub use render::message_for;
pub use schedule::{Recurrence, Schedule, ScheduleFields, Timezone};
pub use status::CampaignStatus;
