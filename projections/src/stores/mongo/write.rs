//! Applying changes and moving checkpoints, without transactions: each
//! document keeps the stamp of the last change applied to it.

use herald_application::ports::read_store::{
    ApplyOutcome, Change, Generation, ReadStoreError, Stamp,
};
use mongodb::bson::{doc, Document as BsonDocument};

use super::convert::{filter_document, to_bson_document};
use super::{as_i64, has_code, MongoReadStore, DUPLICATE_KEY, STAMP};

impl MongoReadStore {
    /// Moves the checkpoint from `expected` to `next`, unless another writer
    /// moved it first.
    pub(super) async fn advance_checkpoint(
        &self,
        key: &str,
        expected: u64,
        next: u64,
    ) -> Result<ApplyOutcome, ReadStoreError> {
        let filter = doc! { "_id": key, "position": as_i64(expected)? };
        let update = doc! { "$set": { "position": as_i64(next)? } };
        match self
            .checkpoints()
            .update_one(filter, update)
            .upsert(expected == 0)
            .await
        {
            Ok(result) if result.matched_count == 1 || result.upserted_id.is_some() => {
                Ok(ApplyOutcome::Applied)
            }
            Ok(_) => Ok(ApplyOutcome::CheckpointMoved {
                stored: self.stored_checkpoint(key).await?,
            }),
            Err(error) if has_code(&error, DUPLICATE_KEY) => Ok(ApplyOutcome::CheckpointMoved {
                stored: self.stored_checkpoint(key).await?,
            }),
            Err(error) => Err(ReadStoreError::new(error)),
        }
    }

    pub(super) async fn set_checkpoint(
        &self,
        key: &str,
        position: u64,
    ) -> Result<(), ReadStoreError> {
        self.checkpoints()
            .update_one(
                doc! { "_id": key },
                doc! { "$set": { "position": as_i64(position)? } },
            )
            .upsert(true)
            .await
            .map(drop)
            .map_err(ReadStoreError::new)
    }

    pub(super) async fn apply_change(
        &self,
        stamp: Stamp,
        change: &Change,
        generation: Generation,
    ) -> Result<(), ReadStoreError> {
        let stamp = stamp.as_i64();
        // Missing, or older than this change: `$or` rather than `$not`, which
        // some MongoDB-compatible services lack.
        let not_newer = |id: &str| doc! { "_id": id, "$or": [{ STAMP: { "$lt": stamp } }, { STAMP: { "$exists": false } }] };
        match change {
            Change::Put {
                collection,
                id,
                document,
            } => {
                let mut replacement = to_bson_document(document, collection.date_fields)?;
                replacement.insert("_id", id.as_str());
                replacement.insert(STAMP, stamp);
                match self
                    .collection(collection, generation)
                    .replace_one(not_newer(id), replacement)
                    .upsert(true)
                    .await
                {
                    // A document with this id and a newer stamp is there already.
                    Err(error) if has_code(&error, DUPLICATE_KEY) => Ok(()),
                    other => other.map(drop).map_err(ReadStoreError::new),
                }
            }
            Change::Update {
                collection,
                id,
                set,
                increment,
            } => {
                let mut fields = to_bson_document(set, collection.date_fields)?;
                fields.insert(STAMP, stamp);
                let mut update = doc! { "$set": fields };
                if !increment.is_empty() {
                    update.insert(
                        "$inc",
                        increment
                            .iter()
                            .map(|(field, by)| ((*field).to_owned(), (*by).into()))
                            .collect::<BsonDocument>(),
                    );
                }
                self.collection(collection, generation)
                    .update_one(not_newer(id), update)
                    .await
                    .map(drop)
                    .map_err(ReadStoreError::new)
            }
            Change::DeleteWhere {
                collection,
                conditions,
            } => self
                .collection(collection, generation)
                .delete_many(filter_document(conditions, collection.date_fields)?)
                .await
                .map(drop)
                .map_err(ReadStoreError::new),
        }
    }
}
