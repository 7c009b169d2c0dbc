//! Applying batches, promoting rebuilds, discarding them: each in one
//! transaction with the checkpoint.

use herald_application::ports::read_store::{
    ApplyOutcome, Change, ChangeBatch, CollectionSpec, Document, Generation, PromoteOutcome,
    ReadStoreError,
};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde_json::Value;

use super::query::where_clause;
use super::schema::{
    self, create_indexes, delete_checkpoint, index_name, read_checkpoint, table, write_checkpoint,
};

pub(super) fn apply(
    db: &mut Connection,
    batch: &ChangeBatch,
) -> Result<ApplyOutcome, ReadStoreError> {
    let tx = begin(db)?;
    let stored = read_checkpoint(&tx, batch.projection, batch.generation)?;
    if stored != batch.expected_checkpoint {
        return Ok(ApplyOutcome::CheckpointMoved { stored });
    }
    for (_, change) in &batch.changes {
        apply_change(&tx, change, batch.generation)?;
    }
    write_checkpoint(&tx, batch.projection, batch.generation, batch.checkpoint)?;
    tx.commit().map_err(ReadStoreError::new)?;
    Ok(ApplyOutcome::Applied)
}

fn apply_change(
    tx: &Transaction<'_>,
    change: &Change,
    generation: Generation,
) -> Result<(), ReadStoreError> {
    match change {
        Change::Put {
            collection,
            id,
            document,
        } => put(tx, &table(collection, generation), id, document),
        Change::Update {
            collection,
            id,
            set,
            increment,
        } => {
            let table = table(collection, generation);
            let Some(mut document) = get(tx, &table, id)? else {
                return Ok(());
            };
            update_document(&mut document, set, increment);
            put(tx, &table, id, &document)
        }
        Change::UpdateWhere {
            collection,
            conditions,
            set,
            increment,
        } => {
            let table = table(collection, generation);
            for (id, mut document) in matching(tx, &table, conditions)? {
                update_document(&mut document, set, increment);
                put(tx, &table, &id, &document)?;
            }
            Ok(())
        }
        Change::DeleteWhere {
            collection,
            conditions,
        } => {
            let (filter, parameters) = where_clause(conditions)?;
            tx.execute(
                &format!("DELETE FROM {}{filter}", table(collection, generation)),
                rusqlite::params_from_iter(parameters.iter()),
            )
            .map(drop)
            .map_err(ReadStoreError::new)
        }
    }
}

/// The documents meeting every condition, with their ids.
fn matching(
    tx: &Transaction<'_>,
    table: &str,
    conditions: &[herald_application::ports::read_store::Condition],
) -> Result<Vec<(String, Document)>, ReadStoreError> {
    let (filter, parameters) = where_clause(conditions)?;
    let mut statement = tx
        .prepare_cached(&format!("SELECT id, json(doc) FROM {table}{filter}"))
        .map_err(ReadStoreError::new)?;
    let rows = statement
        .query_map(rusqlite::params_from_iter(parameters.iter()), |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(ReadStoreError::new)?;
    rows.map(|row| {
        let (id, text) = row.map_err(ReadStoreError::new)?;
        Ok((
            id,
            serde_json::from_str(&text).map_err(ReadStoreError::new)?,
        ))
    })
    .collect()
}

fn get(tx: &Transaction<'_>, table: &str, id: &str) -> Result<Option<Document>, ReadStoreError> {
    let text: Option<String> = tx
        .prepare_cached(&format!("SELECT json(doc) FROM {table} WHERE id = ?1"))
        .and_then(|mut s| s.query_row([id], |row| row.get(0)).optional())
        .map_err(ReadStoreError::new)?;
    text.map(|t| serde_json::from_str(&t).map_err(ReadStoreError::new))
        .transpose()
}

fn put(
    tx: &Transaction<'_>,
    table: &str,
    id: &str,
    document: &Document,
) -> Result<(), ReadStoreError> {
    let text = serde_json::to_string(document).map_err(ReadStoreError::new)?;
    tx.prepare_cached(&format!(
        "INSERT INTO {table} (id, doc) VALUES (?1, jsonb(?2)) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc"
    ))
    .and_then(|mut s| s.execute([id, text.as_str()]))
    .map(drop)
    .map_err(ReadStoreError::new)
}

/// `$set` and `$inc` as MongoDB does them: a counter that is missing or
/// null starts from 0.
pub(super) fn update_document(document: &mut Document, set: &Document, increment: &[(&str, i64)]) {
    for (field, value) in set {
        document.insert(field.clone(), value.clone());
    }
    for (field, by) in increment {
        let current = document.get(*field);
        let next = match current.and_then(Value::as_i64) {
            Some(i) => Value::from(i.saturating_add(*by)),
            None => match current.and_then(Value::as_f64) {
                Some(f) => Value::from(f + *by as f64),
                None => Value::from(*by),
            },
        };
        document.insert((*field).to_owned(), next);
    }
}

/// Replaces the live tables by the rebuilt ones, if the rebuild has read at
/// least as far as the live projection.
pub(super) fn promote(
    db: &mut Connection,
    projection: &str,
    collections: &[&CollectionSpec],
) -> Result<PromoteOutcome, ReadStoreError> {
    let tx = begin(db)?;
    let rebuild = read_checkpoint(&tx, projection, Generation::Rebuild)?;
    let live = read_checkpoint(&tx, projection, Generation::Live)?;
    if rebuild < live {
        return Ok(PromoteOutcome::Behind { rebuild, live });
    }
    schema::create_collections(&tx, collections, Generation::Rebuild)?;
    for spec in collections {
        for index in spec.indexes {
            tx.execute_batch(&format!(
                "DROP INDEX IF EXISTS {}",
                index_name(spec, Generation::Rebuild, index)
            ))
            .map_err(ReadStoreError::new)?;
        }
        let (live_table, rebuilt) = (
            table(spec, Generation::Live),
            table(spec, Generation::Rebuild),
        );
        tx.execute_batch(&format!(
            "DROP TABLE IF EXISTS {live_table}; ALTER TABLE {rebuilt} RENAME TO {live_table};"
        ))
        .map_err(ReadStoreError::new)?;
        create_indexes(&tx, spec, Generation::Live)?;
    }
    write_checkpoint(&tx, projection, Generation::Live, rebuild)?;
    delete_checkpoint(&tx, projection, Generation::Rebuild)?;
    tx.commit().map_err(ReadStoreError::new)?;
    Ok(PromoteOutcome::Promoted {
        checkpoint: rebuild,
    })
}

pub(super) fn discard_rebuild(
    db: &mut Connection,
    projection: &str,
    collections: &[&CollectionSpec],
) -> Result<(), ReadStoreError> {
    let tx = begin(db)?;
    for spec in collections {
        tx.execute_batch(&format!(
            "DROP TABLE IF EXISTS {}",
            table(spec, Generation::Rebuild)
        ))
        .map_err(ReadStoreError::new)?;
    }
    delete_checkpoint(&tx, projection, Generation::Rebuild)?;
    tx.commit().map_err(ReadStoreError::new)
}

/// Drops a projection's tables, live and rebuilt, and its checkpoints.
pub(super) fn reset(
    db: &mut Connection,
    projection: &str,
    collections: &[&CollectionSpec],
) -> Result<(), ReadStoreError> {
    let tx = begin(db)?;
    for generation in [Generation::Live, Generation::Rebuild] {
        for spec in collections {
            tx.execute_batch(&format!("DROP TABLE IF EXISTS {}", table(spec, generation)))
                .map_err(ReadStoreError::new)?;
        }
        delete_checkpoint(&tx, projection, generation)?;
    }
    tx.commit().map_err(ReadStoreError::new)
}

/// Takes the write lock at once, so two writers never deadlock upgrading.
fn begin(db: &mut Connection) -> Result<Transaction<'_>, ReadStoreError> {
    db.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(ReadStoreError::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document(value: Value) -> Document {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn updates_set_fields_and_add_to_counters() {
        let mut doc = document(json!({ "status": "draft", "sentCount": 2 }));
        update_document(
            &mut doc,
            &document(json!({ "status": "running" })),
            &[("sentCount", 3)],
        );
        assert_eq!(
            Value::Object(doc),
            json!({ "status": "running", "sentCount": 5 })
        );
    }

    #[test]
    fn a_missing_or_null_counter_counts_from_zero() {
        let mut doc = document(json!({ "failedCount": null }));
        update_document(
            &mut doc,
            &Document::new(),
            &[("failedCount", 1), ("sentCount", 2)],
        );
        assert_eq!(
            Value::Object(doc),
            json!({ "failedCount": 1, "sentCount": 2 })
        );
    }
}
