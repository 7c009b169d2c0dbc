//! Tables, indexes and checkpoints.

use herald_application::ports::read_store::{
    checkpoint_key, CollectionSpec, Generation, IndexSpec, ReadStoreError, SortOrder,
};
use rusqlite::{Connection, OptionalExtension};

const CHECKPOINTS: &str = "herald_checkpoints";

pub(super) fn create_checkpoints(db: &Connection) -> Result<(), ReadStoreError> {
    db.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (projection TEXT PRIMARY KEY, position INTEGER NOT NULL)"
    ))
    .map_err(ReadStoreError::new)
}

pub(super) fn read_checkpoint(
    db: &Connection,
    projection: &str,
    generation: Generation,
) -> Result<u64, ReadStoreError> {
    // Read and written with every batch: prepared once per connection.
    let position: Option<i64> = db
        .prepare_cached(&format!(
            "SELECT position FROM {CHECKPOINTS} WHERE projection = ?1"
        ))
        .and_then(|mut statement| {
            statement
                .query_row([checkpoint_key(projection, generation)], |row| row.get(0))
                .optional()
        })
        .map_err(ReadStoreError::new)?;
    Ok(position.map_or(0, |p| u64::try_from(p).unwrap_or(0)))
}

pub(super) fn write_checkpoint(
    db: &Connection,
    projection: &str,
    generation: Generation,
    position: u64,
) -> Result<(), ReadStoreError> {
    let position = i64::try_from(position).map_err(ReadStoreError::new)?;
    db.prepare_cached(&format!(
        "INSERT INTO {CHECKPOINTS} (projection, position) VALUES (?1, ?2)
         ON CONFLICT (projection) DO UPDATE SET position = excluded.position"
    ))
    .and_then(|mut statement| {
        statement.execute(rusqlite::params![
            checkpoint_key(projection, generation),
            position
        ])
    })
    .map(drop)
    .map_err(ReadStoreError::new)
}

pub(super) fn delete_checkpoint(
    db: &Connection,
    projection: &str,
    generation: Generation,
) -> Result<(), ReadStoreError> {
    db.execute(
        &format!("DELETE FROM {CHECKPOINTS} WHERE projection = ?1"),
        [checkpoint_key(projection, generation)],
    )
    .map(drop)
    .map_err(ReadStoreError::new)
}

/// A rebuild's tables get only their unique indexes (which must refuse a
/// clash at the batch that makes it): the others are built once, when the
/// rebuild is promoted, over the whole table, which is far faster than
/// keeping them up to date row by row. A change that must find documents by
/// other fields builds them first ([`create_indexes`]).
pub(super) fn create_collections(
    db: &Connection,
    collections: &[&CollectionSpec],
    generation: Generation,
) -> Result<(), ReadStoreError> {
    for spec in collections {
        let table = table(spec, generation);
        db.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL)"
        ))
        .map_err(ReadStoreError::new)?;
        match generation {
            Generation::Live => create_indexes(db, spec, generation)?,
            Generation::Rebuild => create_indexes_that(db, spec, generation, |i| i.unique)?,
        }
    }
    Ok(())
}

pub(super) fn create_indexes(
    db: &Connection,
    spec: &CollectionSpec,
    generation: Generation,
) -> Result<(), ReadStoreError> {
    create_indexes_that(db, spec, generation, |_| true)
}

fn create_indexes_that(
    db: &Connection,
    spec: &CollectionSpec,
    generation: Generation,
    wanted: impl Fn(&IndexSpec) -> bool,
) -> Result<(), ReadStoreError> {
    for index in spec.indexes.iter().filter(|index| wanted(index)) {
        let name = index_name(spec, generation, index);
        let sql = index_sql(&name, &table(spec, generation), index)?;
        ensure_index(db, &name, &sql)?;
    }
    Ok(())
}

/// Creates the index, or creates it again when the one of that name was
/// made from other SQL: a spec that changes must take effect, not be
/// skipped by `IF NOT EXISTS`.
fn ensure_index(db: &Connection, name: &str, sql: &str) -> Result<(), ReadStoreError> {
    let existing: Option<String> = db
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1",
            [name.trim_matches('"')],
            |row| row.get(0),
        )
        .optional()
        .map_err(ReadStoreError::new)?;
    match existing {
        Some(existing) if existing == sql => Ok(()),
        Some(_) => db
            .execute_batch(&format!("DROP INDEX {name}; {sql}"))
            .map_err(ReadStoreError::new),
        None => db.execute_batch(sql).map_err(ReadStoreError::new),
    }
}

/// A unique sparse index leaves out documents that lack its fields. A
/// sparse index that is not unique is made whole: it finds the same
/// documents, and SQLite can only use a partial index for queries that
/// repeat its condition.
fn index_sql(name: &str, table: &str, index: &IndexSpec) -> Result<String, ReadStoreError> {
    let columns = index
        .fields
        .iter()
        .map(|(field, order)| {
            Ok(format!(
                "{} {}",
                field_expression(field)?,
                direction(*order)
            ))
        })
        .collect::<Result<Vec<_>, ReadStoreError>>()?;
    let unique = if index.unique { "UNIQUE " } else { "" };
    let mut sql = format!(
        "CREATE {unique}INDEX {name} ON {table} ({})",
        columns.join(", ")
    );
    if index.unique && index.sparse {
        let present = index
            .fields
            .iter()
            .map(|(field, _)| Ok(format!("{} IS NOT NULL", field_type(field)?)))
            .collect::<Result<Vec<_>, ReadStoreError>>()?;
        sql.push_str(&format!(" WHERE {}", present.join(" AND ")));
    }
    Ok(sql)
}

/// The JSON type of a field: NULL when the document lacks it, `'null'`
/// when it holds null.
fn field_type(field: &str) -> Result<String, ReadStoreError> {
    let value = field_expression(field)?;
    Ok(value.replacen("json_extract", "json_type", 1))
}

/// The quoted table of a collection in a generation.
pub(super) fn table(spec: &CollectionSpec, generation: Generation) -> String {
    format!("\"{}\"", spec.physical_name(generation))
}

/// Index names are unique in a whole database, so they carry the table's.
pub(super) fn index_name(
    spec: &CollectionSpec,
    generation: Generation,
    index: &IndexSpec,
) -> String {
    let fields: Vec<String> = index
        .fields
        .iter()
        .map(|(field, order)| {
            format!(
                "{}_{}",
                field.replace('.', "_"),
                if *order == SortOrder::Descending {
                    "desc"
                } else {
                    "asc"
                }
            )
        })
        .collect();
    format!(
        "\"{}__{}\"",
        spec.physical_name(generation),
        fields.join("__")
    )
}

/// The SQL expression for a document field. `_id` is the `id` column; any
/// other field is read from the JSON. The same text must be used in indexes
/// and queries for SQLite to use the index.
pub(super) fn field_expression(field: &str) -> Result<String, ReadStoreError> {
    if field == "_id" {
        return Ok("id".to_owned());
    }
    let safe = !field.is_empty()
        && field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !safe {
        return Err(ReadStoreError(format!("{field:?} is not a field name")));
    }
    Ok(format!("json_extract(doc, '$.{field}')"))
}

pub(super) fn direction(order: SortOrder) -> &'static str {
    match order {
        SortOrder::Ascending => "ASC",
        SortOrder::Descending => "DESC",
    }
}
