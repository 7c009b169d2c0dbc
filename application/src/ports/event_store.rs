//! Event stores, as the command executor sees them.

use cqrs_es::{Aggregate, AggregateContext, EventStore};
use herald_domain::TenantId;
use std::fmt;

/// Gives the event store of one tenant. A tenant's store cannot address
/// another tenant's aggregates, so scoping is not left to each caller.
pub trait TenantEventStores<A: Aggregate>: Send + Sync {
    type Store: EventStore<A, AC: StoredAggregate<A>>;

    /// The store a command runs on. It may load an aggregate from a cache
    /// that another node's commit has made stale: the commit then names a
    /// position the log has passed, is refused as a conflict, and the
    /// command is decided again on a fresh load.
    fn for_tenant(&self, tenant: &TenantId) -> Self::Store;

    /// A store whose loads are the aggregate as the log holds it now, for
    /// decisions that record nothing to be refused (a service window, the
    /// credentials to send with, the secret that checks a webhook): a
    /// cached state is used only once the log confirms it is the latest.
    fn for_tenant_current(&self, tenant: &TenantId) -> Self::Store;
}

/// A loaded aggregate and where its history ends in the event stream.
pub trait StoredAggregate<A: Aggregate>: AggregateContext<A> + Send {
    /// The stream position of the aggregate's last commit; 0 when it has none.
    fn position(&self) -> u64;
}

/// What went wrong in a store, beyond what cqrs-es can say. Adapters box it
/// into `AggregateError::DatabaseConnectionError` so that the executor can
/// tell the cases apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreFailure {
    pub kind: StoreFailureKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreFailureKind {
    /// The store could not be reached; nothing was recorded.
    Unavailable,
    /// The store did not confirm the write after every retry: the command
    /// may or may not have been recorded.
    OutcomeUnknown,
    /// The commit is larger than the store accepts.
    TooLarge,
    /// The command id was already recorded by an earlier command.
    DuplicateCommand,
}

impl StoreFailure {
    pub fn new(kind: StoreFailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for StoreFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreFailure {}
