//! The plans a tenant can be on, and what each allows (seed 000's
//! `updateLimits`).

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::value::ValueError;

/// A plan's tier, as seed 000 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Free,
    Pro,
    Business,
}

impl Tier {
    pub const ALL: [Self; 3] = [Self::Free, Self::Pro, Self::Business];

    /// # Errors
    /// When `text` is not `free`, `pro` or `business`.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        match text {
            "free" => Ok(Self::Free),
            "pro" => Ok(Self::Pro),
            "business" => Ok(Self::Business),
            _ => Err(ValueError::new("must be one of free, pro, business")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Pro => "pro",
            Self::Business => "business",
        }
    }

    /// What the tier allows: seed 000's figures, with the business plan's
    /// 999,999 campaigns a month meaning no limit.
    pub fn limits(self) -> Limits {
        match self {
            Self::Free => Limits {
                max_sessions: Limit::At(1),
                max_messages_per_day: Limit::At(50),
                max_campaigns_per_month: Limit::At(5),
                max_chatbots: Limit::At(1),
            },
            Self::Pro => Limits {
                max_sessions: Limit::At(3),
                max_messages_per_day: Limit::At(250),
                max_campaigns_per_month: Limit::At(20),
                max_chatbots: Limit::At(5),
            },
            Self::Business => Limits {
                max_sessions: Limit::At(10),
                max_messages_per_day: Limit::At(1_000),
                max_campaigns_per_month: Limit::Unlimited,
                max_chatbots: Limit::At(20),
            },
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much of something a plan allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Limit {
    At(u32),
    Unlimited,
}

impl Limit {
    /// How many more fit beside `used`; `None` when there is no limit.
    pub fn room_beside(self, used: u32) -> Option<u32> {
        match self {
            Self::At(limit) => Some(limit.saturating_sub(used)),
            Self::Unlimited => None,
        }
    }

    /// The limit as a number, as seed 000 stores it (999,999 for none).
    pub fn as_number(self) -> u32 {
        match self {
            Self::At(limit) => limit,
            Self::Unlimited => 999_999,
        }
    }
}

/// Seed 000's `limits`: what a tenant may have or do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    pub max_sessions: Limit,
    pub max_messages_per_day: Limit,
    pub max_campaigns_per_month: Limit,
    pub max_chatbots: Limit,
}

impl Limits {
    pub fn of(&self, resource: Resource) -> Limit {
        match resource {
            Resource::Sessions => self.max_sessions,
            Resource::Messages => self.max_messages_per_day,
            Resource::Campaigns => self.max_campaigns_per_month,
            Resource::Chatbots => self.max_chatbots,
        }
    }
}

/// What a plan limits. Sessions and chatbots are counted while they exist;
/// messages per day (UTC) and campaigns per month (UTC), from the first of
/// each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Resource {
    Sessions,
    Messages,
    Campaigns,
    Chatbots,
}

impl Resource {
    pub const ALL: [Self; 4] = [
        Self::Sessions,
        Self::Messages,
        Self::Campaigns,
        Self::Chatbots,
    ];

    /// The limit's name in seed 000's `limits`.
    pub fn limit_name(self) -> &'static str {
        match self {
            Self::Sessions => "maxSessions",
            Self::Messages => "maxMessagesPerDay",
            Self::Campaigns => "maxCampaignsPerMonth",
            Self::Chatbots => "maxChatbots",
        }
    }

    /// The period a count of it runs over; `None` for what is counted
    /// while it exists.
    pub fn period(self) -> Option<Period> {
        match self {
            Self::Messages => Some(Period::Day),
            Self::Campaigns => Some(Period::Month),
            Self::Sessions | Self::Chatbots => None,
        }
    }
}

/// A calendar period in UTC, over which a count runs before it starts again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Month,
}
