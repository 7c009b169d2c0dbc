//! What can be asked of a campaign. Values arrive already parsed; the
//! aggregate checks the rules that involve its state.

use super::definition::{CampaignDefinition, CampaignName, Delay, Description};
use super::message::MessageFields;
use super::recipients::Recipient;
use super::schedule::Schedule;
use crate::ids::SessionId;

#[derive(Debug, Clone, PartialEq)]
pub enum CampaignCommand {
    Create(NewCampaign),
    Edit(CampaignEdit),
    AddRecipients(Vec<Recipient>),
    /// Schedule with this schedule, or with the one the campaign has.
    Schedule(Option<Schedule>),
    Start,
    /// The scheduler starts the run due at `due`: nothing happens if the
    /// campaign was started, rescheduled or stopped since.
    StartDueRun {
        due: chrono::DateTime<chrono::Utc>,
    },
    Pause,
    /// Herald pauses the campaign itself, saying why.
    PauseFor {
        reason: String,
    },
    Resume,
    Stop,
    /// The campaign sender takes up to `size` recipients of run `run` from
    /// place `from`; nothing happens if another sender took them first.
    ReserveBatch {
        run: u32,
        from: u32,
        size: u32,
    },
    /// The messages of the run's recipients before `to` are all queued.
    RecordBatchQueued {
        run: u32,
        to: u32,
    },
    /// Every recipient of the run has an outcome.
    Complete,
    /// The business asks for the latest run's recipients whose send ended
    /// unknown (cut off by a crash, no webhook since) to be sent again,
    /// accepting that Meta may have some of them already.
    ResendUnknown,
    /// The dispatcher cannot go on (the session is gone, the plan is over).
    Fail {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCampaign {
    pub definition: CampaignDefinition,
    pub schedule: Schedule,
    pub recipients: Vec<Recipient>,
}

/// The fields a PATCH gave; `None` (or empty `message`) leaves a field as is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CampaignEdit {
    pub name: Option<CampaignName>,
    pub description: Option<Description>,
    pub session_id: Option<SessionId>,
    pub message: MessageFields,
    /// `Some(None)` sends at the number's throughput from now on.
    pub delay: Option<Option<Delay>>,
    pub personalize: Option<bool>,
    pub schedule: Option<Schedule>,
    pub recipients: Option<Vec<Recipient>>,
}

impl CampaignEdit {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}
