//! Running a command: load the aggregate, let it decide, record its events,
//! and try again when another command on the same aggregate got there first.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, AggregateContext, AggregateError, EventEnvelope, EventStore};
use std::time::Duration;
use tracing::{debug, instrument};

use herald_domain::TenantId;

use crate::metadata::{keys, CommandMetadata};
use crate::ports::event_store::{
    StoreFailure, StoreFailureKind, StoredAggregate, TenantEventStores,
};
use crate::subscriptions::OverLimit;

/// Where a command was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandReceipt {
    pub aggregate_id: String,
    /// The stream position of the commit; a query may wait for projections
    /// to reach it. A command that changed nothing gives the aggregate's
    /// current position.
    pub position: u64,
    pub events: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The aggregate refused the command.
    #[error(transparent)]
    Rejected(E),
    /// The tenant's plan allows no more of what the command would use.
    #[error("{0}")]
    OverLimit(OverLimit),
    /// Other commands kept changing the aggregate while this one was decided.
    #[error("the {0} kept changing while this command ran; try again")]
    Conflict(&'static str),
    /// The event store failed in a way the client should know about.
    #[error("{0}")]
    Store(StoreFailure),
    /// A fault of Herald's: logged, never shown to clients in detail.
    #[error("internal error: {0}")]
    Internal(String),
}

impl<E: std::error::Error> CommandError<E> {
    /// The same error, with the aggregate's refusal turned into `F`: a
    /// service that runs commands on several aggregates answers with one
    /// refusal type.
    pub fn map_rejected<F: std::error::Error>(
        self,
        refusal: impl FnOnce(E) -> F,
    ) -> CommandError<F> {
        match self {
            Self::Rejected(e) => CommandError::Rejected(refusal(e)),
            Self::OverLimit(over) => CommandError::OverLimit(over),
            Self::Conflict(what) => CommandError::Conflict(what),
            Self::Store(failure) => CommandError::Store(failure),
            Self::Internal(detail) => CommandError::Internal(detail),
        }
    }
}

/// Runs commands of one aggregate type against per-tenant event stores.
pub struct CommandExecutor<A: Aggregate, S> {
    stores: S,
    services: A::Services,
    max_attempts: u32,
}

impl<A, S> CommandExecutor<A, S>
where
    A: Aggregate,
    A::Command: Clone,
    S: TenantEventStores<A>,
{
    /// How many times a command is decided before a conflict is reported.
    pub const DEFAULT_ATTEMPTS: u32 = 10;

    pub fn new(stores: S, services: A::Services) -> Self {
        Self {
            stores,
            services,
            max_attempts: Self::DEFAULT_ATTEMPTS,
        }
    }

    /// The aggregate `aggregate_id` of `tenant` as the log holds it now (a
    /// default one when it has no events), whichever node last wrote it.
    ///
    /// # Errors
    /// `Store` and `Internal` when the store fails.
    pub async fn load(
        &self,
        tenant: &TenantId,
        aggregate_id: &str,
    ) -> Result<A, CommandError<A::Error>>
    where
        A: Clone,
    {
        let mut context = self
            .stores
            .for_tenant_current(tenant)
            .load_aggregate(aggregate_id)
            .await
            .map_err(store_error::<A>)?;
        Ok(context.aggregate().clone())
    }

    /// # Errors
    /// [`CommandError::Rejected`] when the aggregate refuses, `Conflict` after
    /// [`Self::DEFAULT_ATTEMPTS`] concurrent writes, `Store` and `Internal`
    /// when the store fails.
    #[instrument(skip(self, command, metadata), fields(aggregate = A::TYPE, command_id = %metadata.command_id))]
    pub async fn execute(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, CommandError<A::Error>> {
        let (cached, current) = (
            self.stores.for_tenant(&metadata.tenant),
            self.stores.for_tenant_current(&metadata.tenant),
        );
        let mut checked_current = false;
        let recorded = metadata.to_map();
        for attempt in 1..=self.max_attempts {
            let store = if checked_current { &current } else { &cached };
            let mut context = store
                .load_aggregate(aggregate_id)
                .await
                .map_err(store_error::<A>)?;
            let decided = decide(&mut context, command.clone(), &self.services).await;
            // A refusal, or a command with nothing to do, commits nothing,
            // so no conflict would reveal that another node changed the
            // aggregate since this one cached it: decide it again on the
            // aggregate as the log holds it.
            let commits_nothing = match &decided {
                Ok(events) => events.is_empty(),
                Err(error) => matches!(error, CommandError::Rejected(_)),
            };
            if commits_nothing && !checked_current {
                checked_current = true;
                continue;
            }
            let events = decided?;
            if events.is_empty() {
                return Ok(CommandReceipt {
                    aggregate_id: aggregate_id.to_owned(),
                    position: context.position(),
                    events: 0,
                });
            }
            match store.commit(events, context, recorded.clone()).await {
                Ok(committed) => return receipt(aggregate_id, &committed),
                Err(AggregateError::AggregateConflict) => {
                    debug!(attempt, "concurrent write; deciding again");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(error) => return Err(store_error::<A>(error)),
            }
        }
        Err(CommandError::Conflict(A::TYPE))
    }
}

async fn decide<A: Aggregate, C: AggregateContext<A>>(
    context: &mut C,
    command: A::Command,
    services: &A::Services,
) -> Result<Vec<A::Event>, CommandError<A::Error>> {
    let sink = EventSink::default();
    context
        .aggregate()
        .handle(command, services, &sink)
        .await
        .map_err(CommandError::Rejected)?;
    Ok(sink.collect().await)
}

/// A short random pause, longer with each attempt, so that commands racing
/// for one aggregate do not collide again in step.
fn backoff(attempt: u32) -> Duration {
    let ceiling = (1u64 << attempt.min(16)).min(64) * 1_000;
    Duration::from_micros(fastrand::u64(0..=ceiling))
}

fn receipt<A: Aggregate>(
    aggregate_id: &str,
    committed: &[EventEnvelope<A>],
) -> Result<CommandReceipt, CommandError<A::Error>> {
    let position = committed
        .last()
        .and_then(|e| e.metadata.get(keys::POSITION))
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| {
            CommandError::Internal("the event store returned no position for a commit".into())
        })?;
    Ok(CommandReceipt {
        aggregate_id: aggregate_id.to_owned(),
        position,
        events: committed.len(),
    })
}

fn store_error<A: Aggregate>(error: AggregateError<A::Error>) -> CommandError<A::Error> {
    match error {
        AggregateError::UserError(e) => CommandError::Rejected(e),
        AggregateError::AggregateConflict => CommandError::Conflict(A::TYPE),
        AggregateError::DatabaseConnectionError(e) => match e.downcast::<StoreFailure>() {
            Ok(failure) => CommandError::Store(*failure),
            Err(other) => CommandError::Store(StoreFailure::new(
                StoreFailureKind::Unavailable,
                other.to_string(),
            )),
        },
        AggregateError::DeserializationError(e) => {
            CommandError::Internal(format!("stored events do not read back: {e}"))
        }
        AggregateError::UnexpectedError(e) => CommandError::Internal(e.to_string()),
    }
}
