//! Loading an aggregate from the event log.

use cqrs_es::{Aggregate, AggregateContext, AggregateError};
use herald_application::ports::event_store::{StoreFailure, StoreFailureKind, StoredAggregate};

use super::envelope::StoredEvent;
use super::log::EventLog;
use super::reading::{last_commit, read_subject, ReadError, StoredCommit};
use super::snapshots::{self, snapshot_key};

/// An aggregate as loaded, with where its history ends.
#[derive(Debug)]
pub struct LoadedAggregate<A> {
    pub(super) aggregate: A,
    pub(super) aggregate_id: String,
    pub(super) subject: String,
    /// The aggregate sequence of its last event; 0 when it has none.
    pub(super) version: u64,
    /// The stream position of its last commit; 0 when it has none.
    pub(super) position: u64,
}

impl<A: Aggregate> AggregateContext<A> for LoadedAggregate<A> {
    fn aggregate(&mut self) -> &mut A {
        &mut self.aggregate
    }
}

impl<A: Aggregate> StoredAggregate<A> for LoadedAggregate<A> {
    fn position(&self) -> u64 {
        self.position
    }
}

impl<A: Aggregate> LoadedAggregate<A> {
    pub(super) fn new(aggregate_id: &str, subject: String) -> Self {
        Self {
            aggregate: A::default(),
            aggregate_id: aggregate_id.to_owned(),
            subject,
            version: 0,
            position: 0,
        }
    }

    /// Folds in a commit's events that the aggregate does not have yet.
    pub(super) fn apply_commit(
        &mut self,
        commit: StoredCommit,
    ) -> Result<(), AggregateError<A::Error>> {
        for event in commit.envelope.events {
            if event.sequence <= self.version {
                continue;
            }
            self.aggregate.apply(decode_event::<A>(&event)?);
            self.version = event.sequence;
        }
        self.position = self.position.max(commit.position);
        Ok(())
    }
}

/// Loads an aggregate from the stream: the last commit first, which is all
/// a young aggregate has; otherwise the snapshot, if there is one, and the
/// commits after it.
pub(super) async fn load<A: Aggregate>(
    log: &EventLog,
    tenant: &str,
    aggregate_id: &str,
    subject: String,
) -> Result<LoadedAggregate<A>, AggregateError<A::Error>> {
    let mut loaded = LoadedAggregate::new(aggregate_id, subject);
    let Some(last) = last_commit(log, &loaded.subject)
        .await
        .map_err(read_failed)?
    else {
        return Ok(loaded);
    };
    let first_of_last = last.envelope.first_sequence();
    if first_of_last > 1 && last.envelope.last_sequence() >= log.config.snapshot_every {
        let key = snapshot_key(tenant, A::TYPE, aggregate_id);
        if let Some(snapshot) = snapshots::load::<A>(log, &key)
            .await
            .filter(|s| s.position <= last.position)
        {
            loaded.aggregate = snapshot.state;
            loaded.version = snapshot.version;
            loaded.position = snapshot.position;
        }
    }
    if loaded.version + 1 < first_of_last {
        let between = read_subject(
            log,
            &loaded.subject,
            loaded.position + 1,
            Some(last.position - 1),
        )
        .await
        .map_err(read_failed)?;
        for commit in between.into_iter().filter(|c| c.position < last.position) {
            loaded.apply_commit(commit)?;
        }
    }
    loaded.apply_commit(last)?;
    Ok(loaded)
}

/// Brings an aggregate loaded earlier up to `last`, the subject's last
/// commit now: only the commits recorded since are read and applied. A
/// node that cached a campaign of 100,000 recipients reads the few batches
/// another node recorded, not the whole campaign again.
pub(super) async fn catch_up<A: Aggregate>(
    log: &EventLog,
    mut loaded: LoadedAggregate<A>,
    last: StoredCommit,
) -> Result<LoadedAggregate<A>, AggregateError<A::Error>> {
    if last.position > loaded.position + 1 {
        let between = read_subject(
            log,
            &loaded.subject,
            loaded.position + 1,
            Some(last.position - 1),
        )
        .await
        .map_err(read_failed)?;
        for commit in between {
            loaded.apply_commit(commit)?;
        }
    }
    loaded.apply_commit(last)?;
    Ok(loaded)
}

pub(super) fn decode_event<A: Aggregate>(
    event: &StoredEvent,
) -> Result<A::Event, AggregateError<A::Error>> {
    serde_json::from_str(event.payload.get()).map_err(|e| {
        AggregateError::DeserializationError(
            format!(
                "{} #{} does not read back: {e}",
                event.event_type, event.sequence
            )
            .into(),
        )
    })
}

pub(super) fn read_failed<E: std::error::Error>(error: ReadError) -> AggregateError<E> {
    AggregateError::DatabaseConnectionError(Box::new(StoreFailure::new(
        StoreFailureKind::Unavailable,
        error.to_string(),
    )))
}
