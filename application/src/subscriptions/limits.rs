//! Plan limits as the other services see them: hold some of a resource
//! under a key before using it, give it back when it is freed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use herald_domain::subscription::{Limit, Reservation, Resource};
use herald_domain::TenantId;
use std::fmt;

use crate::commands::CommandError;
use crate::metadata::CommandMetadata;
use crate::ports::event_store::{StoreFailure, StoreFailureKind};

/// A command refused because the tenant's plan allows no more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverLimit {
    pub resource: Resource,
    pub limit: Limit,
    pub used: u32,
    /// When the count starts again; none for what counts while it exists
    /// (sessions, chatbots), where only deleting one or upgrading helps.
    pub resets_at: Option<DateTime<Utc>>,
}

impl fmt::Display for OverLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "your plan's {} is reached: {} of {} used",
            self.resource.limit_name(),
            self.used,
            self.limit.as_number()
        )?;
        match self.resets_at {
            Some(at) => write!(f, "; it starts again at {}", at.to_rfc3339()),
            None => write!(f, "; delete one, or move to a larger plan"),
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum LimitError {
    #[error("{0}")]
    Over(OverLimit),
    /// Other reservations kept taking the subscription's turn.
    #[error("the subscription kept changing; try again")]
    Busy,
    #[error("the subscription could not be checked: {0}")]
    Unavailable(String),
}

/// Reservations against a tenant's plan, each under a key, so a retried
/// request or a repeated step holds once.
#[async_trait]
pub trait PlanLimits: Send + Sync {
    /// Holds what `reservation` asks; gives how many were granted (at least
    /// its least).
    ///
    /// # Errors
    /// [`LimitError::Over`] when the plan has less room than the least.
    async fn reserve(
        &self,
        tenant: &TenantId,
        reservation: Reservation,
        metadata: &CommandMetadata,
    ) -> Result<u32, LimitError>;

    /// Gives back up to `count` of what `key` holds. A failure is logged:
    /// the worst it leaves is a limit reached a little early.
    async fn release(
        &self,
        tenant: &TenantId,
        resource: Resource,
        key: &str,
        count: u32,
        metadata: &CommandMetadata,
    );
}

/// Holds `reservation` for a command of any aggregate: over the limit, the
/// command is refused as [`CommandError::OverLimit`]; a subscription that
/// cannot be reached refuses it too, since the plan cannot be checked.
///
/// # Errors
/// As said.
pub async fn reserve<E: std::error::Error>(
    limits: &dyn PlanLimits,
    tenant: &TenantId,
    reservation: Reservation,
    metadata: &CommandMetadata,
) -> Result<u32, CommandError<E>> {
    limits
        .reserve(tenant, reservation, metadata)
        .await
        .map_err(|error| match error {
            LimitError::Over(over) => CommandError::OverLimit(over),
            LimitError::Busy => CommandError::Conflict("subscription"),
            LimitError::Unavailable(detail) => {
                CommandError::Store(StoreFailure::new(StoreFailureKind::Unavailable, detail))
            }
        })
}
