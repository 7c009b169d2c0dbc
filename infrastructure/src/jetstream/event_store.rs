//! `cqrs_es::EventStore` on JetStream, one per aggregate type, scoped to a
//! tenant by [`JetStreamEventStore::for_tenant`].

use chrono::Utc;
use cqrs_es::{Aggregate, AggregateError, DomainEvent, EventEnvelope, EventStore};
use herald_application::metadata::keys;
use herald_application::ports::event_store::TenantEventStores;
use herald_domain::ids::check_subject_token;
use herald_domain::TenantId;
use serde_json::value::to_raw_value;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

use super::cache::{AggregateCache, CachedAggregate};
use super::envelope::{CommitEnvelope, StoredEvent};
use super::loaded::{catch_up, decode_event, load, read_failed, LoadedAggregate};
use super::log::EventLog;
use super::publish::{publish_commit, Commit, PublishFailure};
use super::reading::{last_commit, read_subject};
use super::snapshots::{self, snapshot_key, Snapshot};

/// The event store of one aggregate type, for every tenant. Cheap to clone.
pub struct JetStreamEventStore<A> {
    shared: Arc<Shared<A>>,
}

struct Shared<A> {
    log: EventLog,
    cache: AggregateCache<A>,
}

impl<A> Clone for JetStreamEventStore<A> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<A: Aggregate + Clone> JetStreamEventStore<A> {
    pub fn new(log: EventLog) -> Self {
        let cache = AggregateCache::new(log.config.cache_capacity);
        Self {
            shared: Arc::new(Shared { log, cache }),
        }
    }
}

impl<A: Aggregate + Clone + 'static> TenantEventStores<A> for JetStreamEventStore<A> {
    type Store = TenantEventStore<A>;

    fn for_tenant(&self, tenant: &TenantId) -> TenantEventStore<A> {
        TenantEventStore {
            shared: Arc::clone(&self.shared),
            tenant: tenant.to_string(),
            trust_cache: true,
        }
    }

    fn for_tenant_current(&self, tenant: &TenantId) -> TenantEventStore<A> {
        TenantEventStore {
            trust_cache: false,
            ..self.for_tenant(tenant)
        }
    }
}

/// The event store of one aggregate type and one tenant.
pub struct TenantEventStore<A> {
    shared: Arc<Shared<A>>,
    tenant: String,
    /// Whether a cached aggregate is used without asking the log whether
    /// another node has written to it since.
    trust_cache: bool,
}

impl<A: Aggregate + Clone + 'static> EventStore<A> for TenantEventStore<A> {
    type AC = LoadedAggregate<A>;

    async fn load_events(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        let subject = self.subject(aggregate_id)?;
        let commits = read_subject(&self.shared.log, &subject, 0, None)
            .await
            .map_err(read_failed)?;
        let mut envelopes = Vec::new();
        for commit in commits {
            let metadata = commit.envelope.metadata_at(commit.position);
            for event in &commit.envelope.events {
                envelopes.push(envelope(
                    aggregate_id,
                    event.sequence,
                    decode_event::<A>(event)?,
                    metadata.clone(),
                ));
            }
        }
        Ok(envelopes)
    }

    async fn load_aggregate(
        &self,
        aggregate_id: &str,
    ) -> Result<LoadedAggregate<A>, AggregateError<A::Error>> {
        let subject = self.subject(aggregate_id)?;
        let Some(cached) = self.shared.cache.get(&subject) else {
            let loaded = load(&self.shared.log, &self.tenant, aggregate_id, subject).await?;
            self.cache(&loaded);
            return Ok(loaded);
        };
        let loaded = LoadedAggregate {
            aggregate: cached.aggregate,
            aggregate_id: aggregate_id.to_owned(),
            subject,
            version: cached.version,
            position: cached.position,
        };
        if self.trust_cache {
            return Ok(loaded);
        }
        let last = last_commit(&self.shared.log, &loaded.subject)
            .await
            .map_err(read_failed)?;
        match last {
            Some(last) if last.position == loaded.position => Ok(loaded),
            // Another node (or another store of this one) wrote since.
            Some(last) if last.position > loaded.position => {
                let caught_up = catch_up(&self.shared.log, loaded, last).await?;
                self.cache(&caught_up);
                Ok(caught_up)
            }
            _ => {
                self.shared.cache.forget(&loaded.subject);
                load(&self.shared.log, &self.tenant, aggregate_id, loaded.subject).await
            }
        }
    }

    async fn commit(
        &self,
        events: Vec<A::Event>,
        context: LoadedAggregate<A>,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let envelope = self.commit_envelope(&context, &events, metadata)?;
        let body = serde_json::to_vec(&envelope)
            .map_err(|e| AggregateError::UnexpectedError(Box::new(e)))?;
        let commit = Commit {
            subject: &context.subject,
            command_id: &envelope.command_id,
            aggregate_type: A::TYPE,
            expected_position: context.position,
            body: body.into(),
        };
        let position = match publish_commit(&self.shared.log, &commit).await {
            Ok(position) => position,
            Err(failure) => {
                self.shared.cache.forget(&context.subject);
                return Err(match failure {
                    PublishFailure::Conflict => AggregateError::AggregateConflict,
                    PublishFailure::Failed(failure) => {
                        AggregateError::DatabaseConnectionError(Box::new(failure))
                    }
                });
            }
        };
        let version = envelope.last_sequence();
        let mut committed: Vec<_> = events
            .into_iter()
            .zip(context.version + 1..)
            .map(|(event, sequence)| {
                self::envelope(&context.aggregate_id, sequence, event, HashMap::new())
            })
            .collect();
        share(&mut committed, envelope.into_metadata_at(position));
        self.remember(context, version, position).await;
        Ok(committed)
    }
}

impl<A: Aggregate + Clone> TenantEventStore<A> {
    /// Keeps a loaded aggregate for the next load, which then reads only
    /// what was recorded since.
    fn cache(&self, loaded: &LoadedAggregate<A>) {
        if loaded.position == 0 {
            return;
        }
        let entry = CachedAggregate {
            aggregate: loaded.aggregate.clone(),
            version: loaded.version,
            position: loaded.position,
        };
        self.shared.cache.put(loaded.subject.clone(), entry);
    }

    fn subject(&self, aggregate_id: &str) -> Result<String, AggregateError<A::Error>> {
        check_subject_token(aggregate_id).map_err(|e| {
            AggregateError::UnexpectedError(
                format!("aggregate id {aggregate_id:?} cannot be stored: it {e}").into(),
            )
        })?;
        Ok(self.shared.log.subject(&self.tenant, A::TYPE, aggregate_id))
    }

    fn commit_envelope(
        &self,
        context: &LoadedAggregate<A>,
        events: &[A::Event],
        metadata: HashMap<String, String>,
    ) -> Result<CommitEnvelope, AggregateError<A::Error>> {
        let stored = events
            .iter()
            .zip(context.version + 1..)
            .map(|(event, sequence)| {
                Ok(StoredEvent {
                    sequence,
                    event_type: event.event_type(),
                    version: event.event_version(),
                    payload: to_raw_value(event)
                        .map_err(|e| AggregateError::UnexpectedError(Box::new(e)))?,
                })
            })
            .collect::<Result<Vec<_>, AggregateError<A::Error>>>()?;
        // The id and tenant are stored once, at the top of the commit.
        let mut metadata = metadata;
        metadata.remove(keys::TENANT);
        let command_id = metadata
            .remove(keys::COMMAND_ID)
            .unwrap_or_else(|| Uuid::now_v7().to_string());
        Ok(CommitEnvelope {
            command_id,
            tenant: self.tenant.clone(),
            aggregate_type: A::TYPE.to_owned(),
            aggregate_id: context.aggregate_id.clone(),
            recorded_at: Utc::now(),
            metadata,
            events: stored,
        })
    }

    /// Caches the aggregate as committed, and snapshots it each time it
    /// passes a multiple of `snapshot_every` events.
    async fn remember(&self, context: LoadedAggregate<A>, version: u64, position: u64) {
        let every = self.shared.log.config.snapshot_every.max(1);
        if version / every > context.version / every {
            let key = snapshot_key(&self.tenant, A::TYPE, &context.aggregate_id);
            let snapshot = Snapshot {
                version,
                position,
                state: context.aggregate.clone(),
            };
            snapshots::save(&self.shared.log, &key, &snapshot).await;
        }
        let entry = CachedAggregate {
            aggregate: context.aggregate,
            version,
            position,
        };
        self.shared.cache.put(context.subject, entry);
    }
}

/// Gives every envelope the commit's metadata, copying it for all but one.
fn share<A: Aggregate>(envelopes: &mut [EventEnvelope<A>], metadata: HashMap<String, String>) {
    if let Some((last, others)) = envelopes.split_last_mut() {
        for envelope in others {
            envelope.metadata = metadata.clone();
        }
        last.metadata = metadata;
    }
}

fn envelope<A: Aggregate>(
    aggregate_id: &str,
    sequence: u64,
    payload: A::Event,
    metadata: HashMap<String, String>,
) -> EventEnvelope<A> {
    EventEnvelope {
        aggregate_id: aggregate_id.to_owned(),
        sequence: usize::try_from(sequence).unwrap_or(usize::MAX),
        payload,
        metadata,
    }
}
