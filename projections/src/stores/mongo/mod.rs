//! The MongoDB read store, through the official driver.
//!
//! Collections carry the seeds' names, fields and indexes; dates are BSON
//! dates. Writes do not need a replica set or transactions: each document
//! keeps the stamp (position and place in the commit) of the last change
//! applied to it, and a change whose stamp is not newer is skipped. A
//! deleted document leaves a tombstone, `{_id, _stamp, _deleted: true}`,
//! so that an older change arriving late cannot bring it back, and queries
//! never see tombstones. So when a batch is applied again after a crash, or
//! by a second writer that fell behind, nothing is applied twice or undone;
//! the checkpoint moves only from the position the writer expected.
//!
//! - `write`: changes under the stamp guard, and the checkpoint.
//! - `indexes`: collections and indexes as the specs say, built again when
//!   a spec changes.
//! - `convert`: JSON documents and filters to BSON and back.

mod convert;
mod indexes;
mod write;

use async_trait::async_trait;
use futures::TryStreamExt;
use herald_application::ports::read_store::{
    checkpoint_key, ApplyOutcome, ChangeBatch, CollectionSpec, FindQuery, Generation, LogBinding,
    Page, PromoteOutcome, ReadStore, ReadStoreError,
};
use mongodb::bson::{doc, Bson, Document as BsonDocument};
use mongodb::error::{Error as MongoError, ErrorKind, WriteFailure};
use mongodb::{Client, Collection, Database};

use convert::{filter_document, from_bson_document};
use indexes::key_document;

pub(super) const CHECKPOINTS: &str = "herald_checkpoints";
/// What the store knows of itself: the event log it serves.
const META: &str = "herald_meta";
const LOG_KEY: &str = "event_log";
const STORE_KEY: &str = "store";
const META_VALUE: &str = "value";
/// The field holding the stamp of the last change applied to a document.
pub(super) const STAMP: &str = "_stamp";
/// The field marking a deleted document's tombstone.
pub(super) const DELETED: &str = "_deleted";
pub(super) const DUPLICATE_KEY: i32 = 11000;
const NAMESPACE_NOT_FOUND: i32 = 26;

#[derive(Clone)]
pub struct MongoReadStore {
    client: Client,
    database: Database,
}

impl MongoReadStore {
    /// Connects to `uri` and uses database `database`.
    ///
    /// # Errors
    /// When the URI does not parse or the server does not answer a ping.
    pub async fn connect(uri: &str, database: &str) -> Result<Self, ReadStoreError> {
        let client = Client::with_uri_str(uri)
            .await
            .map_err(|e| ReadStoreError(format!("cannot use MongoDB at {uri}: {e}")))?;
        let database = client.database(database);
        database
            .run_command(doc! { "ping": 1 })
            .await
            .map_err(|e| ReadStoreError(format!("MongoDB does not answer: {e}")))?;
        Ok(Self { client, database })
    }

    /// Drops the whole database: for tests that need a clean store.
    ///
    /// # Errors
    /// When the server refuses.
    pub async fn drop_database(&self) -> Result<(), ReadStoreError> {
        self.database.drop().await.map_err(ReadStoreError::new)
    }

    pub(super) fn collection(
        &self,
        spec: &CollectionSpec,
        generation: Generation,
    ) -> Collection<BsonDocument> {
        self.database.collection(&spec.physical_name(generation))
    }

    pub(super) fn checkpoints(&self) -> Collection<BsonDocument> {
        self.database.collection(CHECKPOINTS)
    }

    pub(super) async fn stored_checkpoint(&self, key: &str) -> Result<u64, ReadStoreError> {
        let found = self
            .checkpoints()
            .find_one(doc! { "_id": key })
            .await
            .map_err(ReadStoreError::new)?;
        let Some(found) = found else {
            return Ok(0);
        };
        position_of(found.get("position")).ok_or_else(|| {
            ReadStoreError(format!(
                "the checkpoint {key} holds {:?}, not a position",
                found.get("position")
            ))
        })
    }

    /// The value under `key` in the store's own collection: `offered` if
    /// there was none, else the one stored first, whichever node offered it.
    async fn first_value(&self, key: &str, offered: &str) -> Result<String, ReadStoreError> {
        let meta = self.database.collection::<BsonDocument>(META);
        match meta
            .insert_one(doc! { "_id": key, META_VALUE: offered })
            .await
        {
            Err(error) if !has_code(&error, DUPLICATE_KEY) => {
                return Err(ReadStoreError::new(error));
            }
            _ => {}
        }
        let stored = meta
            .find_one(doc! { "_id": key })
            .await
            .map_err(ReadStoreError::new)?;
        stored
            .as_ref()
            .and_then(|d| d.get_str(META_VALUE).ok())
            .map(str::to_owned)
            .ok_or_else(|| ReadStoreError(format!("{META} holds no readable {key}")))
    }

    /// Renames the rebuilt collection over the live one. Every rebuild
    /// collection exists from the moment the rebuild is prepared, written
    /// to or not; so a missing one was renamed already, by an earlier
    /// attempt of this promote or by another node's, and the live
    /// collection is the promoted one: it is left as it is.
    async fn replace_live(&self, spec: &CollectionSpec) -> Result<(), ReadStoreError> {
        let name = self.database.name();
        let rename = doc! {
            "renameCollection": format!("{name}.{}", spec.physical_name(Generation::Rebuild)),
            "to": format!("{name}.{}", spec.physical_name(Generation::Live)),
            "dropTarget": true,
        };
        match self.client.database("admin").run_command(rename).await {
            Ok(_) => {}
            Err(error) if has_code(&error, NAMESPACE_NOT_FOUND) => {}
            Err(error) => return Err(ReadStoreError::new(error)),
        }
        self.prepare_collection(spec, Generation::Live).await
    }
}

#[async_trait]
impl ReadStore for MongoReadStore {
    async fn bind_log(&self, identity: &str) -> Result<LogBinding, ReadStoreError> {
        let bound = self.first_value(LOG_KEY, identity).await?;
        Ok(if bound == identity {
            LogBinding::Bound
        } else {
            LogBinding::Foreign(bound)
        })
    }

    async fn rebind_log(&self, identity: &str) -> Result<(), ReadStoreError> {
        self.database
            .collection::<BsonDocument>(META)
            .update_one(
                doc! { "_id": LOG_KEY },
                doc! { "$set": { META_VALUE: identity } },
            )
            .upsert(true)
            .await
            .map(drop)
            .map_err(ReadStoreError::new)
    }

    async fn store_id(&self) -> Result<String, ReadStoreError> {
        let made = uuid::Uuid::new_v4().simple().to_string();
        self.first_value(STORE_KEY, &made).await
    }

    async fn reset(
        &self,
        projection: &str,
        collections: &[&'static CollectionSpec],
    ) -> Result<(), ReadStoreError> {
        for generation in [Generation::Live, Generation::Rebuild] {
            for spec in collections {
                self.collection(spec, generation)
                    .drop()
                    .await
                    .map_err(ReadStoreError::new)?;
            }
            self.checkpoints()
                .delete_one(doc! { "_id": checkpoint_key(projection, generation) })
                .await
                .map_err(ReadStoreError::new)?;
        }
        Ok(())
    }

    async fn prepare(
        &self,
        collections: &[&'static CollectionSpec],
        generation: Generation,
    ) -> Result<(), ReadStoreError> {
        for spec in collections {
            self.prepare_collection(spec, generation).await?;
        }
        Ok(())
    }

    async fn discard_rebuild(
        &self,
        projection: &str,
        collections: &[&'static CollectionSpec],
    ) -> Result<(), ReadStoreError> {
        for spec in collections {
            self.collection(spec, Generation::Rebuild)
                .drop()
                .await
                .map_err(ReadStoreError::new)?;
        }
        let key = checkpoint_key(projection, Generation::Rebuild);
        self.checkpoints()
            .delete_one(doc! { "_id": key })
            .await
            .map(drop)
            .map_err(ReadStoreError::new)
    }

    async fn checkpoint(
        &self,
        projection: &str,
        generation: Generation,
    ) -> Result<u64, ReadStoreError> {
        self.stored_checkpoint(&checkpoint_key(projection, generation))
            .await
    }

    async fn apply(&self, batch: ChangeBatch) -> Result<ApplyOutcome, ReadStoreError> {
        let key = checkpoint_key(batch.projection, batch.generation);
        let stored = self.stored_checkpoint(&key).await?;
        if stored != batch.expected_checkpoint {
            return Ok(ApplyOutcome::CheckpointMoved { stored });
        }
        for (stamp, change) in &batch.changes {
            self.apply_change(*stamp, change, batch.generation).await?;
        }
        self.advance_checkpoint(&key, batch.expected_checkpoint, batch.checkpoint)
            .await
    }

    async fn promote(
        &self,
        projection: &str,
        collections: &[&'static CollectionSpec],
    ) -> Result<PromoteOutcome, ReadStoreError> {
        let rebuild = self.checkpoint(projection, Generation::Rebuild).await?;
        let live = self.checkpoint(projection, Generation::Live).await?;
        if rebuild < live {
            return Ok(PromoteOutcome::Behind { rebuild, live });
        }
        for spec in collections {
            self.replace_live(spec).await?;
        }
        self.set_checkpoint(&checkpoint_key(projection, Generation::Live), rebuild)
            .await?;
        let rebuild_key = checkpoint_key(projection, Generation::Rebuild);
        self.checkpoints()
            .delete_one(doc! { "_id": rebuild_key })
            .await
            .map_err(ReadStoreError::new)?;
        Ok(PromoteOutcome::Promoted {
            checkpoint: rebuild,
        })
    }

    async fn find(&self, query: &FindQuery) -> Result<Page, ReadStoreError> {
        let spec = query.collection;
        let mut filter = filter_document(&query.conditions, spec.date_fields)?;
        filter.insert(DELETED, doc! { "$exists": false });
        let mut page_filter = filter.clone();
        if !query.page_conditions.is_empty() {
            let on_page = filter_document(&query.page_conditions, spec.date_fields)?;
            page_filter = doc! { "$and": [page_filter, on_page] };
        }
        let sort = key_document(&query.sort);
        let collection = self.collection(spec, Generation::Live);
        let mut find = collection
            .find(page_filter)
            .sort(sort)
            .skip(query.skip)
            .projection(doc! { STAMP: 0, DELETED: 0 });
        if let Some(limit) = query.limit {
            find = find.limit(i64::try_from(limit).unwrap_or(i64::MAX));
        }
        let found: Vec<BsonDocument> = find
            .await
            .map_err(ReadStoreError::new)?
            .try_collect()
            .await
            .map_err(ReadStoreError::new)?;
        let mut count = collection.count_documents(filter);
        if let Some(limit) = query.count_limit {
            count = count.limit(limit);
        }
        let total = count.await.map_err(ReadStoreError::new)?;
        Ok(Page::found(
            found.into_iter().map(from_bson_document).collect(),
            total,
            query,
        ))
    }
}

/// A checkpoint's position, however it was written: as a 64- or 32-bit
/// integer (servers hand back small Int64s as Int32), or as a whole double,
/// which is what the mongo shell writes for a number typed by hand.
fn position_of(value: Option<&Bson>) -> Option<u64> {
    const LARGEST_EXACT_DOUBLE: f64 = 9_007_199_254_740_992.0;
    match value? {
        Bson::Int64(p) => u64::try_from(*p).ok(),
        Bson::Int32(p) => u64::try_from(*p).ok(),
        Bson::Double(p) if p.fract() == 0.0 && (0.0..=LARGEST_EXACT_DOUBLE).contains(p) => {
            Some(*p as u64)
        }
        _ => None,
    }
}

pub(super) fn as_i64(position: u64) -> Result<i64, ReadStoreError> {
    i64::try_from(position).map_err(ReadStoreError::new)
}

pub(super) fn has_code(error: &MongoError, code: i32) -> bool {
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == code,
        ErrorKind::Command(e) => e.code == code,
        _ => false,
    }
}
