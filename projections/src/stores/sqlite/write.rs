//! Applying batches, promoting rebuilds, discarding them: each in one
//! transaction with the checkpoint.

use herald_application::ports::read_store::{
    ApplyOutcome, Change, ChangeBatch, CollectionSpec, Condition, Document, Generation,
    PromoteOutcome, ReadStoreError,
};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

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
    let mut touched = Touched::default();
    for (_, change) in &batch.changes {
        if !touched.absorb(&tx, change, batch.generation)? {
            touched.flush(&tx)?;
            apply_change(&tx, change, batch.generation)?;
        }
    }
    touched.flush(&tx)?;
    write_checkpoint(&tx, batch.projection, batch.generation, batch.checkpoint)?;
    tx.commit().map_err(ReadStoreError::new)?;
    Ok(ApplyOutcome::Applied)
}

/// The documents a batch has put or updated by id, held until the batch
/// ends or a change needs the tables as they stand: a document that many
/// commits of one batch change (a campaign's counters, one per recipient's
/// outcome) is read once and written once, where each change read it,
/// parsed it, wrote it and updated every index again.
#[derive(Default)]
struct Touched {
    /// Each document's last state; `None` for one found missing.
    documents: HashMap<Key, Option<Document>>,
    /// The documents to write, in the order first changed.
    written: Vec<Key>,
    queued: HashSet<Key>,
}

/// A document: its table and id.
type Key = (String, String);

impl Touched {
    /// Takes the change in if it names its one document by id; `false`
    /// when it must run against the tables (after a flush).
    fn absorb(
        &mut self,
        tx: &Transaction<'_>,
        change: &Change,
        generation: Generation,
    ) -> Result<bool, ReadStoreError> {
        match change {
            Change::Put {
                collection,
                id,
                document,
            } => {
                let key = (table(collection, generation), id.clone());
                self.mark_written(&key);
                self.documents.insert(key, Some(document.clone()));
                Ok(true)
            }
            Change::Update {
                collection,
                id,
                set,
                increment,
            } => {
                let key = (table(collection, generation), id.clone());
                self.change(tx, key, |document| {
                    update_document(document, set, increment);
                    true
                })?;
                Ok(true)
            }
            Change::UpdateWhere {
                collection,
                conditions,
                set,
                increment,
            } => {
                let Some(id) = only_equalities_with_id(conditions) else {
                    return Ok(false);
                };
                let key = (table(collection, generation), id.to_owned());
                self.change(tx, key, |document| {
                    let meets = conditions.iter().all(|c| holds(c, document));
                    if meets {
                        update_document(document, set, increment);
                    }
                    meets
                })?;
                Ok(true)
            }
            Change::DeleteWhere { .. } => Ok(false),
        }
    }

    /// Changes the document in hand (read first if it is not), if it
    /// exists; `edit` says whether it changed anything.
    fn change(
        &mut self,
        tx: &Transaction<'_>,
        key: Key,
        edit: impl FnOnce(&mut Document) -> bool,
    ) -> Result<(), ReadStoreError> {
        if !self.documents.contains_key(&key) {
            let stored = get(tx, &key.0, &key.1)?;
            self.documents.insert(key.clone(), stored);
        }
        let Some(Some(document)) = self.documents.get_mut(&key) else {
            return Ok(());
        };
        if edit(document) {
            self.mark_written(&key);
        }
        Ok(())
    }

    /// Notes a document to write, once, in the order first changed.
    fn mark_written(&mut self, key: &Key) {
        if self.queued.insert(key.clone()) {
            self.written.push(key.clone());
        }
    }

    /// Writes what is held, and forgets it.
    fn flush(&mut self, tx: &Transaction<'_>) -> Result<(), ReadStoreError> {
        for key in self.written.drain(..) {
            if let Some(Some(document)) = self.documents.get(&key) {
                put(tx, &key.0, &key.1, document)?;
            }
        }
        self.documents.clear();
        self.queued.clear();
        Ok(())
    }
}

/// The id a change's conditions name, when every condition is an equality
/// (which can be checked on the document in hand).
fn only_equalities_with_id(conditions: &[Condition]) -> Option<&str> {
    if !conditions
        .iter()
        .all(|c| matches!(c, Condition::Equals(..)))
    {
        return None;
    }
    conditions.iter().find_map(|c| match c {
        Condition::Equals("_id", Value::String(id)) => Some(id.as_str()),
        _ => None,
    })
}

/// An equality as SQLite's `json_extract(doc, '$.field') = ?` decides it:
/// numbers by value, null for a missing field.
fn holds(condition: &Condition, document: &Document) -> bool {
    let Condition::Equals(field, expected) = condition else {
        return false;
    };
    let mut path = field.split('.');
    let first = path.next().and_then(|name| document.get(name));
    let actual = path.fold(first, |value, name| value.and_then(|v| v.get(name)));
    match (actual.unwrap_or(&Value::Null), expected) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
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
            indexed_for_search(tx, collection, generation)?;
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
            indexed_for_search(tx, collection, generation)?;
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

/// A rebuild's table is loaded without most of its indexes; a change that
/// finds documents by their fields gets them built first.
fn indexed_for_search(
    tx: &Transaction<'_>,
    collection: &CollectionSpec,
    generation: Generation,
) -> Result<(), ReadStoreError> {
    match generation {
        Generation::Live => Ok(()),
        Generation::Rebuild => create_indexes(tx, collection, generation),
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
