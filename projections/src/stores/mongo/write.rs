//! Applying changes and moving checkpoints, without transactions: each
//! document, and each deleted document's tombstone, keeps the stamp of the
//! last change applied to it, and a change applies only over an older one.

use herald_application::ports::read_store::{
    ApplyOutcome, Change, Generation, ReadStoreError, Stamp,
};
use mongodb::bson::{doc, Document as BsonDocument};
use mongodb::error::{Error as MongoError, ErrorKind, WriteFailure};

use super::convert::{filter_document, to_bson_document};
use super::{as_i64, has_code, MongoReadStore, DELETED, DUPLICATE_KEY, STAMP};

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
        match change {
            Change::Put {
                collection,
                id,
                document,
            } => {
                let mut replacement = to_bson_document(document, collection.date_fields)?;
                replacement.insert("_id", id.as_str());
                replacement.insert(STAMP, stamp);
                let mut filter = older_than(stamp);
                filter.insert("_id", id.as_str());
                match self
                    .collection(collection, generation)
                    .replace_one(filter, replacement)
                    .upsert(true)
                    .await
                {
                    // The document, or its tombstone, has a newer stamp:
                    // the upsert's insert found its `_id` taken.
                    Err(error) if is_id_clash(&error) => Ok(()),
                    other => other.map(drop).map_err(ReadStoreError::new),
                }
            }
            Change::Update {
                collection,
                id,
                set,
                increment,
            } => {
                let update = set_and_increment(set, increment, collection.date_fields, stamp)?;
                let mut filter = older_than(stamp);
                filter.insert("_id", id.as_str());
                filter.insert(DELETED, doc! { "$exists": false });
                self.collection(collection, generation)
                    .update_one(filter, update)
                    .await
                    .map(drop)
                    .map_err(ReadStoreError::new)
            }
            Change::UpdateWhere {
                collection,
                conditions,
                set,
                increment,
            } => {
                let update = set_and_increment(set, increment, collection.date_fields, stamp)?;
                let mut filter = filter_document(conditions, collection.date_fields)?;
                filter.insert(DELETED, doc! { "$exists": false });
                let filter = doc! { "$and": [filter, older_than(stamp)] };
                self.collection(collection, generation)
                    .update_many(filter, update)
                    .await
                    .map(drop)
                    .map_err(ReadStoreError::new)
            }
            Change::DeleteWhere {
                collection,
                conditions,
            } => {
                // Each matching document older than this change becomes a
                // tombstone carrying its stamp; newer ones stay.
                let mut filter = filter_document(conditions, collection.date_fields)?;
                filter.insert(DELETED, doc! { "$exists": false });
                let filter = doc! { "$and": [filter, older_than(stamp)] };
                let tombstone = vec![doc! { "$replaceWith": {
                    "_id": "$_id", STAMP: stamp, DELETED: true,
                } }];
                self.collection(collection, generation)
                    .update_many(filter, tombstone)
                    .await
                    .map(drop)
                    .map_err(ReadStoreError::new)
            }
        }
    }
}

/// `$set` (with the stamp) and `$inc` of an update.
fn set_and_increment(
    set: &herald_application::ports::read_store::Document,
    increment: &[(&'static str, i64)],
    date_fields: &[&str],
    stamp: i64,
) -> Result<BsonDocument, ReadStoreError> {
    let mut fields = to_bson_document(set, date_fields)?;
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
    Ok(update)
}

/// Documents whose last change is older than `stamp`, or that have none.
/// `$or` rather than `$not`, which some MongoDB-compatible services lack.
fn older_than(stamp: i64) -> BsonDocument {
    doc! { "$or": [{ STAMP: { "$lt": stamp } }, { STAMP: { "$exists": false } }] }
}

/// A duplicate key on `_id` (MongoDB names that index `_id_`): the upsert
/// of a change found the document with a newer stamp. A clash on any other
/// unique index is a real conflict between two documents, and fails the
/// batch rather than dropping one of them.
fn is_id_clash(error: &MongoError) -> bool {
    let ErrorKind::Write(WriteFailure::WriteError(failure)) = error.kind.as_ref() else {
        return false;
    };
    failure.code == DUPLICATE_KEY && clashing_index(&failure.message) == Some("_id_")
}

/// The index an E11000 message names: `… index: <name> dup key: …`.
fn clashing_index(message: &str) -> Option<&str> {
    message.split(" index: ").nth(1)?.split_whitespace().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clashing_index_is_read_from_mongodbs_message() {
        let on_id =
            "E11000 duplicate key error collection: db.items index: _id_ dup key: { _id: \"a\" }";
        let on_email = "Plan executor error during update :: caused by :: E11000 duplicate key error collection: db.items index: email_1 dup key: { email: \"x\" }";
        assert_eq!(clashing_index(on_id), Some("_id_"));
        assert_eq!(clashing_index(on_email), Some("email_1"));
        assert_eq!(clashing_index("something else"), None);
    }
}
