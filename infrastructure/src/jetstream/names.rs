//! Unique names in a NATS key-value bucket shared by every node
//! (`HERALD_NAMES`).
//!
//! A name is claimed with a create, which succeeds only for a missing key,
//! so two sign-ups racing for one e-mail address get one winner whichever
//! nodes they reach. Keys are the SHA-256 of the name, so an address
//! never appears in a subject; the value names the account and when it
//! claimed the name.

use async_nats::jetstream::kv;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use herald_application::accounts::ports::{NameHolder, NameRegistry, RegistryError, UniqueName};
use herald_domain::TenantId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::log::EventLog;

pub struct JetStreamNameRegistry {
    bucket: kv::Store,
}

impl JetStreamNameRegistry {
    pub fn new(log: &EventLog) -> Self {
        Self {
            bucket: log.names.clone(),
        }
    }

    async fn entry(&self, name: &UniqueName) -> Result<Option<(NameHolder, u64)>, RegistryError> {
        let entry = self
            .bucket
            .entry(key(name))
            .await
            .map_err(|e| RegistryError(e.to_string()))?;
        let Some(entry) = entry.filter(|e| e.operation == kv::Operation::Put) else {
            return Ok(None);
        };
        Ok(decode(&entry.value).map(|holder| (holder, entry.revision)))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredHolder {
    tenant: String,
    user: Uuid,
    claimed_at: DateTime<Utc>,
}

fn key(name: &UniqueName) -> String {
    let (kind, text) = match name {
        UniqueName::Email(email) => ("email", email.as_str()),
        UniqueName::Username(folded) => ("username", folded.as_str()),
        UniqueName::Transaction(id) => ("transaction", id.as_str()),
    };
    format!("{kind}.{}", hex::encode(Sha256::digest(text.as_bytes())))
}

fn encode(holder: &NameHolder) -> Result<bytes::Bytes, RegistryError> {
    let stored = StoredHolder {
        tenant: holder.tenant.to_string(),
        user: holder.user,
        claimed_at: holder.claimed_at,
    };
    serde_json::to_vec(&stored)
        .map(Into::into)
        .map_err(|e| RegistryError(e.to_string()))
}

fn decode(value: &[u8]) -> Option<NameHolder> {
    let stored: StoredHolder = serde_json::from_slice(value).ok()?;
    Some(NameHolder {
        tenant: TenantId::parse(&stored.tenant).ok()?,
        user: stored.user,
        claimed_at: stored.claimed_at,
    })
}

#[async_trait]
impl NameRegistry for JetStreamNameRegistry {
    async fn claim(
        &self,
        name: &UniqueName,
        holder: &NameHolder,
    ) -> Result<NameHolder, RegistryError> {
        // A claim given up between our create and our read leaves the key
        // free again: try once more.
        for _ in 0..2 {
            match self.bucket.create(key(name), encode(holder)?).await {
                Ok(_) => return Ok(holder.clone()),
                Err(error) if error.kind() == kv::CreateErrorKind::AlreadyExists => {}
                Err(error) => return Err(RegistryError(error.to_string())),
            }
            if let Some((current, _)) = self.entry(name).await? {
                return Ok(current);
            }
        }
        Err(RegistryError("the name kept changing hands".into()))
    }

    async fn take_over(
        &self,
        name: &UniqueName,
        from: &NameHolder,
        to: &NameHolder,
    ) -> Result<bool, RegistryError> {
        let Some((current, revision)) = self.entry(name).await? else {
            return Ok(false);
        };
        if !current.is_same_account(from) {
            return Ok(false);
        }
        match self.bucket.update(key(name), encode(to)?, revision).await {
            Ok(_) => Ok(true),
            Err(error) if error.kind() == kv::UpdateErrorKind::WrongLastRevision => Ok(false),
            Err(error) => Err(RegistryError(error.to_string())),
        }
    }

    async fn release(&self, name: &UniqueName, holder: &NameHolder) -> Result<(), RegistryError> {
        let Some((current, revision)) = self.entry(name).await? else {
            return Ok(());
        };
        if !current.is_same_account(holder) {
            return Ok(());
        }
        self.bucket
            .delete_expect_revision(key(name), Some(revision))
            .await
            .map_err(|e| RegistryError(e.to_string()))
    }

    async fn holder(&self, name: &UniqueName) -> Result<Option<NameHolder>, RegistryError> {
        Ok(self.entry(name).await?.map(|(holder, _)| holder))
    }
}
