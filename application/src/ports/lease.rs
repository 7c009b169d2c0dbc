//! Leases: which node does a job that only one node may do at a time, such
//! as projecting into a read store several nodes share. A lease lapses
//! when its holder stops renewing it, so a dead node's job moves on.

use async_trait::async_trait;
use std::time::Duration;

#[derive(Debug, Clone, thiserror::Error)]
#[error("lease: {0}")]
pub struct LeaseError(pub String);

#[async_trait]
pub trait Leases: Send + Sync {
    /// Takes the lease `name` for this node if nobody holds it, or its
    /// holder let it lapse; `None` while another node holds it.
    ///
    /// # Errors
    /// When the lease store cannot be reached.
    async fn try_acquire(&self, name: &str) -> Result<Option<Box<dyn Lease>>, LeaseError>;

    /// How often a holder must renew: well within the time a lease lasts.
    fn renew_every(&self) -> Duration;
}

#[async_trait]
pub trait Lease: Send + Sync {
    /// Extends the lease; `false` once it is lost (it lapsed and another
    /// node took it), after which the job must stop.
    ///
    /// # Errors
    /// When the lease store cannot be reached; the lease may still be held.
    async fn renew(&mut self) -> Result<bool, LeaseError>;

    /// Gives the lease up at once, so another node need not wait for it to
    /// lapse.
    async fn release(self: Box<Self>);
}
