//! The plain values a campaign is described by.

use serde::{Deserialize, Serialize};

use super::message::CampaignMessage;
use crate::ids::SessionId;

use crate::value::{string_value, trimmed_text, ValueError};

/// A campaign's name as its owner sees it in lists: 1 to 120 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CampaignName(String);

impl CampaignName {
    /// # Errors
    /// When the trimmed name is empty or longer than 120 characters.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        trimmed_text(text, 1, 120).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(CampaignName);

/// Free text for the team, never sent: up to 1,000 characters, may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Description(String);

impl Description {
    /// # Errors
    /// When the trimmed text is longer than 1,000 characters.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        trimmed_text(text, 0, 1000).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(Description);

/// The pause between two messages of a campaign, 1 to 10 seconds. Sending
/// slower than a person could is what keeps a number from being banned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Delay(u32);

impl Delay {
    pub const MIN_MILLIS: u32 = 1_000;
    pub const MAX_MILLIS: u32 = 10_000;

    /// # Errors
    /// When `millis` is outside 1,000..=10,000.
    pub fn from_millis(millis: u32) -> Result<Self, ValueError> {
        if (Self::MIN_MILLIS..=Self::MAX_MILLIS).contains(&millis) {
            Ok(Self(millis))
        } else {
            Err(ValueError::new(format!(
                "must be between {} and {} milliseconds (got {millis})",
                Self::MIN_MILLIS,
                Self::MAX_MILLIS
            )))
        }
    }

    pub fn millis(self) -> u32 {
        self.0
    }
}

/// Three seconds, the seeds' default.
impl Default for Delay {
    fn default() -> Self {
        Self(3_000)
    }
}

impl TryFrom<u32> for Delay {
    type Error = ValueError;
    fn try_from(millis: u32) -> Result<Self, Self::Error> {
        Self::from_millis(millis)
    }
}

impl From<Delay> for u32 {
    fn from(delay: Delay) -> u32 {
        delay.0
    }
}

/// What a campaign says, through which number and how fast: everything but
/// its schedule and recipients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignDefinition {
    pub name: CampaignName,
    pub description: Description,
    pub session_id: SessionId,
    pub message: CampaignMessage,
    /// The pause between two of this campaign's sends; `None` sends at the
    /// number's throughput (its token bucket, shared with everything else
    /// the number sends).
    pub delay: Option<Delay>,
    pub personalize: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed() {
        assert_eq!(
            CampaignName::parse("  Black Friday ").unwrap().as_str(),
            "Black Friday"
        );
    }

    #[test]
    fn blank_names_are_refused() {
        assert!(CampaignName::parse("   ").is_err());
    }

    #[test]
    fn names_over_120_characters_are_refused() {
        assert!(CampaignName::parse(&"é".repeat(120)).is_ok());
        assert!(CampaignName::parse(&"é".repeat(121)).is_err());
    }

    #[test]
    fn delays_are_bounded_by_one_and_ten_seconds() {
        assert!(Delay::from_millis(999).is_err());
        assert!(Delay::from_millis(1_000).is_ok());
        assert!(Delay::from_millis(10_000).is_ok());
        assert!(Delay::from_millis(10_001).is_err());
    }

    #[test]
    fn the_default_delay_is_three_seconds() {
        assert_eq!(Delay::default().millis(), 3_000);
    }
}
