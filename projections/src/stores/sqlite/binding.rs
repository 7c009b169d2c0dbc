//! Which event log the store serves, kept in a small table of its own.

use herald_application::ports::read_store::{LogBinding, ReadStoreError};
use rusqlite::Connection;

const META: &str = "herald_meta";
const LOG_KEY: &str = "event_log";
const STORE_KEY: &str = "store_id";

pub(super) fn create_meta(db: &Connection) -> Result<(), ReadStoreError> {
    db.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {META} (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
    ))
    .map_err(ReadStoreError::new)
}

pub(super) fn bind(db: &Connection, identity: &str) -> Result<LogBinding, ReadStoreError> {
    let bound = first_value(db, LOG_KEY, identity)?;
    Ok(if bound == identity {
        LogBinding::Bound
    } else {
        LogBinding::Foreign(bound)
    })
}

pub(super) fn rebind(db: &Connection, identity: &str) -> Result<(), ReadStoreError> {
    db.execute(
        &format!(
            "INSERT INTO {META} (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        ),
        [LOG_KEY, identity],
    )
    .map(drop)
    .map_err(ReadStoreError::new)
}

pub(super) fn store_id(db: &Connection) -> Result<String, ReadStoreError> {
    first_value(db, STORE_KEY, &uuid::Uuid::new_v4().simple().to_string())
}

/// The value under `key`: `offered` if there was none, else the one
/// stored first.
fn first_value(db: &Connection, key: &str, offered: &str) -> Result<String, ReadStoreError> {
    db.execute(
        &format!("INSERT OR IGNORE INTO {META} (key, value) VALUES (?1, ?2)"),
        [key, offered],
    )
    .map_err(ReadStoreError::new)?;
    db.query_row(
        &format!("SELECT value FROM {META} WHERE key = ?1"),
        [key],
        |row| row.get(0),
    )
    .map_err(ReadStoreError::new)
}
