//! Where a session is in its life.
//!
//! ```text
//! initializing ──connect ok──▶ connected ──disconnect──▶ disconnected
//!      └──connect failed──▶ error ──connect ok──▶ connected
//! disconnected, error ──connect──▶ connected | error
//! any ──delete──▶ deleted (its number may be added again)
//! ```
//! `qr_waiting` belongs to the linked-device channel, which comes later; the
//! value is part of the seed's enum and is reserved here.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    #[default]
    Initializing,
    QrWaiting,
    Connected,
    Disconnected,
    Error,
}

impl SessionStatus {
    pub const ALL: [Self; 5] = [
        Self::Initializing,
        Self::QrWaiting,
        Self::Connected,
        Self::Disconnected,
        Self::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initializing => "initializing",
            Self::QrWaiting => "qr_waiting",
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
            Self::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
