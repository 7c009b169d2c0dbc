//! Where a campaign is in its life, and what may happen to it from there.
//!
//! ```text
//! draft ──schedule──▶ scheduled ──start──▶ running ◀──resume── paused
//!   └────────────start──────────────────▲     └──pause──▶──┘
//! running ──▶ completed | failed          (a recurring run goes back to scheduled)
//! draft, scheduled, running, paused ──stop──▶ stopped   (final)
//! ```

use serde::{Deserialize, Serialize};
use std::fmt;

use super::error::CampaignError;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CampaignStatus {
    #[default]
    Draft,
    Scheduled,
    Running,
    Paused,
    Completed,
    Failed,
    Stopped,
}

impl CampaignStatus {
    pub const ALL: [Self; 7] = [
        Self::Draft,
        Self::Scheduled,
        Self::Running,
        Self::Paused,
        Self::Completed,
        Self::Failed,
        Self::Stopped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Stopped => "stopped",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Stopped)
    }
}

impl fmt::Display for CampaignStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a command asks of a campaign's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Edit,
    AddRecipients,
    Schedule,
    Start,
    Pause,
    Resume,
    Stop,
    Complete,
    Fail,
}

impl Action {
    fn allowed_from(self) -> &'static [CampaignStatus] {
        use CampaignStatus::*;
        match self {
            Self::Edit => &[Draft, Scheduled, Paused],
            Self::AddRecipients | Self::Schedule | Self::Start => &[Draft, Scheduled],
            Self::Pause | Self::Complete => &[Running],
            Self::Resume => &[Paused],
            Self::Stop => &[Draft, Scheduled, Running, Paused],
            Self::Fail => &[Scheduled, Running, Paused],
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Self::Edit => "edit",
            Self::AddRecipients => "add recipients to",
            Self::Schedule => "schedule",
            Self::Start => "start",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Stop => "stop",
            Self::Complete => "complete",
            Self::Fail => "fail",
        }
    }

    /// # Errors
    /// [`CampaignError::NotAllowed`] when the action cannot happen from `status`.
    pub fn check(self, status: CampaignStatus) -> Result<(), CampaignError> {
        if self.allowed_from().contains(&status) {
            return Ok(());
        }
        Err(CampaignError::NotAllowed(format!(
            "cannot {} a campaign that is {status}{}",
            self.verb(),
            hint(self, status)
        )))
    }
}

fn hint(action: Action, status: CampaignStatus) -> &'static str {
    match (action, status) {
        (_, CampaignStatus::Stopped) => ": stopping a campaign is final",
        (_, s) if s.is_final() => ": it has ended",
        (Action::Edit | Action::AddRecipients, CampaignStatus::Running) => ": pause it first",
        (Action::AddRecipients, CampaignStatus::Paused) => {
            ": it has already sent to part of its audience"
        }
        (Action::Start | Action::Schedule, CampaignStatus::Paused) => ": resume it instead",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_from_their_names() {
        for status in CampaignStatus::ALL {
            assert_eq!(CampaignStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(CampaignStatus::parse("done"), None);
    }

    #[test]
    fn refusals_say_what_and_why() {
        let error = Action::Start.check(CampaignStatus::Stopped).unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot start a campaign that is stopped: stopping a campaign is final"
        );
    }
}
