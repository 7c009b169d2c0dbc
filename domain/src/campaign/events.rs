//! What has happened to a campaign. Events are facts: they are never
//! refused when applied, and they stay readable as the code moves on.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::definition::{CampaignDefinition, CampaignName, Delay, Description};
use super::message::CampaignMessage;
use super::recipients::Recipient;
use super::schedule::Schedule;
use crate::ids::SessionId;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CampaignEvent {
    Created {
        definition: CampaignDefinition,
        schedule: Schedule,
        recipients: Vec<Recipient>,
    },
    /// Only the fields that changed are present.
    Edited(DefinitionChanges),
    RecipientsReplaced {
        recipients: Vec<Recipient>,
    },
    /// Only recipients the campaign did not have yet.
    RecipientsAdded {
        recipients: Vec<Recipient>,
    },
    Scheduled {
        schedule: Schedule,
        next_run_at: DateTime<Utc>,
    },
    /// `run` counts from 1; a recurring campaign starts once per run.
    Started {
        run: u32,
        /// How many recipients the run sends to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recipients: Option<u32>,
    },
    /// The campaign sender took recipients `from..to` (places in the
    /// recipient list) of the run: each gets its message, even if the
    /// campaign is paused or stopped meanwhile (a stopped campaign's
    /// queued messages are then withdrawn, never sent).
    BatchReserved {
        run: u32,
        from: u32,
        to: u32,
    },
    /// Every message of the run's recipients before `to` is queued.
    BatchQueued {
        run: u32,
        to: u32,
    },
    Paused,
    /// Herald paused the campaign itself, for this reason (the session was
    /// disconnected, Meta paused the template, too many sends failed…).
    PausedAutomatically {
        reason: String,
    },
    /// The run's recipients from place `from` on, `count` of them, were
    /// never taken and never will be: the campaign was stopped.
    RecipientsNotSent {
        run: u32,
        from: u32,
        count: u32,
        reason: String,
    },
    Resumed,
    /// A recurring campaign finished a run and waits for the next one.
    RunCompleted {
        next_run_at: DateTime<Utc>,
    },
    Completed,
    /// The business asked for the run's recipients whose outcome is
    /// unknown to be sent again: the campaign sender queues their messages
    /// again. The campaign's status does not change.
    ResendUnknownRequested {
        run: u32,
    },
    Failed {
        reason: String,
    },
    Stopped,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DefinitionChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<CampaignName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Description>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<CampaignMessage>,
    /// `Some(None)`: from a delay to the number's throughput.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::value::present"
    )]
    pub delay: Option<Option<Delay>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personalize: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
}

impl DefinitionChanges {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl DomainEvent for CampaignEvent {
    fn event_type(&self) -> String {
        let name = match self {
            Self::Created { .. } => "CampaignCreated",
            Self::Edited(_) => "CampaignEdited",
            Self::RecipientsReplaced { .. } => "CampaignRecipientsReplaced",
            Self::RecipientsAdded { .. } => "CampaignRecipientsAdded",
            Self::Scheduled { .. } => "CampaignScheduled",
            Self::Started { .. } => "CampaignStarted",
            Self::BatchReserved { .. } => "CampaignBatchReserved",
            Self::BatchQueued { .. } => "CampaignBatchQueued",
            Self::Paused => "CampaignPaused",
            Self::PausedAutomatically { .. } => "CampaignPausedAutomatically",
            Self::RecipientsNotSent { .. } => "CampaignRecipientsNotSent",
            Self::Resumed => "CampaignResumed",
            Self::RunCompleted { .. } => "CampaignRunCompleted",
            Self::Completed => "CampaignCompleted",
            Self::ResendUnknownRequested { .. } => "CampaignResendUnknownRequested",
            Self::Failed { .. } => "CampaignFailed",
            Self::Stopped => "CampaignStopped",
        };
        name.to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
