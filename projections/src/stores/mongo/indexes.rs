//! Collections and their indexes, kept as the collection specs say: an
//! index whose options changed since it was built is built again.

use herald_application::ports::read_store::{
    CollectionSpec, Generation, IndexSpec, ReadStoreError, SortOrder,
};
use mongodb::bson::{Bson, Document as BsonDocument};
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};
use tracing::info;

use super::{has_code, MongoReadStore};

const NAMESPACE_EXISTS: i32 = 48;
/// An index of that name exists with other options (`unique`, a filter).
const INDEX_OPTIONS_CONFLICT: i32 = 85;
/// An index of that name exists with other keys or options.
const INDEX_KEY_SPECS_CONFLICT: i32 = 86;

impl MongoReadStore {
    /// Creates the collection if it is missing, then its indexes. The
    /// collection is made even when no document will be written, so that a
    /// rebuild that wrote nothing can still be renamed over the live one.
    pub(super) async fn prepare_collection(
        &self,
        spec: &CollectionSpec,
        generation: Generation,
    ) -> Result<(), ReadStoreError> {
        let name = spec.physical_name(generation);
        match self.database.create_collection(&name).await {
            Err(error) if !has_code(&error, NAMESPACE_EXISTS) => {
                return Err(ReadStoreError::new(error));
            }
            _ => {}
        }
        let collection = self.collection(spec, generation);
        for index in spec.indexes {
            ensure_index(&collection, index).await?;
        }
        Ok(())
    }
}

/// Builds the index, or builds it again when one of its name was built
/// with other options: a spec that changes must not stop Herald starting.
async fn ensure_index(
    collection: &Collection<BsonDocument>,
    index: &IndexSpec,
) -> Result<(), ReadStoreError> {
    let model = index_model(index);
    match collection.create_index(model.clone()).await {
        Ok(_) => Ok(()),
        Err(error)
            if has_code(&error, INDEX_OPTIONS_CONFLICT)
                || has_code(&error, INDEX_KEY_SPECS_CONFLICT) =>
        {
            let name = index_name(index);
            info!(collection = collection.name(), index = %name, "index options changed; building it again");
            collection
                .drop_index(&name)
                .await
                .map_err(ReadStoreError::new)?;
            collection
                .create_index(model)
                .await
                .map(drop)
                .map_err(ReadStoreError::new)
        }
        Err(error) => Err(ReadStoreError::new(error)),
    }
}

/// A unique or sparse index covers only documents that have its fields:
/// a sparse one by definition, a unique one because a deleted document's
/// tombstone has none of them, and tombstones must not clash as nulls.
fn index_model(index: &IndexSpec) -> IndexModel {
    let mut options = IndexOptions::builder()
        .name(index_name(index))
        .unique(index.unique)
        .build();
    if index.unique || index.sparse {
        let present: BsonDocument = index
            .fields
            .iter()
            .map(|(field, _)| ((*field).to_owned(), Bson::Document(exists())))
            .collect();
        options.partial_filter_expression = Some(present);
    }
    IndexModel::builder()
        .keys(key_document(index.fields))
        .options(options)
        .build()
}

fn exists() -> BsonDocument {
    let mut exists = BsonDocument::new();
    exists.insert("$exists", true);
    exists
}

/// MongoDB's own default name (`userId_1_createdAt_-1`), given explicitly
/// so that a changed index can be dropped by it.
fn index_name(index: &IndexSpec) -> String {
    index
        .fields
        .iter()
        .map(|(field, order)| format!("{field}_{}", direction(*order)))
        .collect::<Vec<_>>()
        .join("_")
}

fn direction(order: SortOrder) -> i32 {
    match order {
        SortOrder::Ascending => 1,
        SortOrder::Descending => -1,
    }
}

/// Fields and directions as MongoDB writes index keys and sorts.
pub(super) fn key_document(fields: &[(&str, SortOrder)]) -> BsonDocument {
    fields
        .iter()
        .map(|(field, order)| ((*field).to_owned(), Bson::Int32(direction(*order))))
        .collect()
}
