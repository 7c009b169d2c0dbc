//! Leases in a NATS key-value bucket shared by every node (`HERALD_LEASES`).
//!
//! A lease is a key whose value names its holder. It is taken with a
//! create, which succeeds only for a missing key, and renewed with an
//! update naming the revision the holder wrote last, which fails once
//! anyone else has written the key. The bucket's maximum age makes a key
//! that is not renewed disappear, so a dead holder's lease lapses and the
//! next node's create succeeds.

use async_nats::jetstream::kv;
use async_trait::async_trait;
use herald_application::ports::lease::{Lease, LeaseError, Leases};
use std::time::Duration;

use super::log::EventLog;

pub struct JetStreamLeases {
    bucket: kv::Store,
    holder: String,
    ttl: Duration,
}

impl JetStreamLeases {
    /// Leases held in the name of `holder` (one per node).
    pub fn new(log: &EventLog, holder: impl Into<String>) -> Self {
        Self {
            bucket: log.leases.clone(),
            holder: holder.into(),
            ttl: log.config.lease_ttl,
        }
    }
}

#[async_trait]
impl Leases for JetStreamLeases {
    async fn try_acquire(&self, name: &str) -> Result<Option<Box<dyn Lease>>, LeaseError> {
        match self.bucket.create(name, self.holder.clone().into()).await {
            Ok(revision) => Ok(Some(Box::new(JetStreamLease {
                bucket: self.bucket.clone(),
                name: name.to_owned(),
                holder: self.holder.clone(),
                revision,
            }))),
            Err(error) if error.kind() == kv::CreateErrorKind::AlreadyExists => Ok(None),
            Err(error) => Err(LeaseError(error.to_string())),
        }
    }

    fn renew_every(&self) -> Duration {
        self.ttl / 3
    }
}

struct JetStreamLease {
    bucket: kv::Store,
    name: String,
    holder: String,
    revision: u64,
}

#[async_trait]
impl Lease for JetStreamLease {
    async fn renew(&mut self) -> Result<bool, LeaseError> {
        let value = self.holder.clone().into();
        match self.bucket.update(&self.name, value, self.revision).await {
            Ok(revision) => {
                self.revision = revision;
                Ok(true)
            }
            Err(error) if error.kind() == kv::UpdateErrorKind::WrongLastRevision => Ok(false),
            Err(error) => Err(LeaseError(error.to_string())),
        }
    }

    async fn release(self: Box<Self>) {
        // Only our own revision is deleted: a lease already lost stays
        // with its new holder.
        let _ = self
            .bucket
            .delete_expect_revision(&self.name, Some(self.revision))
            .await;
    }
}
